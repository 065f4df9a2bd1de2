"""Audit: classify every row of another system's table of codes, names and dates against the index.

A row is ``valid`` (its code was in force at its date, under the name given if one is), a
``name_mismatch`` (in force under another official name), ``not_in_use`` (the code existed, but
not at that date: the nearest versions before and after it, and today's successors as resolve
gives them), ``never_existed`` or ``malformed`` (naming the field). The work is columnar:
distinct codes, names and dates are checked once each (the one code check, the one date parser),
then every row is looked up at once with NumPy (``searchsorted``) in arrays built once per
``LineageIndex``. Only distinct version gaps of rows not in use, and town or village rows (their
versions fetched beforehand in one ``towns.lookup``), are answered one by one. No SQL per row.
"""

from __future__ import annotations

import gc
import weakref
from dataclasses import dataclass, field
from datetime import date, timedelta

import asyncpg
import numpy as np
import pandas as pd

from boundaries.codes import check_code
from boundaries.errors import DivisionNotFound, InvalidInput
from boundaries.history import towns
from boundaries.history.service import LineageIndex, Node
from boundaries.history.towns import LocalCodes, is_local

STATUSES = ("valid", "name_mismatch", "not_in_use", "never_existed", "malformed")
VALID, MISMATCH, NOT_IN_USE, NEVER, MALFORMED = range(5)
MAX_ROWS = 1_000_000
"""The most rows one audit takes (API and command line)."""
_SHIFT = 22  # a date ordinal (< 2**20 until the year 2870) shares an int64 key with the code's number
_OPEN = np.iinfo(np.int64).max
_SIX, _LOCAL, _BAD = 0, 1, 2
_MISMATCH_NOTE = "the name differs from the official name on that date"
_NOT_LOADED = "town and village codes are not loaded: checked through county {} {} only"


@dataclass
class AuditRows:
    """The audited table as columns (each cell a string or None), with rows found malformed on reading.

    ``header`` and ``cells`` keep a CSV's original columns so the answer can repeat them.
    """

    codes: list
    names: list
    dates: list
    bad: dict[int, tuple[str, str]] = field(default_factory=dict)
    header: list[str] | None = None
    cells: list[list[str]] | None = None

    def __len__(self) -> int:
        """Return the number of rows."""
        return len(self.codes)

    @classmethod
    def from_json(cls, rows: list) -> AuditRows:
        """Take a JSON body's rows, objects ``{code, name?, date?}``; anything else is malformed."""
        bad: dict[int, tuple[str, str]] = {}
        for i, row in enumerate(rows):
            if not isinstance(row, dict):
                bad[i] = ("row", "each row must be an object {code, name, date}")
        columns = []
        for key in ("code", "name", "date"):
            column = [row.get(key) if type(row) is dict else None for row in rows]
            for i, value in enumerate(column):
                if value is not None and type(value) is not str:
                    bad.setdefault(i, (key, f"{key} must be a string, got {value!r}"))
                    column[i] = None
            columns.append(column)
        return cls(*columns, bad=bad)

    @classmethod
    def from_table(
        cls,
        header: list[str],
        cells: list[list[str]],
        code_col: str = "code",
        name_col: str = "name",
        date_col: str = "date",
    ) -> AuditRows:
        """Take a checked CSV table; a name or date column left at its default name may be absent."""
        lowered = [h.strip().lower() for h in header]

        def position(name: str, option: str, default: str | None) -> int | None:
            if name.strip().lower() in lowered:
                return lowered.index(name.strip().lower())
            if name == default:
                return None
            raise InvalidInput(option, f"CSV header has no column {name!r} (columns: {', '.join(header)})")

        wanted = [
            position(code_col, "code_col", None),
            position(name_col, "name_col", "name"),
            position(date_col, "date_col", "date"),
        ]
        columns = [
            [row[i].strip() or None for row in cells] if i is not None else [None] * len(cells)
            for i in wanted
        ]
        return cls(*columns, header=header, cells=cells)


@dataclass
class AuditResult:
    """Per row (input order): status, the date checked, official name, malformed field, note, versions."""

    rows: AuditRows
    at: date
    status: np.ndarray
    when: np.ndarray
    official: np.ndarray
    field: np.ndarray
    note: np.ndarray
    before: np.ndarray
    after: np.ndarray
    successors: np.ndarray

    def summary(self) -> dict:
        """Count the rows of each status."""
        counts = np.bincount(self.status, minlength=len(STATUSES))
        return {
            "rows": len(self.rows),
            "at": self.at,
            **{s: int(c) for s, c in zip(STATUSES, counts, strict=True)},
        }

    def statuses(self) -> list[str]:
        """Return each row's status name."""
        return np.array(STATUSES, dtype=object)[self.status].tolist()

    def dates(self) -> list[date | None]:
        """Return the date each row was checked at (None where its date was malformed)."""
        memo = {0: None}
        return [memo[o] if o in memo else memo.setdefault(o, date.fromordinal(o)) for o in self.when.tolist()]

    def records(self) -> list[dict]:
        """Describe every row for JSON (the collector paused: a million dicts are not garbage)."""
        paused = gc.isenabled()
        gc.disable()
        try:
            return self._records()
        finally:
            if paused:
                gc.enable()

    def _records(self) -> list[dict]:
        r = self.rows
        return [
            {
                "row": i,
                "code": code,
                "name": name,
                "date": raw,
                "at": when,
                "status": status,
                "official_name": official,
                "field": bad_field,
                "note": note,
                "before": before,
                "after": after,
                "successors": successors or [],
            }
            for i, (
                code,
                name,
                raw,
                when,
                status,
                official,
                bad_field,
                note,
                before,
                after,
                successors,
            ) in enumerate(
                zip(
                    r.codes,
                    r.names,
                    r.dates,
                    self.dates(),
                    self.statuses(),
                    self.official.tolist(),
                    self.field.tolist(),
                    self.note.tolist(),
                    self.before.tolist(),
                    self.after.tolist(),
                    self.successors.tolist(),
                    strict=True,
                )
            )
        ]


def local_codes(rows: AuditRows) -> list[str]:
    """Return the town and village codes among the rows."""
    return [c for c in rows.codes if c and len(c) in (9, 12) and c.isdigit()]


async def fetch_local_codes(conn: asyncpg.Connection, rows: AuditRows) -> LocalCodes:
    """Fetch the versions of every town and village code among the rows, in one query."""
    return await towns.lookup(conn, local_codes(rows))


class _Versions:
    """The index's versions as arrays ordered by code, then start: one ``searchsorted`` finds a row's."""

    def __init__(self, index: LineageIndex) -> None:
        codes = sorted(index.by_code)
        self.number = {c: i for i, c in enumerate(codes)}
        self.nodes: list[Node] = [n for c in codes for n in index.by_code[c]]
        self.code_of = np.array([self.number[n.code] for n in self.nodes], dtype=np.int64)
        starts = np.array([n.valid_from.toordinal() for n in self.nodes], dtype=np.int64)
        self.keys = (self.code_of << _SHIFT) + starts
        self.ends = np.array([n.valid_to.toordinal() if n.valid_to else _OPEN for n in self.nodes], np.int64)
        self.names = np.array([n.name for n in self.nodes], dtype=object)


_TABLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _versions(index: LineageIndex) -> _Versions:
    """Return the arrays of an index, built on first use."""
    table = _TABLES.get(index)
    if table is None:
        table = _TABLES[index] = _Versions(index)
    return table


def _version_out(node: Node | None) -> dict | None:
    """Describe a version for JSON."""
    if node is None:
        return None
    return {"code": node.code, "name": node.name, "valid_from": node.valid_from, "valid_to": node.valid_to}


def _gap(index: LineageIndex, prev: Node | None, nxt: Node | None, today: date) -> tuple:
    """Answer a code not in force from its nearest versions: (official, note, before, after, today)."""
    parts = []
    if prev is not None:
        parts.append(f"{prev.code} was {prev.name} from {prev.valid_from} until {prev.valid_to}")
    if nxt is not None:
        parts.append(f"{'then' if prev else 'in use only'} from {nxt.valid_from} as {nxt.name}")
    elif prev is not None:
        parts.append(f"retired in {prev.valid_to.year}")
    ref = prev or nxt
    assert ref is not None
    last = prev.valid_to - timedelta(days=1) if prev is not None else nxt.valid_from
    resolved = index.resolve([{"code": ref.code, "at": last.isoformat()}], today)[0]
    note = "not in use on that date: " + ", ".join(parts)
    return ref.name, note, _version_out(prev), _version_out(nxt), resolved["today"]


def _nearest(index: LineageIndex, code: str, when: date) -> tuple[Node | None, Node | None]:
    """Return the versions of ``code`` just before and just after ``when`` (it is in force at neither)."""
    prev = nxt = None
    for node in index.by_code.get(code, ()):
        if node.valid_from <= when:
            prev = node
        elif nxt is None:
            nxt = node
    return prev, nxt


def _local(index: LineageIndex, local: LocalCodes | None, code: str, when: date, today: date) -> tuple:
    """Answer a town or village code: (status, official, note, before, after, successors)."""
    if local is None or local.summary is None:
        county = code[:6]
        node = index.version_at(county, when)
        if node is not None:
            return VALID, None, _NOT_LOADED.format(county, node.name), None, None, None
        if county not in index.by_code:
            return NEVER, None, f"its county {county} is not a division code in any year", None, None, None
        return (NOT_IN_USE, *_gap(index, *_nearest(index, county, when), today))
    try:
        row = local.require(code, when)
    except DivisionNotFound as exc:
        known = local.versions.get(code)
        if not known:
            return NEVER, None, str(exc), None, None, None
        first = known[0]
        resolved = index.resolve([{"code": code, "at": first["valid_from"].isoformat()}], today, local)[0]
        return NOT_IN_USE, first["name"], str(exc), None, None, resolved["today"]
    return VALID, row["name"], None, None, None, None


def audit_table(
    index: LineageIndex, rows: AuditRows, at: date, today: date, local: LocalCodes | None = None
) -> AuditResult:
    """Classify every row in input order; rows without a date are checked at ``at``."""
    n = len(rows)
    coverage = index.coverage(today)
    table = _versions(index)
    none = np.full(n, None, dtype=object)
    result = AuditResult(
        rows, at, np.zeros(n, np.int8), np.zeros(n, np.int64), *(none.copy() for _ in range(6))
    )

    # distinct codes, dates and names, each checked once; slot -1 stands for a missing cell
    code_ix, ucodes = pd.factorize(np.asarray(rows.codes, dtype=object))
    kinds, numbers, messages = [], [], []
    for code in ucodes:
        try:
            check_code(code)
        except InvalidInput as exc:
            kinds.append(_BAD), numbers.append(-1), messages.append(str(exc))
            continue
        local_code = is_local(code)
        kinds.append(_LOCAL if local_code else _SIX)
        numbers.append(-1 if local_code else table.number.get(code, -1))
        messages.append(None)
    kinds.append(_BAD), numbers.append(-1), messages.append("code is required")
    date_ix, udates = pd.factorize(np.asarray(rows.dates, dtype=object))
    ordinals, date_errors = [], []
    for raw in udates:
        try:
            ordinals.append(coverage.parse(raw, "date").toordinal() if raw.strip() else at.toordinal())
            date_errors.append(None)
        except InvalidInput as exc:
            ordinals.append(0), date_errors.append(str(exc))
    ordinals.append(at.toordinal()), date_errors.append(None)
    name_ix, unames = pd.factorize(np.asarray(rows.names, dtype=object))
    stripped = np.array([u.strip() or None for u in unames] + [None], dtype=object)

    kind = np.array(kinds, np.int8)[code_ix]
    number = np.array(numbers, np.int64)[code_ix]
    ords = np.array(ordinals, np.int64)[date_ix]
    given = stripped[name_ix]
    has_name = np.array([s is not None for s in stripped], bool)[name_ix]
    code_bad = kind == _BAD
    date_msg = np.array(date_errors, dtype=object)
    date_bad = np.array([e is not None for e in date_errors], bool)[date_ix] & ~code_bad
    result.when[:] = np.where(date_bad, 0, ords)

    # malformed: the code first, then the date; problems found on reading win
    malformed = code_bad | date_bad
    result.field[code_bad] = "code"
    result.note[code_bad] = np.array(messages, dtype=object)[code_ix][code_bad]
    result.field[date_bad] = "date"
    result.note[date_bad] = date_msg[date_ix][date_bad]
    for i, (bad_field, message) in rows.bad.items():
        result.field[i], result.note[i], malformed[i] = bad_field, message, True
    result.when[malformed] = 0
    result.status[malformed] = MALFORMED

    six = (kind == _SIX) & ~malformed
    never = six & (number < 0)
    result.status[never] = NEVER
    first_year = (index.first_date or today).year
    result.note[never] = f"not a division code in any year from {first_year} to today"

    known = np.flatnonzero(six & (number >= 0))
    pos = np.searchsorted(table.keys, (number[known] << _SHIFT) + ords[known], side="right") - 1
    safe = np.maximum(pos, 0)
    same = (pos >= 0) & (table.code_of[safe] == number[known])
    in_force = same & (ords[known] < table.ends[safe])

    rows_in, found = known[in_force], pos[in_force]
    official = table.names[found]
    result.official[rows_in] = official
    differs = has_name[rows_in] & np.not_equal(given[rows_in], official)
    result.status[rows_in[differs]] = MISMATCH
    result.note[rows_in[differs]] = _MISMATCH_NOTE

    gap, gap_pos = known[~in_force], pos[~in_force]
    if len(gap):
        result.status[gap] = NOT_IN_USE
        before = np.where(same[~in_force], gap_pos, -1)
        nxt = np.minimum(gap_pos + 1, len(table.nodes) - 1)
        after = np.where((gap_pos + 1 < len(table.nodes)) & (table.code_of[nxt] == number[gap]), nxt, -1)
        pairs, inverse = np.unique((before + 1) * (len(table.nodes) + 2) + after + 1, return_inverse=True)
        answers = []
        for pair in pairs.tolist():
            b, a = divmod(pair, len(table.nodes) + 2)
            prev = table.nodes[b - 1] if b else None
            answers.append(_gap(index, prev, table.nodes[a - 1] if a else None, today))
        for column, target in enumerate(("official", "note", "before", "after", "successors")):
            values = np.empty(len(answers), dtype=object)
            for j, answer in enumerate(answers):
                values[j] = answer[column]
            getattr(result, target)[gap] = values[inverse.ravel()]

    memo: dict[tuple[str, int], tuple] = {}
    for i in np.flatnonzero((kind == _LOCAL) & ~malformed).tolist():
        key = (rows.codes[i], int(ords[i]))
        if key not in memo:
            memo[key] = _local(index, local, key[0], date.fromordinal(key[1]), today)
        status, official_name, note, before_v, after_v, successors = memo[key]
        if status == VALID and official_name is not None and has_name[i] and given[i] != official_name:
            status, note = MISMATCH, _MISMATCH_NOTE
        result.status[i], result.official[i], result.note[i] = status, official_name, note
        result.before[i], result.after[i], result.successors[i] = before_v, after_v, successors
    return result
