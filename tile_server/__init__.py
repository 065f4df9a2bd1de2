"""Vector-tile server (placeholder until its issue lands)."""
