"""The change feed: every published division change in publication order (GET /v1/changes)."""
