"""Domain errors of the boundaries package; the app maps each class to an HTTP status."""


class BoundariesError(Exception):
    """Base class of every error this package raises on purpose."""


class SourceDataError(BoundariesError):
    """The areacodes source files do not follow their documented format."""


class InvalidInput(BoundariesError):
    """A request value is malformed; ``field`` names the offending input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class DateOutOfRange(InvalidInput):
    """A date lies outside the period the data covers."""


class DivisionNotFound(BoundariesError):
    """No division has the code at the requested date (or at all)."""


class BatchTooLarge(BoundariesError):
    """A batch request exceeds the item limit."""


class MissingDataset(BoundariesError):
    """An operation needs a data set that has not been loaded yet."""


class PointNotInDivision(DivisionNotFound):
    """No division's geometry contains the point at the requested date."""


class GeometryNotFound(DivisionNotFound):
    """A division exists at the date but no boundary is known for it then."""


class Forbidden(BoundariesError):
    """The caller may not do this step (e.g. review their own proposal)."""


class ProposalNotFound(BoundariesError):
    """No boundary proposal has the requested id."""


class ProposalConflict(BoundariesError):
    """The proposal is not in a state that allows this step, or newer data stands in its way."""


class ChangeNotFound(BoundariesError):
    """No recorded division change (draft or published) has the requested id."""


class ChangeConflict(BoundariesError):
    """The change is not in a state that allows this step, or a published change stands in its way."""

    def __init__(self, message: str, problems: list[dict] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []
        self.body = {"problems": self.problems} if problems else None


class ChangeProblems(BoundariesError):
    """A drafted change has problems; ``problems`` lists each with its field and reason."""

    def __init__(self, message: str, problems: list[dict]) -> None:
        super().__init__(message)
        self.problems = problems
        self.body = {"problems": problems}


class FeedEntryNotFound(BoundariesError):
    """No change-feed entry has the requested sequence number."""


class SubscriptionNotFound(BoundariesError):
    """No webhook subscription has the requested id."""


STATUS: dict[type[Exception], int] = {
    InvalidInput: 422,
    DateOutOfRange: 422,
    DivisionNotFound: 404,
    GeometryNotFound: 404,
    PointNotInDivision: 404,
    BatchTooLarge: 413,
    MissingDataset: 409,
    Forbidden: 403,
    ProposalNotFound: 404,
    ProposalConflict: 409,
    ChangeNotFound: 404,
    ChangeConflict: 409,
    ChangeProblems: 422,
    FeedEntryNotFound: 404,
    SubscriptionNotFound: 404,
    SourceDataError: 500,
    BoundariesError: 400,
}
"""HTTP status of each error class (the app answers the most specific class's)."""
