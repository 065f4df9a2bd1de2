"""Chunked reading and writing of the file formats ``geocode`` handles: CSV, Parquet, GeoPackage.

Reading is the shared reader stack's (``boundaries.io.batches``): a CSV input is checked in one
streaming pass first (encoding, line break at the end, closed quotes, the header's field count)
and a defect refuses the whole file naming its line, before anything is written. CSV is written
with pyarrow; text cells of a CSV output that a spreadsheet would run as a formula (= + - @ …)
get a leading ``'``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pyogrio

from boundaries.errors import InvalidInput
from boundaries.io.batches import read_batches
from boundaries.io.common import FileError, detect_format
from boundaries.io.text import FORMULA_PATTERN, NUMBER_PATTERN, check_csv_file

OUTPUT_COLUMNS = (
    "province_code",
    "province_name",
    "prefecture_code",
    "prefecture_name",
    "county_code",
    "county_name",
    "geometry_kind",
)
ENDINGS = (".csv", ".txt", ".parquet", ".pq", ".gpkg")


@dataclass(frozen=True)
class BadRow:
    """A row whose coordinates could not be read (``row`` 1 = the first data row)."""

    row: int
    field: str
    message: str

    def shifted(self, offset: int) -> BadRow:
        """Return the same report ``offset`` rows further down the file."""
        return BadRow(self.row + offset, self.field, self.message)

    def __str__(self) -> str:
        return f"row {self.row}: {self.message}"


def file_format(path: Path) -> str:
    """Return csv, parquet or gpkg from the file name, or raise InvalidInput."""
    fmt = detect_format(path, ENDINGS)
    if fmt is None:
        raise InvalidInput("path", f"{path}: unsupported file type (use .csv, .parquet or .gpkg)")
    return fmt


def check_csv_input(path: Path, encoding: str | None = None) -> tuple[str, list[str]]:
    """Check a CSV input in one streaming pass; return (encoding, header) or raise InvalidInput."""
    try:
        codec, header, _ = check_csv_file(path, encoding=encoding)
    except FileError as exc:
        raise _refused(path, exc) from None
    return codec, header


def open_chunks(path: Path, fmt: str, chunksize: int, encoding: str | None = None) -> Iterator[pd.DataFrame]:
    """Iterate the input file in chunks of at most about ``chunksize`` rows (checked, for a CSV, first)."""
    try:
        yield from read_batches(path, fmt, chunksize, encoding)
    except FileError as exc:
        raise _refused(path, exc) from None


def _refused(path: Path, exc: FileError) -> InvalidInput:
    """The error for an input the reader refused: nothing is written."""
    return InvalidInput("path", f"{path}: {exc}; nothing was written")


def neutralise_table(table: pa.Table) -> pa.Table:
    """Prefix every text cell a spreadsheet would run as a formula with ``'`` (numbers stay as they are)."""
    columns = []
    for column in table.columns:
        if pa.types.is_string(column.type):
            formula = pc.and_(
                pc.match_substring_regex(column, FORMULA_PATTERN),
                pc.invert(pc.match_substring_regex(column, NUMBER_PATTERN)),
            )
            column = pc.if_else(formula, pc.binary_join_element_wise("'", column, ""), column)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=table.schema)


def _csv_bytes(table: pa.Table, header: bool) -> bytes:
    """Render a table as CSV, quoting only where some value needs it (then the whole chunk)."""
    for style in ("none", "needed"):
        sink = io.BytesIO()
        options = pcsv.WriteOptions(include_header=header, quoting_style=style, quoting_header=style)
        try:
            pcsv.write_csv(table, sink, options)
        except pa.ArrowInvalid:
            continue
        return sink.getvalue()
    raise AssertionError("quoting_style='needed' always succeeds")


class ChunkWriter:
    """Writes result chunks to one file of the input's format, creating it on the first chunk."""

    def __init__(self, path: Path, fmt: str, source: Path) -> None:
        self.path, self.fmt, self.source = Path(path), fmt, Path(source)
        self._writer: pq.ParquetWriter | None = None
        self._csv = None
        self._schema: pa.Schema | None = None
        self._started = False

    def write(self, frame: pd.DataFrame) -> None:
        """Append one chunk."""
        if self.fmt == "csv":
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if self._schema is None:
                self._schema = pa.schema([pa.field(str(n), pa.string()) for n in table.column_names])
                self._csv = open(self.path, "wb")  # closed in close()
            cells = neutralise_table(table.cast(self._schema))
            self._csv.write(_csv_bytes(cells, header=not self._started))
        elif self.fmt == "parquet":
            if self._writer is None:
                names = set(OUTPUT_COLUMNS)
                fields = [f for f in pq.read_schema(self.source) if f.name not in names and f.name in frame]
                self._schema = pa.schema(fields + [pa.field(c, pa.string()) for c in OUTPUT_COLUMNS])
                self._writer = pq.ParquetWriter(self.path, self._schema)
            table = pa.Table.from_pandas(frame[self._schema.names], schema=self._schema, preserve_index=False)
            self._writer.write_table(table)
        else:
            if not self._started and self.path.exists():
                self.path.unlink()
            pyogrio.write_dataframe(frame, self.path, driver="GPKG", append=self._started)
        self._started = True

    def close(self) -> None:
        """Finish the file (an empty input still gets an output file)."""
        if self._writer is not None:
            self._writer.close()
        if self._csv is not None:
            self._csv.close()
        elif not self._started and self.fmt == "csv":
            self.path.write_text("")
