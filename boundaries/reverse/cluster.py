"""Geocode a file on a Dask cluster: workers read and geocode partitions, this process writes them in order.

The model (engines and division tables) is scattered once to every worker. At most ``window``
partitions are in flight, so a file larger than memory streams through the cluster; the output
is written by the same ``ChunkWriter`` as the in-process path, so both give the same file.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from boundaries.errors import InvalidInput
from boundaries.io.batches import rows_per_block
from boundaries.reverse.file_io import BadRow, ChunkWriter, check_csv_input, file_format
from boundaries.reverse.files import GeocodeReport, geocode_frame
from boundaries.reverse.requests import check_crs
from boundaries.reverse.service import ReverseModel


def dask_frame(source: Path, fmt: str, chunksize: int, encoding: str | None = None):
    """Open the input as a Dask (or dask-geopandas) DataFrame of about ``chunksize`` rows per partition."""
    import dask.dataframe as dd

    if fmt == "csv":
        encoding, _ = check_csv_input(source, encoding)  # refuses a cut-off, misquoted or undecodable file
        blocksize = rows_per_block(source, chunksize)
        return dd.read_csv(source, dtype=str, keep_default_na=False, blocksize=blocksize, encoding=encoding)
    if fmt == "parquet":
        return dd.read_parquet(source, split_row_groups=True)
    import dask_geopandas

    return dask_geopandas.read_file(source, chunksize=chunksize)


def _geocode_part(frame: pd.DataFrame, model: ReverseModel, lon_col: str, lat_col: str, crs: str):
    """Worker task: geocode one partition (row numbers relative to the partition)."""
    return geocode_frame(model, frame, lon_col, lat_col, crs, first_row=1)


def geocode_on_cluster(
    client,
    model: ReverseModel,
    source: Path,
    target: Path,
    lon_col: str = "lon",
    lat_col: str = "lat",
    crs: str = "wgs84",
    chunksize: int = 200_000,
    progress: Callable[[GeocodeReport, list[BadRow]], None] | None = None,
    window: int | None = None,
    encoding: str | None = None,
) -> GeocodeReport:
    """Geocode ``source`` into ``target`` on the cluster behind ``client`` (a distributed.Client).

    ``encoding`` forces a CSV input's encoding (utf-8, gb18030 or gbk); None detects it.
    """
    import dask

    fmt = file_format(source)
    if file_format(target) != fmt:
        raise InvalidInput("out", f"the output must have the input's format ({fmt})")
    name = check_crs(crs)
    frame = dask_frame(source, fmt, chunksize, encoding)
    if fmt != "gpkg" and not {lon_col, lat_col} <= set(frame.columns):
        columns = ", ".join(map(str, frame.columns))
        message = f"no columns {lon_col!r} and {lat_col!r} in the input (columns: {columns})"
        raise InvalidInput("lon_col", message)
    [shared] = client.scatter([model], broadcast=True, hash=False)
    window = window or 2 * max(len(client.nthreads()), 1)
    parts = iter(frame.to_delayed())
    task = dask.delayed(_geocode_part, pure=False)
    pending: deque = deque()
    report = GeocodeReport()
    writer = ChunkWriter(target, fmt, source)
    done = False
    try:
        while True:
            while len(pending) < window and (part := next(parts, None)) is not None:
                pending.append(client.compute(task(part, shared, lon_col, lat_col, name)))
            if not pending:
                break
            out, bad, found = pending.popleft().result()
            bad = [b.shifted(report.rows) for b in bad]
            writer.write(out)
            report.add(found, len(out) - found - len(bad), bad, len(out))
            if progress:
                progress(report, bad)
        done = True
    finally:
        for future in pending:
            future.cancel()
        writer.close()
        if not done:
            Path(target).unlink(missing_ok=True)  # a failed run leaves no partial output
    return report
