"""Input checks and the in-memory lineage index that answers successors and resolve."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import asyncpg

from boundaries import queries
from boundaries.errors import DateOutOfRange, DivisionNotFound, InvalidInput

LEVELS = ("province", "prefecture", "county")
ALL_LEVELS = (*LEVELS, "town", "village")
_RANK = {level: i for i, level in enumerate(LEVELS)}
_CODE = re.compile(r"\d{6}(?:\d{3}(?:\d{3})?)?")
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def check_code(value: str, field_name: str = "code") -> str:
    """Return a 6-digit division, 9-digit town or 12-digit village code, or raise InvalidInput."""
    if not isinstance(value, str) or not _CODE.fullmatch(value):
        raise InvalidInput(
            field_name,
            f"{field_name} must be a six-digit division code (or a 9-digit town or 12-digit village "
            f"code), got {value!r}",
        )
    return value


def code_prefix(code: str) -> str:
    """Return the prefix every code under a division shares (430000 → 43, 430100 → 4301)."""
    if len(code) == 6:
        return code[:2] if code.endswith("0000") else code[:4] if code.endswith("00") else code
    return code


def check_level(value: str | None) -> str | None:
    """Return a known level name or raise InvalidInput."""
    if value is not None and value not in ALL_LEVELS:
        raise InvalidInput("level", f"level must be one of {', '.join(ALL_LEVELS)}, got {value!r}")
    return value


@dataclass(frozen=True)
class Coverage:
    """The dates the data can answer for: 1 January of the first year up to today."""

    first: date
    last: date

    def parse(self, value: str | None, field_name: str = "at") -> date:
        """Parse YYYY (31 December), YYYY-MM (month end) or YYYY-MM-DD; default today."""
        if value is None or value == "":
            return self.last
        if isinstance(value, str) and len(value) == 10:
            try:
                return self._check(date.fromisoformat(value), value, field_name)
            except ValueError:
                pass
        m = _DATE.fullmatch(value.strip()) if isinstance(value, str) else None
        if not m:
            raise InvalidInput(field_name, f"{field_name} must be YYYY, YYYY-MM or YYYY-MM-DD, got {value!r}")
        year, month, day = int(m[1]), m[2], m[3]
        if month is not None and not 1 <= int(month) <= 12:
            raise InvalidInput(field_name, f"{field_name} has no month {month}: {value!r}")
        try:
            if month is None:
                when = date(year, 12, 31)
            elif day is None:
                nxt = date(year + int(month) // 12, int(month) % 12 + 1, 1)
                when = date.fromordinal(nxt.toordinal() - 1)
            else:
                when = date(year, int(month), int(day))
        except ValueError:
            raise InvalidInput(field_name, f"{field_name} is not a real date: {value!r}") from None
        if month is None and year == self.last.year:
            when = self.last
        return self._check(when, value, field_name)

    def _check(self, when: date, value: str, field_name: str) -> date:
        """Return ``when`` if the data covers it, else raise DateOutOfRange naming the range."""
        if not self.first <= when <= self.last:
            raise DateOutOfRange(
                field_name,
                f"{field_name}={value} is outside the covered range {self.first} to {self.last}",
            )
        return when


@dataclass
class Node:
    """One division version as the index holds it."""

    id: int
    code: str
    name: str
    level: str
    parent_code: str | None
    valid_from: date
    valid_to: date | None
    last_year: int
    out: list = field(default_factory=list)
    transfer_dates: list = field(default_factory=list)

    def valid_at(self, when: date) -> bool:
        """Tell whether this version is in force on ``when``."""
        return self.valid_from <= when and (self.valid_to is None or when < self.valid_to)


@dataclass(frozen=True)
class Link:
    """One lineage edge as the index holds it."""

    id: int
    source: int
    target: int
    relation: str
    doubtful: bool
    effective: date
    precision: str
    event_id: int
    kind: str
    doc_number: str | None
    ending: bool


class LineageIndex:
    """Every version and edge in memory: successors in microseconds, thousands per batch."""

    def __init__(self, versions, edges, data_version: int = 0) -> None:
        self.data_version = data_version
        self.nodes: dict[int, Node] = {}
        self.by_code: dict[str, list[Node]] = defaultdict(list)
        self.children: dict[str, list[Node]] = defaultdict(list)
        for r in versions:
            node = Node(
                r["id"],
                r["code"],
                r["name"],
                r["level"],
                r["parent_code"],
                r["valid_from"],
                r["valid_to"],
                r["last_year"],
            )
            self.nodes[node.id] = node
            self.by_code[node.code].append(node)
            if node.parent_code:
                self.children[node.parent_code].append(node)
        for nodes in self.by_code.values():
            nodes.sort(key=lambda n: n.valid_from)
        for e in edges:
            src = self.nodes[e["from_version"]]
            ending = e["effective"].year > src.last_year
            src.out.append(
                Link(
                    e["id"],
                    src.id,
                    e["to_version"],
                    e["relation"],
                    e["doubtful"],
                    e["effective"],
                    e["precision"],
                    e["event_id"],
                    e["kind"],
                    e["doc_number"],
                    ending,
                )
            )
        self.first_date = min((n.valid_from for n in self.nodes.values()), default=None)
        for node in self.nodes.values():
            node.transfer_dates = sorted(x.effective for x in node.out if not x.ending)
        self._memo: dict[tuple[int, int], dict[int, tuple[Link, ...]]] = {}
        self._today: dict[tuple[int, int], list[dict]] = {}

    @classmethod
    async def load(cls, conn: asyncpg.Connection) -> LineageIndex:
        """Build the index from the database."""
        state = await queries.data_state(conn)
        return cls(
            await queries.graph_versions(conn),
            await queries.graph_edges(conn),
            state["version"] if state else 0,
        )

    def version_at(self, code: str, when: date) -> Node | None:
        """Return the version of ``code`` in force on ``when``."""
        return next((n for n in self.by_code.get(code, ()) if n.valid_at(when)), None)

    def require(self, code: str, when: date) -> Node:
        """Return the version of ``code`` at ``when`` or raise DivisionNotFound saying why."""
        node = self.version_at(code, when)
        if node is not None:
            return node
        known = self.by_code.get(code)
        if not known:
            raise DivisionNotFound(f"division code {code} is not known in any year")
        spans = ", ".join(f"{n.valid_from}–{n.valid_to or 'today'} {n.name}" for n in known)
        raise DivisionNotFound(f"division code {code} was not in use on {when} (in use: {spans})")

    def _forward(self, node: Node, after: date) -> dict[int, tuple[Link, ...]]:
        """Map each current version reached from ``node``'s area as of ``after`` to a path."""
        cut = bisect_right(node.transfer_dates, after)
        key = (node.id, cut)
        if key in self._memo:
            return self._memo[key]
        out: dict[int, tuple[Link, ...]] = {}
        for link in node.out:
            if link.ending or link.effective > after:
                for cur, path in self._forward(self.nodes[link.target], link.effective).items():
                    out.setdefault(cur, (link, *path))
        if node.valid_to is None:
            out.setdefault(node.id, ())
        self._memo[key] = out
        return out

    def _parts(self, node: Node, when: date) -> list[Node]:
        """Return a version and, recursively, the children that make up its area then."""
        parts = [node]
        for child in self.children.get(node.code, ()):
            if child.valid_at(when):
                parts.extend(self._parts(child, when))
        return parts

    def _roll_up(self, node: Node, level: str) -> Node:
        """Return the current ancestor of ``node`` at ``level``, or ``node`` if it has none."""
        current = node
        while _RANK[current.level] > _RANK[level] and current.parent_code:
            parent = next((n for n in self.by_code.get(current.parent_code, ()) if n.valid_to is None), None)
            if parent is None:
                break
            current = parent
        return current if _RANK[current.level] >= _RANK[level] else node

    def successors(self, node: Node, when: date) -> list[tuple[Node, str, tuple[Link, ...]]]:
        """Return today's versions covering ``node``'s area on ``when``: (node, relation, path)."""
        reached: dict[int, tuple[Link, ...]] = {}
        for part in self._parts(node, when):
            for cur, path in self._forward(part, when).items():
                reached.setdefault(cur, path)
        rolled: dict[int, tuple[Link, ...]] = {}
        for cur, path in reached.items():
            top = self._roll_up(self.nodes[cur], node.level)
            if top.id not in rolled or len(path) < len(rolled[top.id]):
                rolled[top.id] = path
        relation = "whole" if len(rolled) == 1 else "partial"
        found = [(self.nodes[i], relation, path) for i, path in rolled.items()]
        return sorted(found, key=lambda t: t[0].code)

    def coverage(self, today: date) -> Coverage:
        """Return the dates this index can answer for."""
        return Coverage(self.first_date or today, today)

    def resolve(self, items: list, today: date, local=None) -> list[dict]:
        """Resolve raw ``{code, at}`` items (towns, villages by ``local``); a bad item gets its own error."""
        coverage = Coverage(self.first_date or today, today)
        return [self._resolve_one(i, item, coverage, local) for i, item in enumerate(items)]

    def _resolve_one(self, index: int, item, coverage: Coverage, local=None) -> dict:
        """Resolve one item into a plain dict ready for JSON."""
        code = item.get("code") if isinstance(item, dict) else None
        out: dict = {
            "index": index,
            "code": code,
            "at": None,
            "found": False,
            "name": None,
            "level": None,
            "today": [],
            "error": None,
        }
        try:
            if not isinstance(item, dict):
                raise InvalidInput("item", "each item must be an object {code, at}")
            check_code(code)
            when = coverage.parse(item.get("at"))
            out["at"] = when
            if len(code) > 6 and local is not None:  # a town or village: boundaries.towns.LocalCodes
                return local.resolve_item(self, out, when)
            node = self.require(code, when)
        except (InvalidInput, DivisionNotFound) as exc:
            out["error"] = {"field": getattr(exc, "field", None), "message": str(exc)}
            return out
        out.update(found=True, name=node.name, level=node.level, today=self.today_codes(node, when))
        return out

    def today_codes(self, node: Node, when: date) -> list[dict]:
        """Return today's codes for a version at a date as dicts, cached per lineage cut."""
        if node.code in self.children:
            key = None
        else:
            key = (node.id, bisect_right(node.transfer_dates, when))
            if (hit := self._today.get(key)) is not None:
                return hit
        found = [{"code": n.code, "name": n.name, "relation": r} for n, r, _ in self.successors(node, when)]
        if key is not None:
            self._today[key] = found
        return found


def link_out(index: LineageIndex, link: Link) -> dict:
    """Describe one step of a successor chain."""
    source, target = index.nodes[link.source], index.nodes[link.target]
    return {
        "from_code": source.code,
        "from_name": source.name,
        "to_code": target.code,
        "to_name": target.name,
        "relation": link.relation,
        "doubtful": link.doubtful,
        "effective": link.effective,
        "precision": link.precision,
        "event_id": link.event_id,
        "kind": link.kind,
        "doc_number": link.doc_number,
    }


def chain_out(index: LineageIndex, path: tuple[Link, ...]) -> list[dict]:
    """Describe a whole successor chain, step by step from the queried area."""
    return [link_out(index, link) for link in path]


class IndexCache:
    """Keeps one LineageIndex and reloads it when the loaded dataset's version changes."""

    def __init__(self) -> None:
        self._index: LineageIndex | None = None

    @property
    def loaded(self) -> LineageIndex | None:
        """Return the index already in memory, if any, without asking the database."""
        return self._index

    async def get(self, conn: asyncpg.Connection) -> LineageIndex:
        """Return an index matching the data in the database ``conn`` sees."""
        state = await queries.data_state(conn)
        version = state["version"] if state else 0
        if self._index is None or self._index.data_version != version:
            self._index = await LineageIndex.load(conn)
        return self._index
