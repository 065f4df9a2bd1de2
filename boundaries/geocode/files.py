"""Geocode the address column of a CSV, Parquet or GeoPackage file, chunk by chunk.

Each chunk is read with the reverse geocoder's reader stack (``boundaries.reverse.file_io``),
geocoded as one batch and written in the input's format with the result columns added. A row
without an address or with an unreadable date is reported with its row number (1 = first data
row) and written with empty result columns; a failed run removes its partial output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import asyncpg
import pandas as pd

from boundaries.errors import InvalidInput
from boundaries.geocode.service import AddressGeocoder, AddressItem
from boundaries.reverse.file_io import BadRow, ChunkWriter, file_format, open_chunks

LEVELS = ("province", "prefecture", "county", "town", "village")
COLUMNS = (*(f"{lv}_{part}" for lv in LEVELS for part in ("code", "name")),
           "geocode_status", "geocode_confidence", "geocode_rest")  # fmt: skip
"""The columns added to every row."""


@dataclass
class AddressReport:
    """What a file run did: rows per status and the unreadable rows (the first ``keep_bad``)."""

    rows: int = 0
    counts: dict = field(default_factory=lambda: dict.fromkeys(("found", "ambiguous", "not_found"), 0))
    bad: int = 0
    bad_rows: list[BadRow] = field(default_factory=list)
    keep_bad: int = 1000


def _columns(results: list[dict]) -> dict[str, list]:
    out: dict[str, list] = {name: [] for name in COLUMNS}
    for r in results:
        for lv in LEVELS:
            entry = r.get(lv) or {}
            out[f"{lv}_code"].append(entry.get("code"))
            out[f"{lv}_name"].append(entry.get("name"))
        out["geocode_status"].append(r["status"])
        out["geocode_confidence"].append(r.get("confidence"))
        out["geocode_rest"].append(r.get("rest"))
    return out


async def geocode_addresses_file(
    geocoder: AddressGeocoder,
    conn: asyncpg.Connection,
    source: Path,
    target: Path,
    address_col: str = "address",
    date_col: str | None = None,
    at: str | None = None,
    chunksize: int = 100_000,
    progress: Callable[[AddressReport, list[BadRow]], None] | None = None,
    encoding: str | None = None,
    today: date | None = None,
) -> AddressReport:
    """Geocode ``source``'s ``address_col`` into ``target`` (same format), each row at its ``date_col``."""
    fmt = file_format(source)
    if file_format(target) != fmt:
        raise InvalidInput("out", f"the output must have the input's format ({fmt})")
    report, today = AddressReport(), today or date.today()
    writer = ChunkWriter(target, fmt, source)
    try:
        for frame in open_chunks(source, fmt, chunksize, encoding):
            for name, label in ((address_col, "address_col"), (date_col, "date_col")):
                if name is not None and name not in frame.columns:
                    columns = ", ".join(map(str, frame.columns))
                    raise InvalidInput(label, f"no column {name!r} in the input (columns: {columns})")
            addresses = frame[address_col].tolist()
            dates = frame[date_col].tolist() if date_col else [None] * len(frame)
            items = [
                AddressItem(a if isinstance(a, str) else None, _date_text(d))
                for a, d in zip(addresses, dates, strict=True)
            ]
            results = await geocoder.geocode(conn, items, at, today)
            bad = [
                BadRow(report.rows + i + 1, r["error"]["field"], r["error"]["message"])
                for i, r in enumerate(results)
                if r["status"] == "invalid"
            ]
            out = frame.copy()
            for name, values in _columns(results).items():
                out[name] = pd.Series(values, index=frame.index, dtype=object)
            writer.write(out)
            report.rows += len(frame)
            report.bad += len(bad)
            report.bad_rows.extend(bad[: max(report.keep_bad - len(report.bad_rows), 0)])
            for r in results:
                if r["status"] in report.counts:
                    report.counts[r["status"]] += 1
            if progress:
                progress(report, bad)
    except BaseException:
        writer.close()
        Path(target).unlink(missing_ok=True)
        raise
    writer.close()
    return report


def _date_text(value) -> str | None:
    """A date cell as text (dates and timestamps as ISO dates); empty cells as None."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if hasattr(value, "date") and callable(value.date):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float):
        return str(int(value))
    return str(value).strip() or None
