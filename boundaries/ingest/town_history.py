"""Towns and villages over the statistical vintages: versions, spellings and inferred lineage (pure).

``TownHistory.add(package)`` takes the vintages oldest first. A code seen in consecutive
vintages with the same name is one version (names compared by ``spelling_key``, so a changed
spelling convention such as ``…街道办事处`` → ``…街道`` is not a rename: each vintage's spelling
is kept). A version starts the day after the previous vintage's cut-off (the first vintage's
versions on 1 January of its year) and ends the day after the last cut-off it was seen on: on
each cut-off date the versions in force are exactly that vintage's list.

Lineage between two consecutive vintages is read from village membership. A village keeps its
code, or, when it vanished, is found again as the one new village of the same (spelling-keyed)
name in its county or in the county's successors (``county_successors``: a county re-coded with
all its towns). A vanished town whose villages all reappear in one town was re-coded (a new
town holding only them) or merged into it; spread over several towns it was split; with no
village found again it was abolished. Villages moving between two towns that both continue are
a transfer; a new town none of whose villages come from elsewhere was established. Every edge
is ``whole`` (the whole area went there) or ``partial`` and keeps the village codes that moved.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from boundaries.sources.china_division import Package

_TOWN_TAIL = re.compile(r"(办事处|管理委员会|管委会)$")
_VILLAGE_TAIL = re.compile(r"(村民委员会|居民委员会|村委会|居委会|委员会)$")
_VILLAGE_PLACE = re.compile(r"(社区|村)$")
CountySuccessors = Callable[[str, date, date], set[str]]


def spelling_key(name: str, level: str) -> str:
    """The name without the parts whose spelling conventions changed between vintages."""
    if level == "town":
        return _TOWN_TAIL.sub("", name)
    return _VILLAGE_PLACE.sub("", _VILLAGE_TAIL.sub("", name))


@dataclass
class Version:
    """One version of a town or village across consecutive vintages."""

    code: str
    level: str
    parent: str
    key: str
    first_year: int
    valid_from: date
    from_precision: str
    last_year: int = 0
    valid_to: date | None = None
    to_precision: str | None = None
    spellings: dict[str, list[int]] = field(default_factory=dict)
    current: str = ""

    @property
    def name(self) -> str:
        """The spelling of the last vintage it was seen in."""
        return self.current


@dataclass
class Edge:
    """One inferred lineage edge between two versions."""

    source: Version
    target: Version
    relation: str
    evidence: list[str]


@dataclass
class Event:
    """One inferred change between two vintages, with its edges."""

    kind: str
    effective: date
    year: int
    title: str
    description: str
    old_codes: list[str]
    new_codes: list[str]
    edges: list[Edge] = field(default_factory=list)


@dataclass
class _Snapshot:
    towns: dict[str, str]  # code → name
    villages: dict[str, tuple[str, str]]  # code → (name, town)
    cut_off: date


class TownHistory:
    """Collects the vintages and infers their versions and lineage; see the module docstring."""

    def __init__(self, county_successors: CountySuccessors | None = None) -> None:
        self.county_successors = county_successors or (lambda code, _a, _b: {code})
        self.versions: list[Version] = []
        self.events: list[Event] = []
        self._open: dict[str, Version] = {}
        self._prev: _Snapshot | None = None
        self.vintages: list[int] = []

    def add(self, package: Package) -> None:
        """Take the next vintage (oldest first)."""
        vintage = package.vintage
        if self.vintages and vintage.year <= self.vintages[-1]:
            raise ValueError(f"vintages must come oldest first: {vintage.year} after {self.vintages[-1]}")
        prev = self._prev
        if prev is None:
            start, precision = date(vintage.year, 1, 1), "year"
        else:
            start, precision = prev.cut_off + timedelta(days=1), "vintage"
        before = dict(self._open)
        seen: set[str] = set()
        renamed: list[tuple[Version, Version]] = []
        for level, rows in (("town", package.towns), ("village", package.villages)):
            for code, name, parent in rows:
                seen.add(code)
                key = spelling_key(name, level)
                v = self._open.get(code)
                if v is not None and v.key == key and v.parent == parent:
                    v.spellings.setdefault(name, []).append(vintage.year)
                    v.last_year, v.current = vintage.year, name
                    continue
                if v is not None:
                    self._close(v, start, precision)
                new = Version(code, level, parent, key, vintage.year, start, precision, vintage.year,
                              spellings={name: [vintage.year]}, current=name)  # fmt: skip
                self.versions.append(new)
                self._open[code] = new
                if v is not None:
                    renamed.append((v, new))
        for code in [c for c in self._open if c not in seen]:
            self._close(self._open.pop(code), start, precision)
        snap = _Snapshot(
            {c: n for c, n, _ in package.towns},
            {c: (n, p) for c, n, p in package.villages},
            vintage.cut_off,
        )
        if prev is not None:
            self._infer(prev, snap, before, start, vintage.year, renamed)
        self._prev = snap
        self.vintages.append(vintage.year)

    @staticmethod
    def _close(v: Version, end: date, precision: str) -> None:
        v.valid_to, v.to_precision = end, precision

    # --- lineage -------------------------------------------------------------------------------

    def _match(self, prev: _Snapshot, snap: _Snapshot) -> dict[str, str]:
        """Map each village of ``prev`` to its code in ``snap`` (kept, or found again re-coded)."""
        moved = {v: v for v in prev.villages if v in snap.villages}
        new_by_key: dict[tuple[str, str], list[str]] = defaultdict(list)
        for code, (name, _town) in snap.villages.items():
            if code not in prev.villages:
                new_by_key[(code[:6], spelling_key(name, "village"))].append(code)
        taken: set[str] = set()
        successors: dict[str, set[str]] = {}
        for code, (name, _town) in prev.villages.items():
            if code in moved:
                continue
            county = code[:6]
            if county not in successors:
                successors[county] = {county} | self.county_successors(county, prev.cut_off, snap.cut_off)
            key = spelling_key(name, "village")
            found = [c for s in sorted(successors[county]) for c in new_by_key.get((s, key), ())]
            if len(found) == 1 and found[0] not in taken:
                moved[code] = found[0]
                taken.add(found[0])
        return moved

    def _infer(self, prev, snap, before: dict[str, Version], start, year, renamed) -> None:
        """Write the events between ``prev`` and ``snap`` (``before``: versions in force at prev)."""
        after = self._open
        moved = self._match(prev, snap)
        members: dict[str, list[str]] = defaultdict(list)
        for code, (_name, town) in prev.villages.items():
            members[town].append(code)
        dest: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        src: dict[str, set[str]] = defaultdict(set)
        for old, new in moved.items():
            t, n = prev.villages[old][1], snap.villages[new][1]
            dest[t][n].append(old)
            src[n].add(t)

        def event(kind, title, edges, old_codes, new_codes, description=""):
            self.events.append(Event(kind, start, year, title, description or title,
                                     sorted(old_codes), sorted(new_codes), edges))  # fmt: skip

        for old, new in renamed:
            what = "town" if old.level == "town" else "village"
            event("rename", f"{what} {old.code} {old.name} → {new.name}", [Edge(old, new, "whole", [])],
                  [old.code], [new.code])  # fmt: skip
        # villages re-coded (moved to another town, or with their town): one edge each
        village_edges: dict[tuple[str, str], list[Edge]] = defaultdict(list)
        for old, new in moved.items():
            if old != new and old in before and new in after:
                t, n = prev.villages[old][1], snap.villages[new][1]
                village_edges[(t, n)].append(Edge(before[old], after[new], "whole", [old]))
        opened_from: dict[str, list[Edge]] = defaultdict(list)  # new town → edges from continuing towns
        for t in sorted(prev.towns):
            if t not in before:
                continue
            out = dest.get(t, {})
            total = len(members.get(t, ()))
            if t in snap.towns:  # continues: villages moving out are transfers
                for n, villages in sorted(out.items()):
                    if n == t or n not in after:
                        continue
                    edge = Edge(before[t], after[n], "partial", sorted(villages))
                    if n in prev.towns:
                        title = f"town {t} {before[t].name}: {len(villages)} villages → {n} {after[n].name}"
                        event("transfer", title, [edge, *village_edges.pop((t, n), [])], [t], [n])
                    else:
                        opened_from[n].append(edge)
                continue
            targets = [n for n in sorted(out) if n in after]
            if not targets:
                event("abolish", f"town {t} {before[t].name} abolished (no village of it is found again)",
                      [], [t], [])  # fmt: skip
                continue
            edges: list[Edge] = []
            for n in targets:
                whole = len(targets) == 1  # every village found again went there
                edges.append(Edge(before[t], after[n], "whole" if whole else "partial", sorted(out[n])))
                edges += village_edges.pop((t, n), [])
            if len(targets) > 1:
                kind, verb = "split", "split into"
            elif targets[0] not in prev.towns and src[targets[0]] == {t}:
                kind, verb = "code_change", "re-coded as"
            else:
                kind, verb = "merge", "merged into"
            names = ", ".join(f"{n} {after[n].name}" for n in targets)
            event(kind, f"town {t} {before[t].name} {verb} {names}", edges, [t], targets,
                  f"inferred from village membership: {sum(len(out[n]) for n in targets)} of {total} "
                  "villages found again")  # fmt: skip
        for n in sorted(snap.towns):
            if n in prev.towns or n not in after:
                continue
            if n in opened_from:
                edges = opened_from[n]
                for e in list(edges):
                    edges += village_edges.pop((e.source.code, n), [])
                event("establish", f"town {n} {after[n].name} established from parts of "
                      f"{', '.join(e.source.code for e in opened_from[n] if e.source.level == 'town')}",
                      edges, [e.source.code for e in edges if e.source.level == "town"], [n])  # fmt: skip
            elif not src.get(n):
                event("establish", f"town {n} {after[n].name} established", [], [], [n])
        for (t, n), edges in sorted(village_edges.items()):  # left: villages moving with no town event
            event("transfer", f"{len(edges)} villages of town {t} → town {n}", edges,
                  [e.source.code for e in edges], [e.target.code for e in edges])  # fmt: skip

    def counts(self) -> Counter:
        """Events by kind."""
        return Counter(e.kind for e in self.events)


@dataclass
class Unit:
    """A statistical county-level unit that GB/T 2260 does not have, over consecutive vintages."""

    code: str
    name: str
    within_code: str
    within_level: str
    first_year: int
    valid_from: date
    from_precision: str
    last_year: int
    valid_to: date | None = None
    to_precision: str | None = None
    towns: int = 0


def statistical_units(packages: list[Package], gbt: Callable[[str, date], str | None]) -> list[Unit]:
    """Version the county-level codes of each vintage that are no GB/T county or prefecture then.

    Each lies in the prefecture of its first four digits when that is a GB/T division at the
    vintage's cut-off, else in its province. Consecutive vintages with the same name and place
    are one version, dated like towns.
    """
    out: list[Unit] = []
    open_: dict[str, Unit] = {}
    prev_cut: date | None = None
    for package in packages:
        cut, year = package.vintage.cut_off, package.vintage.year
        start, precision = (
            (date(year, 1, 1), "year") if prev_cut is None else (prev_cut + timedelta(days=1), "vintage")
        )
        towns = Counter(parent for _code, _name, parent in package.towns)
        seen = set()
        for code, name in sorted(package.counties.items()):
            if gbt(code, cut) in ("county", "prefecture"):
                continue
            city = package.county_city.get(code, code[:4]).ljust(6, "0")
            within, level = (city, "prefecture") if gbt(city, cut) else (code[:2] + "0000", "province")
            seen.add(code)
            u = open_.get(code)
            if u is not None and (u.name, u.within_code) == (name, within):
                u.last_year, u.towns = year, towns.get(code, 0)
                continue
            if u is not None:
                u.valid_to, u.to_precision = start, precision
            u = Unit(code, name, within, level, year, start, precision, year, towns=towns.get(code, 0))
            out.append(u)
            open_[code] = u
        for code in [c for c in open_ if c not in seen]:
            gone = open_.pop(code)
            gone.valid_to, gone.to_precision = start, precision
        prev_cut = cut
    return out
