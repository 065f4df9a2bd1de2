"""Honest reading of uploaded text files: one encoding detector and one CSV checker for every importer.

Encodings: strict UTF-8 (with or without BOM) first, then strict GB18030 (a superset of GBK, what
Excel writes on Chinese Windows); anything else is refused naming the line and byte where each
decoding failed. A caller may force one encoding (utf-8, gb18030 or gbk): the file must then
decode in it, or it is refused naming the line and byte. CSV: the last line must end with a
line break (a file cut off mid-row would otherwise import "101000" as "101"), every quote must
close, and every row must have as many fields as the header; each problem names its line (1 =
the header). Exports neutralise formula cells (OWASP CSV injection) with :func:`neutralise`.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from boundaries.io.common import FileError, TooLarge

ENCODINGS = {"utf-8": "utf-8-sig", "utf-8-sig": "utf-8-sig", "gb18030": "gb18030", "gbk": "gbk"}
"""The encodings a caller may force (by any name Python knows them by) -> the codec that reads them."""
_BLOCK = 1 << 20
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
FORMULA_PATTERN = r"^[=+\-@\t\r]"
NUMBER_PATTERN = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_NUMBER = re.compile(NUMBER_PATTERN)


class TextFileError(FileError):
    """A text file cannot be read honestly; the message says why and ``line`` where (if known)."""


class TooManyRows(TextFileError, TooLarge):
    """A CSV file has more data rows than the configured limit."""


@dataclass
class CsvTable:
    """A checked CSV file: its header, and each data row with the line it starts on."""

    encoding: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


def _blocks(stream: BinaryIO) -> Iterator[bytes]:
    """Yield about 1 MB at a time, each block ending at a line break (never inside a character)."""
    while block := stream.read(_BLOCK):
        yield block + stream.readline()


def _first_error(codec: str, opener: Callable[[], BinaryIO]) -> tuple[int, int, int] | None:
    """Return (line, byte offset, byte value) of the first undecodable byte, or None if all decode."""
    offset, line = 0, 1
    with opener() as stream:
        for block in _blocks(stream):
            try:
                block.decode(codec)
            except UnicodeDecodeError as exc:
                return line + block.count(b"\n", 0, exc.start), offset + exc.start, block[exc.start]
            offset += len(block)
            line += block.count(b"\n")
    return None


def forced_codec(encoding: str) -> str:
    """Return the codec for an encoding a caller forces (utf-8, gb18030 or gbk), or raise TextFileError."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        name = ""
    if name not in ENCODINGS:
        raise TextFileError(
            f"unsupported encoding {encoding!r}; use utf-8, gb18030 or gbk, or leave it out to detect it"
        )
    return ENCODINGS[name]


def detect_encoding(opener: Callable[[], BinaryIO], encoding: str | None = None) -> str:
    """Return the codec for the stream ``opener()`` gives, or raise TextFileError.

    ``encoding`` None detects 'utf-8-sig' or 'gb18030'; a forced one must decode the whole stream.
    """
    if encoding is not None:
        codec = forced_codec(encoding)
        error = _first_error(codec, opener)
        if error is None:
            return codec
        label = codec.removesuffix("-sig").upper()
        raise TextFileError(
            f"the file is not {label} text as its encoding was given (byte 0x{error[2]:02X} at line "
            f"{error[0]}, offset {error[1]}, is not valid {label}); give its real encoding or leave "
            "it out to detect it",
            error[0],
        )
    utf8 = _first_error("utf-8", opener)
    if utf8 is None:
        return "utf-8-sig"
    gb = _first_error("gb18030", opener)
    if gb is None:
        return "gb18030"
    raise TextFileError(
        f"the file is neither UTF-8 text (byte 0x{utf8[2]:02X} at line {utf8[0]}, offset {utf8[1]}, "
        f"is not valid UTF-8) nor GB18030/GBK text (byte 0x{gb[2]:02X} at line {gb[0]}, offset {gb[1]}); "
        "save it as UTF-8",
        utf8[0],
    )


def decode(data: bytes, encoding: str | None = None) -> str:
    """Decode uploaded bytes (UTF-8 with or without BOM, else GB18030/GBK) or raise TextFileError."""
    return data.decode(detect_encoding(lambda: io.BytesIO(data), encoding))


def _tracked(lines: Iterable[str], last: list[str]) -> Iterator[str]:
    """Pass lines through, remembering the last one."""
    for line in lines:
        last[0] = line
        yield line


def iter_csv(lines: Iterable[str], max_rows: int | None = None) -> Iterator[tuple[int, list[str]]]:
    """Yield (line, fields): the header first, then every data row; raise TextFileError on a defect.

    ``lines`` must come from a stream opened with ``newline=""``. Blank lines are skipped.
    """
    last = [""]
    reader = csv.reader(_tracked(lines, last), strict=True)
    header: list[str] | None = None
    rows, previous = 0, 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            start = previous + 1
            if "end of data" in str(exc) or reader.line_num > start:
                raise TextFileError(
                    f"line {start}: a quoted field is never closed (unterminated quote)", start
                ) from None
            raise TextFileError(f"line {reader.line_num}: malformed CSV: {exc}", reader.line_num) from None
        start, previous = previous + 1, reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if header is None:
            header = row
            header[0] = header[0].removeprefix("\ufeff")
        elif len(row) != len(header):
            if not last[0].endswith(("\n", "\r")):
                raise _cut_off(start)
            raise TextFileError(
                f"line {start} has {len(row)} field{'s' if len(row) != 1 else ''}, the header has "
                f"{len(header)}; the file may be cut off or malformed",
                start,
            )
        else:
            rows += 1
            if max_rows is not None and rows > max_rows:
                raise TooManyRows(f"the file has more than {max_rows} rows; at most {max_rows}", start)
        yield start, row
    if header is None:
        raise TextFileError("the file is empty; the first line must name the columns", 1)
    if not last[0].endswith(("\n", "\r")):
        raise _cut_off(previous)


def _cut_off(line: int) -> TextFileError:
    """The error for a last line without a line break."""
    return TextFileError(
        f"line {line} does not end with a line break: the file may have been cut off "
        "(its last row incomplete); nothing was read",
        line,
    )


def parse_csv(text: str, max_rows: int | None = None, encoding: str = "utf-8") -> CsvTable:
    """Check decoded CSV text and return its header and rows."""
    table: CsvTable | None = None
    for line, row in iter_csv(io.StringIO(text, newline=""), max_rows):
        if table is None:
            table = CsvTable(encoding, row)
        else:
            table.rows.append(row)
            table.lines.append(line)
    assert table is not None  # iter_csv raises on an empty file
    return table


def read_csv_bytes(data: bytes, max_rows: int | None = None, encoding: str | None = None) -> CsvTable:
    """Decode and check an uploaded CSV (any supported encoding) and return its header and rows."""
    codec = detect_encoding(lambda: io.BytesIO(data), encoding)
    return parse_csv(data.decode(codec), max_rows, codec)


def check_csv_file(
    path: Path, max_rows: int | None = None, encoding: str | None = None
) -> tuple[str, list[str], int]:
    """Check a CSV file of any size in one streaming pass; return (encoding, header, data rows)."""
    path = Path(path)
    encoding = detect_encoding(lambda: path.open("rb"), encoding)
    header: list[str] = []
    count = -1
    with path.open(encoding=encoding, newline="") as handle:
        for _, row in iter_csv(handle, max_rows):
            if count < 0:
                header = row
            count += 1
    return encoding, header, count


def pyarrow_encoding(encoding: str) -> str:
    """Return the name pyarrow's CSV reader takes for a detected encoding (it skips a UTF-8 BOM)."""
    return "utf8" if codecs.lookup(encoding).name.startswith("utf-8") else encoding


def neutralise(value):
    """Prefix a text cell that a spreadsheet would run as a formula with ``'``; other values pass.

    Numbers (also written as text, like "-12.5") are left as they are: a spreadsheet does not run them.
    """
    if isinstance(value, str) and value.startswith(_FORMULA) and not _NUMBER.match(value):
        return "'" + value
    return value
