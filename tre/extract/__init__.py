"""tre.extract."""
