"""The in-memory lineage index: every version and edge, and the cache that keeps it current.

Successors are computed in ``history/successors.py``, batches resolved in
``history/resolve.py`` and two-date diffs in ``history/diff.py``; all are mixed into
``LineageIndex`` here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import asyncpg

from boundaries.dates import CoveredPeriod
from boundaries.errors import DivisionNotFound
from boundaries.history import queries
from boundaries.history.diff import DiffSearch
from boundaries.history.resolve import BatchResolver
from boundaries.history.successors import SuccessorSearch


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


class LineageIndex(SuccessorSearch, BatchResolver, DiffSearch):
    """Every version, edge and event in memory: successors in microseconds, thousands per batch.

    ``data_as_of`` is the date through which changes are recorded: 31 December of the last
    loaded year (``last_year``, else the latest year of any version).
    """

    def __init__(
        self,
        versions,
        edges,
        data_version: int | tuple = 0,
        events=(),
        last_year: int | None = None,
        recorded_through: date | None = None,
    ) -> None:
        self.data_version = data_version
        self.nodes: dict[int, Node] = {}
        self.rows: dict[int, dict] = {}  # each version's columns as the API shows them
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
            self.rows[node.id] = dict(r)
            self.by_code[node.code].append(node)
            if node.parent_code:
                self.children[node.parent_code].append(node)
        for nodes in self.by_code.values():
            nodes.sort(key=lambda n: n.valid_from)
        for e in edges:
            src = self.nodes[e["from_version"]]
            ending = e["effective"].year > src.last_year or (
                src.valid_to is not None and e["effective"] >= src.valid_to
            )
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
        last_year = last_year or max((n.last_year for n in self.nodes.values()), default=None)
        self.data_as_of: date | None = date(last_year, 12, 31) if last_year else None
        if recorded_through is not None and (self.data_as_of is None or recorded_through > self.data_as_of):
            self.data_as_of = recorded_through
        self._index_events(events)
        self._memo: dict[tuple[int, int], dict[int, tuple[Link, ...]]] = {}
        self._today: dict[tuple[int, int], list[dict]] = {}

    @classmethod
    async def load(cls, conn: asyncpg.Connection) -> LineageIndex:
        """Build the index from the database."""
        state = await queries.data_state(conn)
        return cls(
            await queries.graph_versions(conn),
            await queries.graph_edges(conn),
            _version(state),
            await queries.graph_events(conn),
            state["last_year"] if state else None,
            state["recorded_through"] if state else None,
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

    def coverage(self, today: date) -> CoveredPeriod:
        """Return the dates this index can answer for, with the date through which it records."""
        return CoveredPeriod(self.first_date or today, today, self.data_as_of)

    def detail(self, code: str, when: date) -> dict | None:
        """One division at a date with its ancestors (nearest first), from memory; None if not held whole."""
        node = self.require(code, when)
        row = self.rows.get(node.id)
        if row is None or "from_precision" not in row:
            return None
        parents, current = [], node
        while current.parent_code and (parent := self.version_at(current.parent_code, when)) is not None:
            parents.append(self.rows[parent.id])
            current = parent
        return {**row, "at": when, "parents": parents}


def _version(state) -> tuple[int, int]:
    """The data version an index is built from: the areacodes load and the change feed's head."""
    return (state["version"], state["feed_head"]) if state else (0, 0)


class IndexCache:
    """Keeps one LineageIndex and reloads it when the loaded dataset's version changes.

    Each ``get`` asks the database for the data version, unless ``trusted()`` says change
    notifications are arriving (the app's listener is connected): then the index stays current
    without a query until ``invalidate()`` (a notification, a reconnection, a local write).
    """

    def __init__(self, trusted: Callable[[], bool] | None = None) -> None:
        self._index: LineageIndex | None = None
        self.trusted = trusted or (lambda: False)
        self._generation = 0
        self._fresh = False

    def invalidate(self) -> None:
        """Make the next ``get`` ask the database again."""
        self._generation += 1
        self._fresh = False

    def current(self) -> LineageIndex | None:
        """Return the index if it is known to be current without asking the database, else None."""
        return self._index if self._fresh and self.trusted() else None

    @property
    def loaded(self) -> LineageIndex | None:
        """Return the index already in memory, if any, without asking the database."""
        return self._index

    async def get(self, conn: asyncpg.Connection) -> LineageIndex:
        """Return an index matching the data in the database ``conn`` sees."""
        if (known := self.current()) is not None:
            return known
        generation = self._generation
        version = _version(await queries.data_state(conn))
        if self._index is None or self._index.data_version != version:
            self._index = await LineageIndex.load(conn)
        # outside a transaction only: inside one, the index may hold what others cannot see yet
        self._fresh = generation == self._generation and not conn.is_in_transaction()
        return self._index
