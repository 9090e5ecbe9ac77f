"""tre.workspace."""
