"""Audit tables as CSV: read with the project's reader (``boundaries.io``), answered as CSV.

CSV in gives CSV out: the original columns, then ``status``, ``official_name``, ``note`` and
``successors`` (``430112 望城区 (whole); …``). Text cells a spreadsheet would run as formulas
are neutralised.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from boundaries.audit.service import MAX_ROWS, AuditResult, AuditRows
from boundaries.io import text as text_io
from boundaries.io.uploads import csv_body

OUTPUT_COLUMNS = ("status", "official_name", "note", "successors")
_RISKY = re.compile(f"(?:^|\x00){text_io.FORMULA_PATTERN.removeprefix('^')}")


def read_audit_csv(
    data: bytes,
    code_col: str = "code",
    name_col: str = "name",
    date_col: str = "date",
    max_rows: int = MAX_ROWS,
    encoding: str | None = None,
) -> AuditRows:
    """Read CSV bytes (UTF-8 with or without BOM, else GB18030/GBK) into audit rows.

    A file cut off, with an unterminated quote or a row of the wrong width is refused as a whole
    (InvalidInput on ``body`` naming the line); more than ``max_rows`` rows is BatchTooLarge.
    """
    table = csv_body(data, max_rows, "audit", encoding)
    return AuditRows.from_table(table.header, table.rows, code_col, name_col, date_col)


def read_audit_file(path: Path, code_col: str, name_col: str, date_col: str, encoding: str | None = None):
    """Read a CSV file into audit rows (see :func:`read_audit_csv`)."""
    return read_audit_csv(Path(path).read_bytes(), code_col, name_col, date_col, MAX_ROWS, encoding)


def successors_text(successors: list[dict] | None) -> str:
    """Describe today's successors in one cell."""
    return "; ".join(f"{s['code']} {s['name']} ({s['relation']})" for s in successors or ())


def csv_lines(result: AuditResult) -> Iterator[str]:
    """Yield the answer as CSV text, a few thousand rows at a time.

    Cells are neutralised (``boundaries.io.neutralise``); a row is looked at in one regex search,
    and the added cells, which repeat, once per distinct value.
    """
    rows = result.rows
    header = rows.header or ["code", "name", "date"]
    cells = rows.cells or [
        [c or "", n or "", d or ""] for c, n, d in zip(rows.codes, rows.names, rows.dates, strict=True)
    ]
    neutralise = text_io.neutralise
    memo: dict = {None: ""}

    def cell(value) -> str:
        hit = memo.get(value)
        if hit is None:
            hit = memo[value] = neutralise(value)
        return hit

    texts: dict[int, str] = {}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*map(neutralise, header), *OUTPUT_COLUMNS])
    for i, (row, status, official, note, successors) in enumerate(
        zip(
            cells,
            result.statuses(),
            result.official.tolist(),
            result.note.tolist(),
            result.successors.tolist(),
            strict=True,
        )
    ):
        if _RISKY.search("\x00".join(row)):
            row = [*map(neutralise, row)]
        if successors:
            if (listed := texts.get(id(successors))) is None:
                listed = texts[id(successors)] = neutralise(successors_text(successors))
        else:
            listed = ""
        writer.writerow([*row, status, cell(official), cell(note), listed])
        if i % 5000 == 4999:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_audit_csv(result: AuditResult, target: Path | None = None) -> None:
    """Write the answer as a UTF-8 CSV file (``None``: to standard output)."""
    if target is None:
        sys.stdout.writelines(csv_lines(result))
        sys.stdout.flush()
        return
    with Path(target).open("w", encoding="utf-8", newline="") as handle:
        handle.writelines(csv_lines(result))
