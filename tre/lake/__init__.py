"""tre.lake."""
