"""Division boundaries over time: repair, reading one at a date, uploads and their review."""
