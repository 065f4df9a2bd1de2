"""Domain errors of the tile server; the app maps each class to an HTTP status."""


class TileError(Exception):
    """Base class of the tile server's errors."""


class UnknownLayer(TileError):
    """The requested layer does not exist."""


class TileOutOfRange(TileError):
    """z/x/y is not a tile of the layer's grid."""


class InvalidTileAddress(TileError):
    """z, x or y is not a whole number."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


STATUS: dict[type[Exception], int] = {
    InvalidTileAddress: 422,
    UnknownLayer: 404,
    TileOutOfRange: 404,
    TileError: 400,
}
"""HTTP status of each error class (the app answers the most specific class's)."""
