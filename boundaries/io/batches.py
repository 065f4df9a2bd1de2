"""CSV, Parquet and GeoPackage read in batches of rows, so files of any size stream through bounded memory.

CSV is read with pyarrow, every cell kept as text (values come back exactly as given), after one
streaming pass that checks the whole file (see ``text.py``): a defect refuses it naming its line
before the first batch. Parquet is read by row batches, GeoPackage through pyogrio's Arrow stream.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from boundaries.io.common import FileError
from boundaries.io.text import check_csv_file, pyarrow_encoding


def rows_per_block(path: Path, rows: int) -> int:
    """Estimate how many bytes ``rows`` CSV rows take, from the first megabyte."""
    with open(path, "rb") as f:
        sample = f.read(1 << 20)
    per_row = max(len(sample) / max(sample.count(b"\n"), 1), 1.0)
    return max(int(per_row * rows), 1 << 16)


def read_batches(path: Path, fmt: str, batch_size: int, encoding: str | None = None) -> Iterator:
    """Yield the file as DataFrames of at most about ``batch_size`` rows (GeoDataFrames for gpkg)."""
    if fmt == "csv":
        yield from _csv(Path(path), batch_size, encoding)
    elif fmt == "parquet":
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_size):
            yield batch.to_pandas()
    else:
        yield from _gpkg(Path(path), batch_size)


def _csv(path: Path, batch_size: int, encoding: str | None) -> Iterator:
    """Check the CSV, then stream it with pyarrow, every column as text."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    codec, header, _ = check_csv_file(path, encoding=encoding)
    reader = pcsv.open_csv(
        path,
        read_options=pcsv.ReadOptions(
            block_size=rows_per_block(path, batch_size), use_threads=False, encoding=pyarrow_encoding(codec)
        ),
        parse_options=pcsv.ParseOptions(newlines_in_values=True),
        convert_options=pcsv.ConvertOptions(
            column_types={name: pa.string() for name in header}, strings_can_be_null=False
        ),
    )
    try:
        for batch in reader:
            yield batch.to_pandas()
    except pa.ArrowInvalid as exc:  # the check above should have caught it; refuse all the same
        raise FileError(f"malformed CSV: {exc}") from None


def _gpkg(path: Path, batch_size: int) -> Iterator:
    """Stream a GeoPackage layer through Arrow, decoding each batch's WKB geometry."""
    import geopandas
    import pyogrio
    import shapely

    with pyogrio.open_arrow(path, batch_size=batch_size, use_pyarrow=True) as (meta, reader):
        name = meta["geometry_name"] or "wkb_geometry"
        for batch in reader:
            frame = batch.to_pandas()
            geometry = shapely.from_wkb(frame.pop(name).to_numpy()) if name in frame else None
            yield geopandas.GeoDataFrame(frame, geometry=geometry, crs=meta["crs"])
