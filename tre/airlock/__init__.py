"""tre.airlock."""
