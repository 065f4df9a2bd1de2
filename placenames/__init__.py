"""Place-name register (placeholder until its issue lands)."""
