"""Division codes over time: versions, lineage, geometry and the division API."""
