"""Chunked readers and writers for the file formats ``geocode`` handles: CSV, Parquet, GeoPackage.

CSV is read and written with pyarrow (cells kept as text, so values come back exactly as given);
a CSV line with the wrong number of fields is skipped and reported with its line number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pyogrio
import shapely

from boundaries.errors import InvalidInput

OUTPUT_COLUMNS = (
    "province_code",
    "province_name",
    "prefecture_code",
    "prefecture_name",
    "county_code",
    "county_name",
    "geometry_kind",
)
FORMATS = {".csv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet", ".gpkg": "gpkg"}


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
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise InvalidInput("path", f"{path}: unsupported file type (use .csv, .parquet or .gpkg)")
    return fmt


def rows_per_block(path: Path, rows: int) -> int:
    """Estimate how many bytes ``rows`` CSV rows take, from the first megabyte."""
    with open(path, "rb") as f:
        sample = f.read(1 << 20)
    per_row = max(len(sample) / max(sample.count(b"\n"), 1), 1.0)
    return max(int(per_row * rows), 1 << 16)


class Chunks:
    """Iterates a file as DataFrames; for CSV, remembers lines skipped for a wrong field count."""

    def __init__(self, path: Path, fmt: str, chunksize: int) -> None:
        self.path, self.fmt, self.chunksize = Path(path), fmt, chunksize
        self._skipped: list[int] = []  # data rows (1 = first after the header), in file order
        self._reported = 0

    def __iter__(self) -> Iterator[pd.DataFrame]:
        if self.fmt == "csv":
            yield from self._csv()
        elif self.fmt == "parquet":
            for batch in pq.ParquetFile(self.path).iter_batches(batch_size=self.chunksize):
                yield batch.to_pandas()
        else:
            yield from self._gpkg()

    def _csv(self) -> Iterator[pd.DataFrame]:
        with open(self.path, newline="", encoding="utf-8-sig") as f:
            header = next(csv.reader(f), None)
        if not header:
            raise InvalidInput("path", f"{self.path}: empty CSV file; the first line must name the columns")

        def skip(row) -> str:
            self._skipped.append(row.number - 1)
            return "skip"

        reader = pcsv.open_csv(
            self.path,
            read_options=pcsv.ReadOptions(
                block_size=rows_per_block(self.path, self.chunksize), use_threads=False
            ),
            parse_options=pcsv.ParseOptions(invalid_row_handler=skip),
            convert_options=pcsv.ConvertOptions(
                column_types={name: pa.string() for name in header}, strings_can_be_null=False
            ),
        )
        for batch in reader:
            yield batch.to_pandas()

    def _gpkg(self) -> Iterator[pd.DataFrame]:
        import geopandas

        with pyogrio.open_arrow(self.path, batch_size=self.chunksize, use_pyarrow=True) as (meta, reader):
            name = meta["geometry_name"] or "wkb_geometry"
            for batch in reader:
                frame = batch.to_pandas()
                geometry = shapely.from_wkb(frame.pop(name).to_numpy()) if name in frame else None
                yield geopandas.GeoDataFrame(frame, geometry=geometry, crs=meta["crs"])

    def data_row(self, parsed: int) -> int:
        """Map the n-th row read (1-based) to its data row in the file, counting skipped lines."""
        if not self._skipped:
            return parsed
        before = np.array(self._skipped) - np.arange(1, len(self._skipped) + 1)
        return parsed + int(np.searchsorted(before, parsed, side="left"))

    def take_skipped(self) -> list[BadRow]:
        """Return the skipped CSV lines not reported yet."""
        new = self._skipped[self._reported :]
        self._reported = len(self._skipped)
        return [BadRow(r, "row", f"line {r + 1} has the wrong number of fields; skipped") for r in new]


def open_chunks(path: Path, fmt: str, chunksize: int) -> Chunks:
    """Return an iterator of the input file's chunks of at most about ``chunksize`` rows."""
    return Chunks(path, fmt, chunksize)


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
            self._csv.write(_csv_bytes(table.cast(self._schema), header=not self._started))
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
