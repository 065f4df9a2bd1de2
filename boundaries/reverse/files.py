"""Reverse-geocode CSV, Parquet and GeoPackage files chunk by chunk with a ReverseModel.

Every format is read in chunks of ``chunksize`` rows and written, chunk by chunk, in the same
format with seven added columns, so files of any size stream through bounded memory. A row whose
coordinates cannot be read is reported with its row number (1 = first data row) and written with
empty result columns; the rest of the file goes on. A CSV that is cut off, badly quoted, has a
row with the wrong number of fields or is neither UTF-8 nor GB18030 is refused before anything
is written (see ``boundaries.io``); a failed run removes its partial output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from boundaries import crs as crs_
from boundaries.errors import InvalidInput
from boundaries.reverse.file_io import BadRow, ChunkWriter, file_format, open_chunks
from boundaries.reverse.requests import check_crs
from boundaries.reverse.service import ReverseModel


@dataclass
class GeocodeReport:
    """What a file run did: rows seen, found, outside every division, and the unreadable rows."""

    rows: int = 0
    found: int = 0
    outside: int = 0
    bad: int = 0
    bad_rows: list[BadRow] = field(default_factory=list)
    keep_bad: int = 1000

    def add(self, found: int, outside: int, bad: list[BadRow], rows: int) -> None:
        """Count one chunk."""
        self.rows += rows
        self.found += found
        self.outside += outside
        self.bad += len(bad)
        self.bad_rows.extend(bad[: max(self.keep_bad - len(self.bad_rows), 0)])


def _parse_floats(values: pd.Series) -> np.ndarray:
    """Parse text or numbers to float64 (NaN where unreadable): arrow's fast cast, pandas for stragglers."""
    if not pd.api.types.is_numeric_dtype(values.dtype):
        try:
            text = pc.utf8_trim_whitespace(pa.array(values, from_pandas=True, type=pa.string()))
            return pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False).copy()
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            pass
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan, copy=True)


def _numbers(values: pd.Series, name: str, first_row: int, bad: dict[int, BadRow]) -> np.ndarray:
    """Parse one coordinate column; unreadable or out-of-range values become NaN and bad rows."""
    number = _parse_floats(values)
    limit = 180.0 if name == "lon" else 90.0
    wrong = ~(np.abs(number) <= limit)
    for i in np.nonzero(wrong)[0]:
        raw = values.iloc[i]
        missing = raw is None or (isinstance(raw, float) and np.isnan(raw)) or str(raw).strip() == ""
        if missing:
            message = f"{name} is empty"
        elif np.isfinite(number[i]):
            message = f"{name} must be between {-limit:g} and {limit:g}, got {raw!r}"
        else:
            message = f"{name} is not a number: {raw!r}"
        bad.setdefault(i, BadRow(first_row + int(i), name, message))
    number[wrong] = np.nan
    return number


def coordinates(frame: pd.DataFrame, lon_col: str, lat_col: str) -> tuple[pd.Series, pd.Series]:
    """Return the lon and lat columns, or a point layer's geometry when the columns are absent."""
    if lon_col in frame.columns and lat_col in frame.columns:
        return frame[lon_col], frame[lat_col]
    geometry = getattr(frame, "geometry", None) if "geometry" in frame.columns else None
    if geometry is not None:
        points = geometry.to_numpy()
        xy = np.full((len(points), 2), np.nan)
        is_point = shapely.get_type_id(points) == shapely.GeometryType.POINT
        xy[is_point] = shapely.get_coordinates(points[is_point])
        return pd.Series(xy[:, 0], index=frame.index), pd.Series(xy[:, 1], index=frame.index)
    columns = ", ".join(map(str, frame.columns))
    raise InvalidInput("lon_col", f"no columns {lon_col!r} and {lat_col!r} in the input (columns: {columns})")


def geocode_frame(
    model: ReverseModel, frame: pd.DataFrame, lon_col: str, lat_col: str, crs: str, first_row: int = 1
) -> tuple[pd.DataFrame, list[BadRow], int]:
    """Add the result columns to one chunk; return (chunk, its unreadable rows, rows found)."""
    lon_raw, lat_raw = coordinates(frame, lon_col, lat_col)
    bad: dict[int, BadRow] = {}
    lon = _numbers(lon_raw, "lon", first_row, bad)
    lat = _numbers(lat_raw, "lat", first_row, bad)
    ok = ~(np.isnan(lon) | np.isnan(lat))
    found = np.full(len(frame), -1, dtype=np.int64)
    if ok.any():
        wx, wy = crs_.to_wgs84(lon[ok], lat[ok], crs)
        found[ok] = model.locate(wx, wy)
    out = frame.copy()
    for name, values in model.columns(found).items():
        out[name] = pd.Series(values, index=frame.index, dtype=object)
    return out, [bad[i] for i in sorted(bad)], int((found >= 0).sum())


def geocode_file(
    model: ReverseModel,
    source: Path,
    target: Path,
    lon_col: str = "lon",
    lat_col: str = "lat",
    crs: str = "wgs84",
    chunksize: int = 200_000,
    progress: Callable[[GeocodeReport, list[BadRow]], None] | None = None,
    encoding: str | None = None,
) -> GeocodeReport:
    """Geocode ``source`` into ``target`` (same format) in process, chunk by chunk.

    ``encoding`` forces a CSV input's encoding (utf-8, gb18030 or gbk); None detects it.
    """
    fmt = file_format(source)
    if file_format(target) != fmt:
        raise InvalidInput("out", f"the output must have the input's format ({fmt})")
    name = check_crs(crs)
    report = GeocodeReport()
    chunks = open_chunks(source, fmt, chunksize, encoding)
    writer = ChunkWriter(target, fmt, source)
    parsed = 0
    try:
        for frame in chunks:
            out, bad, found = geocode_frame(model, frame, lon_col, lat_col, name, parsed + 1)
            parsed += len(frame)
            writer.write(out)
            report.add(found, len(frame) - found - len(bad), bad, len(frame))
            if progress:
                progress(report, bad)
    except BaseException:
        writer.close()
        Path(target).unlink(missing_ok=True)  # a refused or failed run leaves no partial output
        raise
    writer.close()
    return report
