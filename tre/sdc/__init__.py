"""tre.sdc."""
