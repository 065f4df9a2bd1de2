"""Build division versions, change events and lineage edges from tables and diffs."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from boundaries.errors import SourceDataError
from boundaries.sources.areacodes import (
    ROOT_CODE,
    Description,
    DiffLine,
    Selection,
    Table,
    level_of,
    parent_in,
)

VersionKey = tuple[str, int]
"""A version is identified by its code and the first year it appears in the tables."""


@dataclass
class Version:
    """A run of consecutive years in which a code carried the same name."""

    code: str
    name: str
    first_year: int
    last_year: int
    parent_code: str | None
    valid_from: date
    from_precision: str = "year"
    valid_to: date | None = None
    to_precision: str | None = None

    @property
    def key(self) -> VersionKey:
        """Return the stable natural key (code, first year)."""
        return (self.code, self.first_year)

    @property
    def level(self) -> str:
        """Return province, prefecture or county."""
        return level_of(self.code)


@dataclass
class Event:
    """One change: a kind, the year it shows in the tables and its official document."""

    year: int
    kind: str
    effective: date
    precision: str
    description: Description | None
    source: str
    old_codes: list[str] = field(default_factory=list)
    new_codes: list[str] = field(default_factory=list)


@dataclass
class Edge:
    """Area passes from one version to another: wholly, or a part of it."""

    old: VersionKey
    new: VersionKey
    event: int
    relation: str
    doubtful: bool
    effective: date
    precision: str


@dataclass
class Lineage:
    """Everything the ingest writes: versions, events and edges."""

    versions: dict[VersionKey, Version]
    events: list[Event]
    edges: list[Edge]
    first_year: int
    last_year: int


def build_versions(tables: dict[int, Table]) -> tuple[dict[VersionKey, Version], dict]:
    """Group consecutive years with the same code and name into versions."""
    versions: dict[VersionKey, Version] = {}
    at_year: dict[tuple[int, str], VersionKey] = {}
    years = sorted(tables)
    for year in years:
        prev = tables.get(year - 1, {})
        for code, name in tables[year].items():
            if prev.get(code) == name:
                key = at_year[(year - 1, code)]
                versions[key].last_year = year
            else:
                key = (code, year)
                parent = parent_in(code, tables[year])
                parent = None if parent == ROOT_CODE else parent
                versions[key] = Version(code, name, year, year, parent, date(year, 1, 1))
            at_year[(year, code)] = key
    return versions, at_year


def effective_date(desc: Description | None, year: int) -> tuple[date, str]:
    """Return the official date within ``year`` (day precision) or 1 January (year)."""
    dates = [d for d in (desc.dates() if desc else []) if d.year == year]
    return (max(dates), "day") if dates else (date(year, 1, 1), "year")


def _resolve_line(line: DiffLine, src: Selection, dst: Selection, name: str):
    """Yield (old code, new code, doubtful) area edges that one change line states."""
    here = f"{name} line {line.line}"
    if line.op in "-=" and src.table.get(line.code) != line.name:
        raise SourceDataError(f"{here}: {line.code} {line.name} is not in the source table")
    if line.op in "+=" and dst.table.get(line.code) != line.name:
        raise SourceDataError(f"{here}: {line.code} {line.name} is not in the target table")
    forward = line.direction == ">"
    home, selection = (src.table, dst) if forward else (dst.table, src)
    for sel in line.selectors:
        if not sel.enabled:
            continue
        try:
            hit = selection.select(sel, line.code, line.name, home)
        except SourceDataError as exc:
            raise SourceDataError(f"{here}: {exc}") from None
        if hit != ROOT_CODE:  # area from or to the country as a whole has no version
            yield ((line.code, hit) if forward else (hit, line.code)), sel.flag == "!"


def _classify(ended: set, started: set, old: set, new: set) -> str:
    """Name the kind of one connected group of changes."""
    if not ended and not started:
        return "transfer"
    if len(ended) == 1 and len(started) == 1 and old == ended and new == started:
        (a,), (b,) = ended, started
        return "rename" if a[0] == b[0] else "code_change"
    if not started:
        return "abolish"
    if not ended:
        return "establish"
    if len(started) == 1 and new == started:
        return "merge"
    if len(ended) == 1 and old == ended:
        return "split"
    return "reorganize"


def _components(pairs: list[tuple[str, str]]) -> list[set[tuple[str, str]]]:
    """Return connected components of (side, code) nodes linked by old→new pairs."""
    parent: dict = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        parent[find(("old", a))] = find(("new", b))
    groups: dict = defaultdict(set)
    for node in list(parent):
        groups[find(node)].add(node)
    return list(groups.values())


class _YearBuilder:
    """Resolves one year's diff into events and edges."""

    def __init__(self, lineage: Lineage, at_year: dict, tables: dict[int, Table], year: int):
        self.lineage, self.at_year, self.year = lineage, at_year, year
        self.src, self.dst = tables[year - 1], tables[year]
        self.selections = Selection(self.src), Selection(self.dst)

    def key(self, year: int, code: str) -> VersionKey:
        """Return the version a code had in a year."""
        return self.at_year[(year, code)]

    def continues(self, code: str) -> bool:
        """Tell whether a code keeps its version across the year boundary."""
        return self.src.get(code) is not None and self.src.get(code) == self.dst.get(code)

    def run(self, lines: list[DiffLine], name: str) -> None:
        """Resolve all lines of the diff that leads into ``self.year``."""
        by_desc: dict[int, list[DiffLine]] = defaultdict(list)
        descs: dict[int, Description | None] = {}
        for line in lines:
            by_desc[id(line.description)].append(line)
            descs[id(line.description)] = line.description
        seen: dict[tuple[str, str], Edge] = {}
        targets: dict[str, set[str]] = defaultdict(set)
        for ident, group in by_desc.items():
            self._description(descs[ident], group, name, seen, targets)
        for edge in seen.values():
            code = edge.old[0]
            count = len(targets[code]) + (1 if self.continues(code) else 0)
            edge.relation = "whole" if count == 1 else "partial"
        self.lineage.edges.extend(seen.values())

    def _description(self, desc, group, name, seen, targets) -> None:
        """Turn the lines of one description into events and edges."""
        when, precision = effective_date(desc, self.year)
        pairs: list[tuple[str, str]] = []
        flags: dict[tuple[str, str], bool] = {}
        for line in group:
            for pair, doubtful in _resolve_line(line, *self.selections, name):
                if pair[0] == pair[1] and self.continues(pair[0]):
                    continue  # a record restated because its parent changed: no area moves
                pairs.append(pair)
                flags[pair] = flags.get(pair, False) or doubtful
        lone = [line for line in group if not line.selectors and line.op != "="]
        comps = _components(pairs)
        comps += self._pair_lone(lone, comps)
        for comp in comps:
            old = {c for side, c in comp if side == "old"}
            new = {c for side, c in comp if side == "new"}
            ended = {self.key(self.year - 1, c) for c in old if not self.continues(c)}
            started = {self.key(self.year, c) for c in new if not self.continues(c)}
            old_keys = {self.key(self.year - 1, c) for c in old}
            new_keys = {self.key(self.year, c) for c in new}
            kind = _classify(ended, started, old_keys, new_keys)
            source = f"diff/{name}.diff line {group[0].line}"
            event = Event(self.year, kind, when, precision, desc, source)
            event.old_codes, event.new_codes = sorted(old), sorted(new)
            self.lineage.events.append(event)
            index = len(self.lineage.events) - 1
            for a, b in pairs:
                if ("old", a) in comp and (a, b) not in seen:
                    seen[(a, b)] = Edge(
                        self.key(self.year - 1, a),
                        self.key(self.year, b),
                        index,
                        "partial",
                        flags[(a, b)],
                        when,
                        precision,
                    )
                    targets[a].add(b)

    def _pair_lone(self, lone: list[DiffLine], comps: list[set]) -> list[set]:
        """Group records without selectors (those with children) by shared name or code."""
        placed = {node for comp in comps for node in comp}
        out: list[set] = []
        for line in lone:
            node = ("old" if line.op == "-" else "new", line.code)
            if node in placed:
                continue
            match = next(
                (
                    comp
                    for comp in out
                    if any(
                        side != node[0] and (self._name(side, c) == line.name or c == line.code)
                        for side, c in comp
                    )
                ),
                None,
            )
            if match is None:
                out.append({node})
            else:
                match.add(node)
        return out

    def _name(self, side: str, code: str) -> str:
        """Return the name of a code on the old or the new side."""
        return (self.src if side == "old" else self.dst)[code]


def build_lineage(tables: dict[int, Table], diffs: dict[int, list[DiffLine]]) -> Lineage:
    """Build the whole lineage: versions with dated validity, events and edges."""
    versions, at_year = build_versions(tables)
    first, last = min(tables), max(tables)
    lineage = Lineage(versions, [], [], first, last)
    for year in range(first + 1, last + 1):
        _YearBuilder(lineage, at_year, tables, year).run(diffs.get(year, []), f"{year - 1}-{year}")
    _date_versions(lineage)
    return lineage


def _date_versions(lineage: Lineage) -> None:
    """Give each version its valid period from the dates of the events that start and end it."""
    by_code: dict[str, list[Version]] = defaultdict(list)
    for version in lineage.versions.values():
        by_code[version.code].append(version)
    starts: dict[VersionKey, tuple[date, str]] = {}
    ends: dict[VersionKey, tuple[date, str]] = {}
    for event in lineage.events:
        when = (event.effective, event.precision)
        for code in event.new_codes:
            starts.setdefault((code, event.year), when)
        for code in event.old_codes:
            for v in by_code[code]:
                if v.last_year == event.year - 1:
                    ends.setdefault(v.key, when)
    for versions in by_code.values():
        versions.sort(key=lambda v: v.first_year)
        for v, nxt in zip(versions, [*versions[1:], None], strict=True):
            if v.first_year > lineage.first_year:
                v.valid_from, v.from_precision = starts.get(v.key, (date(v.first_year, 1, 1), "year"))
            if v.last_year == lineage.last_year:
                continue
            if nxt is not None and nxt.first_year == v.last_year + 1:
                end = starts.get(nxt.key, (date(nxt.first_year, 1, 1), "year"))
            else:
                end = ends.get(v.key, (date(v.last_year + 1, 1, 1), "year"))
            v.valid_to, v.to_precision = end
