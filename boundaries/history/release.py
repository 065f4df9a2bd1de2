"""Releases: the register at a date (codes, names, levels, parents) as a named CSV or JSON file.

The file is named by the date and ``data_as_of`` (``divisions-2020-12-31-as-of-2024-12-31.csv``)
and comes with its SHA-256, so a system that loads it can say exactly which release it holds.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import date

import orjson

from boundaries.io.text import neutralise

COLUMNS = ("code", "name", "level", "parent_code", "valid_from", "valid_to")
FORMATS = ("csv", "json")


@dataclass(frozen=True)
class Release:
    """One release file: its bytes, name, media type and checksum."""

    body: bytes
    filename: str
    media_type: str

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the file."""
        return hashlib.sha256(self.body).hexdigest()

    def headers(self) -> dict[str, str]:
        """Download headers: file name, the checksum (hex and as an RFC 3230 digest)."""
        digest = base64.b64encode(hashlib.sha256(self.body).digest()).decode()
        return {
            "Content-Disposition": f'attachment; filename="{self.filename}"',
            "X-Checksum-SHA256": self.sha256,
            "Digest": f"sha-256={digest}",
        }


def build(rows: list[dict], at: date, data_as_of: date | None, fmt: str) -> Release:
    """Write the rows of a snapshot as a release in ``fmt`` (csv: UTF-8 with BOM, for spreadsheets)."""
    as_of = data_as_of.isoformat() if data_as_of else "unknown"
    name = f"divisions-{at.isoformat()}-as-of-{as_of}.{fmt}"
    cells = [{c: (r[c].isoformat() if isinstance(r[c], date) else r[c]) for c in COLUMNS} for r in rows]
    if fmt == "json":
        doc = {"at": at.isoformat(), "data_as_of": as_of, "count": len(cells), "divisions": cells}
        return Release(orjson.dumps(doc), name, "application/json")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for r in cells:
        writer.writerow(["" if r[c] is None else neutralise(r[c]) for c in COLUMNS])
    return Release(("\ufeff" + out.getvalue()).encode("utf-8"), name, "text/csv; charset=utf-8")
