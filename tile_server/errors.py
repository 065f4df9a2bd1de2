"""Domain errors of the tile server; the app maps each class to an HTTP status."""


class TileError(Exception):
    """Base class of the tile server's errors."""


class UnknownLayer(TileError):
    """The requested layer does not exist."""


class TileOutOfRange(TileError):
    """z/x/y is not a tile of the layer's grid."""
