"""Domain errors of population imports; the app maps each class to an HTTP status."""

from __future__ import annotations

from spatial_platform.facilities import errors as civil


class PopulationsError(civil.CivilAffairsError):
    """Base class of every error the populations package raises on purpose."""


class ImportRejected(PopulationsError, civil.ImportRejected):
    """A population import had invalid rows; ``body`` lists every one with row, field and reason.

    It is also a facilities ``ImportRejected``, so code handling any rejected import handles it.
    """


STATUS: dict[type[Exception], int] = {
    ImportRejected: 422,
    PopulationsError: 400,
}
"""HTTP status of each error class (the app answers the most specific class's)."""
