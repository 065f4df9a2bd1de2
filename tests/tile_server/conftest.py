"""Tile tests use the boundaries and place-name fixtures: real data and an HTTP client."""

from tests.boundaries.conftest import boundaries_loaded, client
from tests.placenames.conftest import seeded

__all__ = ["boundaries_loaded", "client", "seeded"]
