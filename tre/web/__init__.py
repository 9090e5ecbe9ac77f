"""tre.web."""
