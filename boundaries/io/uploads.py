"""A CSV request body as a table; its defects as the API's errors (413 over the limit, 422 with the line)."""

from __future__ import annotations

from boundaries.errors import BatchTooLarge, InvalidInput
from boundaries.io import text as text_io


def csv_body(data: bytes | str, max_rows: int, per: str = "request", encoding: str | None = None):
    """Decode and check a CSV body (UTF-8, with or without BOM, or GB18030/GBK) and return its table.

    More than ``max_rows`` rows is BatchTooLarge; a body cut off, with an unterminated quote or
    a row of the wrong width is InvalidInput on ``body`` with the line.
    """
    try:
        if isinstance(data, str):
            return text_io.parse_csv(data, max_rows)
        return text_io.read_csv_bytes(data, max_rows, encoding)
    except text_io.TooManyRows:
        raise BatchTooLarge(f"more than {max_rows} CSV rows sent; at most {max_rows} per {per}") from None
    except text_io.TextFileError as exc:
        error = InvalidInput("body", f"CSV body: {exc}")
        error.body = {"line": exc.line} if exc.line else None
        raise error from None
