"""Reader for the areacodes data set: yearly code tables and the area-diff grammar."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from boundaries.errors import SourceDataError

FIRST_YEAR = 1981
ROOT_CODE = "000000"

Table = dict[str, str]
"""One yearly table: code → name, as of 31 December of that year."""


def level_of(code: str) -> str:
    """Return province, prefecture or county for a six-digit code."""
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "prefecture"
    return "county"


def parent_in(code: str, table: Table) -> str | None:
    """Return the parent code of ``code`` within one table (the spec's rule 4)."""
    if code == ROOT_CODE:
        return None
    if code[2:] == "0000":
        return ROOT_CODE
    if code[4:] != "00" and code[:4] + "00" in table:
        return code[:4] + "00"
    province = code[:2] + "0000"
    return province if province in table else None


def read_table(path: Path) -> Table:
    """Read one ``data/YYYY.txt`` file into a table, failing loudly on a malformed line."""
    table: Table = {}
    for lineno, raw in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        code, _, name = line.partition(" ")
        if not (len(code) == 6 and code.isdigit() and name):
            raise SourceDataError(f"{path.name} line {lineno}: expected 'CODE NAME', got {raw!r}")
        if code in table:
            raise SourceDataError(f"{path.name} line {lineno}: code {code} appears twice")
        table[code] = name
    return table


def read_tables(root: Path) -> dict[int, Table]:
    """Read every yearly table under ``root/data`` keyed by year."""
    files = sorted((root / "data").glob("[12][0-9][0-9][0-9].txt"))
    if not files:
        raise SourceDataError(f"no yearly tables data/YYYY.txt under {root}")
    tables = {int(p.stem): read_table(p) for p in files}
    years = sorted(tables)
    if years != list(range(years[0], years[-1] + 1)):
        raise SourceDataError(f"yearly tables under {root} are not consecutive: {years}")
    return tables


# --- dates written in the comment metadata ------------------------------------------

_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0}
_ARABIC_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?")
_CN_DATE = re.compile(
    r"([〇零○一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日?"
)


def _cn_small(text: str) -> int:
    """Convert a Chinese numeral from 1 to 39 (十, 十二, 二十六, 三十一) to an int."""
    if "十" not in text:
        return _CN_DIGITS[text]
    tens, _, ones = text.partition("十")
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)


def parse_cn_date(text: str) -> date | None:
    """Parse ``2016年6月8日`` or ``一九八五年四月十五日``; return None when it is not a date."""
    text = text.strip()
    try:
        if m := _ARABIC_DATE.fullmatch(text):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := _CN_DATE.fullmatch(text):
            year = int("".join(str(_CN_DIGITS[c]) for c in m[1]))
            return date(year, _cn_small(m[2]), _cn_small(m[3]))
    except (ValueError, KeyError):
        return None
    return None


# --- the diff grammar -----------------------------------------------------------------


@dataclass(frozen=True)
class Selector:
    """One record selector: ``_``, ``.``, ``..`` or a name, optionally doubtful (``?``/``!``)."""

    value: str
    flag: str = ""

    @property
    def enabled(self) -> bool:
        """Return False for a selector disabled with ``?``."""
        return self.flag != "?"


@dataclass
class Description:
    """A change description: the comment block above one or more change lines."""

    text: str
    line: int
    sections: list[dict[str, str]] = field(default_factory=list)

    @property
    def title(self) -> str | None:
        """Return the first heading, normally the title of the approval document."""
        return next((s["heading"] for s in self.sections if s.get("heading")), None)

    @property
    def doc_number(self) -> str | None:
        """Return the first 文号 given."""
        return next((s["文号"] for s in self.sections if s.get("文号")), None)

    def dates(self) -> list[date]:
        """Return every 日期 that parses as a date."""
        return [d for s in self.sections if (d := parse_cn_date(s.get("日期", "")))]


@dataclass
class DiffLine:
    """One change line: ``-``, ``+`` or ``=``, its record and its selectors."""

    op: str
    code: str
    name: str
    direction: str  # ">" selects in the target table, "<" in the source table, "" none
    selectors: list[Selector]
    line: int
    description: Description | None


_CHANGE = re.compile(r"([-+=])(\d{6}) (\S+?)(?:([<>])(.+))?")


def _parse_description(lines: list[tuple[int, str]]) -> Description:
    """Turn consecutive ``#`` lines into a description with its metadata sections."""
    content = [re.sub(r"^#\s?", "", text, count=1) for _, text in lines]
    sections: list[dict[str, str]] = [{}]
    in_meta = True
    for row in content:
        if row.startswith("#"):
            sections.append({"heading": row.lstrip("#").strip()})
            in_meta = True
        elif not row.strip():
            in_meta = False
        elif in_meta and (m := re.fullmatch(r"([^：:\s]{1,8})[：:]\s*(.*)", row.strip())):
            sections[-1][m[1]] = m[2].strip()
        else:
            in_meta = False
    return Description("\n".join(content), lines[0][0], [s for s in sections if s])


def parse_diff(text: str, name: str = "<diff>") -> list[DiffLine]:
    """Parse one area-diff file into change lines attached to their descriptions."""
    out: list[DiffLine] = []
    comment: list[tuple[int, str]] = []
    current: Description | None = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not line:
            continue
        if line.startswith("#"):
            if not comment:
                current = None
            comment.append((lineno, line))
            continue
        if comment:
            current = _parse_description(comment)
            comment = []
        m = _CHANGE.fullmatch(line)
        if not m:
            raise SourceDataError(f"{name} line {lineno}: not a change line: {raw!r}")
        op, code, rec_name, direction, attrs = m.groups()
        if op == "=" and not direction:
            raise SourceDataError(f"{name} line {lineno}: a transfer line needs '<' or '>'")
        selectors = []
        for part in (attrs or "").split(",") if attrs else []:
            flag = part[-1] if part[-1] in "?!" else ""
            value = part[:-1] if flag else part
            if not value:
                raise SourceDataError(f"{name} line {lineno}: empty selector in {raw!r}")
            selectors.append(Selector(value, flag))
        out.append(DiffLine(op, code, rec_name, direction or "", selectors, lineno, current))
    return out


def read_diffs(root: Path) -> dict[int, list[DiffLine]]:
    """Read every ``diff/Y1-Y2.diff`` keyed by the target year Y2."""
    diffs: dict[int, list[DiffLine]] = {}
    for path in sorted((root / "diff").glob("*.diff")):
        m = re.fullmatch(r"(\d{4})-(\d{4})", path.stem)
        if not m or int(m[2]) != int(m[1]) + 1:
            raise SourceDataError(f"unexpected diff file name {path.name}")
        diffs[int(m[2])] = parse_diff(path.read_text(encoding="utf-8-sig"), path.name)
    return diffs


class Selection:
    """Resolves selectors against one table, following the spec's selection steps."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.by_name: dict[str, list[str]] = {}
        for code, name in table.items():
            self.by_name.setdefault(name, []).append(code)

    def parent_name(self, code: str, home: Table) -> str:
        """Return the name of a record's parent in its own table ('' for none)."""
        parent = parent_in(code, home)
        return home.get(parent, "") if parent else ""

    def named(self, value: str, code: str, home: Table) -> str:
        """Select by name; qualify with the current record's parent name when ambiguous."""
        found = self.by_name.get(value, [])
        if len(found) == 1:
            return found[0]
        if found:
            value = self.parent_name(code, home) + value
        marked = {c for i in range(1, len(value)) for c in self.by_name.get(value[:i], [])}
        if len(marked) != 1:
            raise SourceDataError(f"selector {value!r} does not select one record")
        (parent,) = marked
        rest = value[len(self.table[parent]) :]
        hits = [c for c in self.by_name.get(rest, []) if parent_in(c, self.table) == parent]
        if len(hits) != 1:
            raise SourceDataError(f"selector {value!r} does not select one record")
        return hits[0]

    def select(self, sel: Selector, code: str, name: str, home: Table) -> str:
        """Return the code that one enabled selector selects in this table."""
        if sel.value == ".":
            found = code
        elif sel.value == "..":
            found = parent_in(code, home) or ""
        else:
            found = self.named(name if sel.value == "_" else sel.value, code, home)
        if found not in self.table and found != ROOT_CODE:
            raise SourceDataError(f"selector {sel.value!r} of {code} {name} selects nothing")
        return found
