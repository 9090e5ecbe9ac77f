"""tre.client."""
