"""Domain errors of the planning measures; the app maps each class to an HTTP status."""

from __future__ import annotations

from spatial_platform.facilities.errors import CivilAffairsError


class PlanningError(CivilAffairsError):
    """Base class of every error the planning package raises on purpose."""


class InvalidParameter(PlanningError):
    """A request value is malformed or out of range; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class MissingData(PlanningError):
    """Data the request needs is not loaded (boundaries, populations …); the message says which."""


class ProblemTooLarge(PlanningError):
    """A site-suggestion problem exceeds the configured size; ``field`` names what to reduce."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


STATUS: dict[type[Exception], int] = {
    InvalidParameter: 422,
    MissingData: 409,
    ProblemTooLarge: 413,
    PlanningError: 400,
}
"""HTTP status of each error class (the app answers the most specific class's)."""
