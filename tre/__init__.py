"""Trusted Research Environment for pseudonymised health data."""

__version__ = "0.1.0"
