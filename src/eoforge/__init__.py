"""eoforge."""
