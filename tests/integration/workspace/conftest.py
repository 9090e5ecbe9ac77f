"""Fixtures for the workspace tests live in ws_hub.py (importable by the tests as well)."""

from ws_hub import hub_env  # noqa: F401
