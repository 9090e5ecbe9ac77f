"""tre.policy."""
