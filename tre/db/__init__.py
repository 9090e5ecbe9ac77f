"""tre.db."""
