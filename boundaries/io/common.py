"""What every reader shares: the format of a file from its name, and the two errors it may raise.

Callers turn ``FileError`` (unreadable, naming the line where known) and ``TooLarge`` (over a
limit) into their own domain errors.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".geojson": "geojson",
    ".json": "geojson",
    ".gpkg": "gpkg",
    ".shp": "shp",
    ".zip": "shp",
    ".parquet": "parquet",
    ".pq": "parquet",
}
"""File name ending -> format: csv, geojson, gpkg, shp (a zipped shapefile, or its .shp) or parquet."""


def detect_format(path: Path, endings: Iterable[str] | None = None) -> str | None:
    """Return the format of ``path`` by its ending, or None if unknown or not among ``endings``."""
    suffix = Path(path).suffix.lower()
    return FORMATS.get(suffix) if endings is None or suffix in endings else None


class FileError(ValueError):
    """A user file cannot be read honestly; the message says why and ``line`` where (if known)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class TooLarge(FileError):
    """A file is over a limit: rows, features, archive members or the bytes an archive expands to."""
