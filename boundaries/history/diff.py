"""Two-date diff: what changed among the divisions between the snapshots at two dates.

``DiffSearch`` is mixed into ``LineageIndex`` (history/service.py) and computes the diff in
memory from the index's versions, edges and events; ``compare`` takes any two snapshots (the
benchmark feeds it SQL ones) and ``diff_csv`` writes the CSV form.

Changes: ``added`` (a code in force at ``to`` but not at ``from``), ``retired`` (the reverse,
with today's successors), ``renamed`` (same code, new name), ``re-coded`` (each ``code_change``
event in between: old code → new code) and ``re-parented`` (same code and name, other parent).
A re-coded division also shows as its old code retired and its new code added.
"""

from __future__ import annotations

import csv
import io
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from boundaries.io.text import neutralise

if TYPE_CHECKING:
    from boundaries.history.service import Link, Node

LEVELS = ("province", "prefecture", "county")
"""The levels a diff covers (the GB/T 2260 history)."""

ORDER = ("added", "retired", "renamed", "re-coded", "re-parented")
"""The kinds of change, in the order a diff lists them."""

CSV_COLUMNS = (
    "change",
    "code",
    "name",
    "level",
    "old_code",
    "old_name",
    "new_code",
    "new_name",
    "parent_code",
    "documents",
)

_EVENT_FIELDS = (
    "id",
    "year",
    "kind",
    "effective",
    "precision",
    "doc_number",
    "doc_date",
    "title",
    "old_codes",
    "new_codes",
)


@dataclass(frozen=True)
class Scope:
    """Which divisions a diff looks at: levels, and codes under a parent (its prefix)."""

    levels: tuple[str, ...] = LEVELS
    prefix: str = ""
    parent: str | None = None

    def holds(self, code: str, level: str) -> bool:
        """Tell whether a division of ``code`` and ``level`` lies in the scope."""
        return level in self.levels and code.startswith(self.prefix) and code != self.parent


class DiffSearch:
    """Diffs over the index: snapshots from the versions, events by code and date."""

    nodes: dict[int, Node]
    by_code: dict[str, list[Node]]
    events: list[dict]
    _event_dates: list[date]
    _events_by_code: dict[str, list[dict]]
    _code_changes: list[Link]
    _code_change_dates: list[date]

    def _index_events(self, events) -> None:
        """Hold every change event (sorted by date) and the code_change edges, for diffs."""
        self.events = sorted(({k: e[k] for k in _EVENT_FIELDS} for e in events), key=lambda e: e["effective"])
        self._event_dates = [e["effective"] for e in self.events]
        self._events_by_code = defaultdict(list)
        for event in self.events:
            for code in {*event["old_codes"], *event["new_codes"]}:
                self._events_by_code[code].append(event)
        links = [link for node in self.nodes.values() for link in node.out if link.kind == "code_change"]
        self._code_changes = sorted(links, key=lambda link: (link.effective, link.id))
        self._code_change_dates = [link.effective for link in self._code_changes]

    def snapshot_nodes(self, when: date, scope: Scope) -> dict[str, Node]:
        """Return the versions in force on ``when`` within ``scope``, by code."""
        found = {}
        for code, versions in self.by_code.items():
            if scope.holds(code, versions[0].level):
                node = next((n for n in versions if n.valid_at(when)), None)
                if node is not None:
                    found[code] = node
        return found

    def events_between(self, start: date, end: date, codes=None) -> list[dict]:
        """Return events effective after ``start`` up to ``end``, touching ``codes`` if given."""
        if codes is None:
            return self.events[bisect_right(self._event_dates, start) : bisect_right(self._event_dates, end)]
        seen: dict[int, dict] = {}
        for code in codes:
            for event in self._events_by_code.get(code, ()):
                if start < event["effective"] <= end:
                    seen[event["id"]] = event
        return sorted(seen.values(), key=lambda e: (e["effective"], e["id"]))

    def code_changes_between(self, start: date, end: date) -> list[Link]:
        """Return the code_change edges effective after ``start`` up to ``end``."""
        dates = self._code_change_dates
        return self._code_changes[bisect_right(dates, start) : bisect_right(dates, end)]

    def diff(self, start: date, end: date, scope: Scope) -> dict:
        """Return the changes between the snapshots at ``start`` and ``end`` within ``scope``."""
        return compare(
            self, self.snapshot_nodes(start, scope), self.snapshot_nodes(end, scope), start, end, scope
        )


def compare(index, before: dict, after: dict, start: date, end: date, scope: Scope, events=None) -> dict:
    """Diff two snapshots (code → object with code, name, level, parent_code) using ``index``.

    ``index`` gives today's successors, the code_change edges and, unless ``events`` (every
    event in the period, oldest first) is passed, the events between the dates.
    """
    changes: list[dict] = []
    for code in sorted(after.keys() - before.keys()):
        changes.append(_change("added", after[code]))
    for code in sorted(before.keys() - after.keys()):
        old = before[code]
        node = index.version_at(code, start)
        row = _change("retired", old)
        row["successors"] = index.today_codes(node, start) if node is not None else []
        changes.append(row)
    for code in sorted(before.keys() & after.keys()):
        old, new = before[code], after[code]
        if old.name != new.name:
            changes.append(_change("renamed", new, old_name=old.name, new_name=new.name))
        elif old.parent_code != new.parent_code:
            changes.append(_change("re-parented", new, old_parent_code=old.parent_code))
    for link in index.code_changes_between(start, end):
        src, dst = index.nodes[link.source], index.nodes[link.target]
        if scope.holds(src.code, src.level) or scope.holds(dst.code, dst.level):
            changes.append(
                _change(
                    "re-coded",
                    dst,
                    old_code=src.code,
                    old_name=src.name,
                    new_code=dst.code,
                    new_name=dst.name,
                )
            )
    if events is None:
        touched = index.events_between(start, end, before.keys() | after.keys())
    else:
        codes = before.keys() | after.keys()
        touched = [
            e for e in events if not codes.isdisjoint(e["old_codes"]) or not codes.isdisjoint(e["new_codes"])
        ]
    by_code = defaultdict(list)
    for event in touched:
        for code in {*event["old_codes"], *event["new_codes"]}:
            by_code[code].append(event)
    for row in changes:
        codes = {row["code"], row["old_code"], row["new_code"]} - {None}
        docs = {e["id"]: e for code in codes for e in by_code.get(code, ())}
        row["documents"] = [
            _document(e) for e in sorted(docs.values(), key=lambda e: (e["effective"], e["id"]))
        ]
    rank = {kind: i for i, kind in enumerate(ORDER)}
    changes.sort(key=lambda r: (rank[r["change"]], r["code"], r["old_code"] or ""))
    counts = {kind: 0 for kind in ORDER}
    for row in changes:
        counts[row["change"]] += 1
    return {"counts": counts, "changes": changes, "events": touched}


def _change(kind: str, node, **extra) -> dict:
    """One change row: the division as at ``to`` (as at ``from`` for a retired one)."""
    row = {
        "change": kind,
        "code": node.code,
        "name": node.name,
        "level": node.level,
        "parent_code": node.parent_code,
        "old_code": None,
        "old_name": None,
        "new_code": None,
        "new_name": None,
        "old_parent_code": None,
        "successors": [],
    }
    row.update(extra)
    return row


def _document(event: dict) -> dict:
    """The document of an event as a change lists it (文号, date, title)."""
    return {
        "event_id": event["id"],
        "kind": event["kind"],
        "effective": event["effective"],
        "doc_number": event["doc_number"],
        "doc_date": event["doc_date"],
        "title": event["title"],
    }


def diff_csv(changes: list[dict]) -> bytes:
    """Write one CSV row per change (UTF-8 with BOM, for spreadsheets), cells neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in changes:
        docs = "; ".join(
            " ".join(str(x) for x in (d["doc_number"], d["doc_date"] or d["effective"], d["title"]) if x)
            for d in row["documents"]
        )
        cells = [row[c] for c in CSV_COLUMNS[:-1]] + [docs]
        writer.writerow(["" if c is None else neutralise(c) for c in cells])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
