"""Vector tiles of divisions, place names and facilities at a date: layers, cache, seeding, PMTiles, map."""
