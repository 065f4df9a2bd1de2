"""Check a change against the register as it stands: every problem with its field and reason.

The document was read by ``document.read`` (its own problems are listed there); here each part
is looked up: a version it ends must be in force up to the effective date and not changed
since, a code it starts must be free, a parent in force, an edge's ends in force, a boundary
within its parent. The same check runs when a draft is saved, submitted and published, so a
second publication touching the same divisions is checked against the first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import asyncpg
import shapely

from boundaries.changes import queries as q
from boundaries.changes.document import Change

OUTSIDE_TOLERANCE_DEG = 0.01
"""How far (degrees, ~1 km) a new boundary may stray over its parent's edge without counting."""
INSIDE_SHARE = 0.9
"""The share of a new boundary's area that must lie within its parent."""


@dataclass
class Register:
    """The versions of the codes a change touches, as the database holds them now."""

    versions: dict[str, list[dict]] = field(default_factory=dict)
    last_edges: dict[str, date] = field(default_factory=dict)

    def latest(self, code: str) -> dict | None:
        """Return the newest version of ``code``."""
        found = self.versions.get(code)
        return found[-1] if found else None

    def open_at(self, code: str, when: date) -> dict | None:
        """Return the version of ``code`` that is in force on the day before ``when`` and still open."""
        v = self.latest(code)
        return v if v is not None and v["valid_to"] is None and v["valid_from"] < when else None

    def in_force(self, code: str, when: date) -> dict | None:
        """Return the version of ``code`` in force on ``when`` (open or not)."""
        for v in self.versions.get(code, ()):
            if v["valid_from"] <= when and (v["valid_to"] is None or when < v["valid_to"]):
                return v
        return None


async def register(conn: asyncpg.Connection, codes: list[str]) -> Register:
    """Read the versions and the latest edge dates of ``codes``."""
    reg = Register()
    for row in await q.versions_of(conn, codes):
        reg.versions.setdefault(row["code"], []).append(dict(row))
    reg.last_edges = await q.last_edge_dates(conn, codes)
    return reg


def _since(reg: Register, code: str) -> date | None:
    """The date of the last recorded change of ``code``: its newest version's start, end or edge."""
    v = reg.latest(code)
    if v is None:
        return None
    dates = [v["valid_from"], *(d for d in (v["valid_to"], reg.last_edges.get(code)) if d)]
    return max(dates)


def _touch(change: Change, reg: Register, code: str, where: str, when: date) -> dict | None:
    """Check that ``code`` continues through ``when`` and was not changed on or after it."""
    v = reg.open_at(code, when)
    last = _since(reg, code)
    if v is None:
        latest = reg.latest(code)
        if latest is None:
            change.problem(where, f"{code} is not a known division")
        elif latest["valid_to"] is not None and latest["valid_to"] <= when:
            change.problem(
                where, f"{code} {latest['name']} is not in use on {when} (it ended {latest['valid_to']})"
            )
        else:
            change.problem(
                "effective",
                f"{when} is before the last recorded change of {code} {latest['name']} ({last}); "
                "record changes in date order",
            )
        return None
    if last is not None and last >= when:
        change.problem(
            "effective", f"{when} is before the last recorded change of {code} {v['name']} ({last})"
        )
    return v


def check(change: Change, reg: Register) -> None:
    """Add to ``change.problems`` everything that does not fit the register (no database access)."""
    when = change.effective
    if when is None:
        return
    ended = set(change.ends)
    started = change.started
    for i, code in enumerate(change.ends):
        _touch(change, reg, code, f"ends[{i}]", when)
    for i, s in enumerate(change.starts):
        where = f"starts[{i}]"
        if s.code not in ended:
            used = reg.in_force(s.code, when) or (
                reg.latest(s.code) if reg.latest(s.code) and reg.latest(s.code)["valid_to"] is None else None
            )
            if used is not None:
                change.problem(f"{where}.code", f"code {s.code} is in use by {used['name']} on {when}")
                continue
        clash = [v for v in reg.versions.get(s.code, ()) if v["first_year"] == when.year]
        if clash:
            change.problem(
                f"{where}.code",
                f"{s.code} already has a version starting in {when.year}; the register keeps one "
                "version of a code per year",
            )
        later = [v for v in reg.versions.get(s.code, ()) if v["valid_from"] >= when]
        if later and s.code not in ended:
            change.problem(
                "effective",
                f"{when} is before the last recorded change of {s.code} ({later[-1]['valid_from']})",
            )
        if s.parent is not None and s.parent not in started:
            parent = reg.open_at(s.parent, when)
            if parent is None or s.parent in ended:
                change.problem(f"{where}.parent", f"parent {s.parent} is not in force on {when}")
    checked: set[str] = set(ended)
    for i, e in enumerate(change.edges):
        for end, code, new_side in (("from", e.source, False), ("to", e.target, True)):
            if code in ended and not new_side:
                continue
            if code in started and new_side:
                continue
            where = f"edges[{i}].{end}"
            if code in ended:
                change.problem(where, f"{code} ends in this change, so no area can go to it")
                continue
            if code not in checked:
                checked.add(code)
                _touch(change, reg, code, where, when)
    for i, b in enumerate(change.boundaries):
        if b.code in ended:
            change.problem(
                f"boundaries[{i}].code",
                f"{b.code} ends in this change; give the boundary of a division that starts or continues",
            )
        elif b.code not in started and b.code not in checked:
            checked.add(b.code)
            _touch(change, reg, b.code, f"boundaries[{i}].code", when)


def parent_of(change: Change, reg: Register, code: str) -> str | None:
    """Return the parent of a started or continuing division."""
    if code in change.started:
        return change.started[code].parent
    v = reg.open_at(code, change.effective) if change.effective else None
    return v["parent_code"] if v else None


async def check_boundaries(conn: asyncpg.Connection, change: Change, reg: Register) -> None:
    """Add a problem for every new boundary lying mostly outside its parent's boundary."""
    if change.effective is None:
        return
    day_before = change.effective - timedelta(days=1)
    for i, b in enumerate(change.boundaries):
        parent = parent_of(change, reg, b.code)
        if parent is None or parent in change.started:
            continue
        wkb = await q.geometry_wkb_at(conn, parent, day_before)
        if wkb is None:
            continue
        outer = shapely.from_wkb(wkb).buffer(OUTSIDE_TOLERANCE_DEG)
        area = b.geom.area
        share = shapely.intersection(b.geom, outer).area / area if area > 0 else 0.0
        if share < INSIDE_SHARE:
            change.problem(
                f"boundaries[{i}].geometry",
                f"only {share:.0%} of the boundary of {b.code} lies within its parent {parent}; "
                "check the coordinates and the crs",
            )


async def validate(conn: asyncpg.Connection, change: Change) -> list[dict]:
    """Check ``change`` against the register; return all its problems (document and register)."""
    reg = await register(conn, sorted({*change.codes, *(s.parent for s in change.starts if s.parent)}))
    check(change, reg)
    await check_boundaries(conn, change, reg)
    return change.problems
