"""Reverse geocoding service: which province, prefecture and county held a point on a date.

A ``ReverseModel`` answers for one validity period: the span between two consecutive dates on
which any division or geometry version begins or ends, so every date inside it sees the same
divisions and geometries. Its engines are shared between periods that use the same geometry
versions (keyed by their ids), so a rename or an upload elsewhere does not rebuild an index.

Layers are tried in order: the finest geometries (counties, plus prefectures without counties
and provinces without children), then prefectures and provinces that have a child without
geometry, so a point in such a child still gets its parents.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import asyncpg
import numpy as np
import shapely

from boundaries.dates import CoveredPeriod
from boundaries.history import queries as history_queries
from boundaries.reverse import queries
from boundaries.reverse.engine import PatchedEngine, ReverseEngine

SLOTS = ("province", "prefecture", "county")
_SLOT = {level: i for i, level in enumerate(SLOTS)}


@dataclass(frozen=True)
class Layer:
    """One engine and, per polygon of it, the index of its division in the model."""

    engine: ReverseEngine | PatchedEngine
    division: np.ndarray


@dataclass
class ReverseModel:
    """Divisions in force over one validity period and the engines that place points in them."""

    period: tuple[date, date | None]
    codes: np.ndarray
    names: np.ndarray
    levels: np.ndarray
    kinds: np.ndarray
    chain: np.ndarray  # (division, slot) -> division index of its province/prefecture/county, -1
    layers: list[Layer]
    empty: np.ndarray  # per division: {slot: why that slot is empty when the point is in it} or None

    def locate(self, lon, lat) -> np.ndarray:
        """Return, per WGS-84 point, the index of the finest division whose geometry holds it, else -1."""
        lon, lat = np.asarray(lon, dtype=np.float64).ravel(), np.asarray(lat, dtype=np.float64).ravel()
        found = np.full(len(lon), -1, dtype=np.int64)
        todo = np.arange(len(lon))
        for layer in self.layers:
            if not len(todo):
                break
            hit = layer.engine.lookup(lon[todo], lat[todo])
            ok = hit >= 0
            found[todo[ok]] = layer.division[hit[ok]]
            todo = todo[~ok]
        return found

    def entry(self, division: int) -> dict | None:
        """Describe one division as ``{code, name, level, kind}``."""
        if division < 0:
            return None
        return {
            "code": self.codes[division],
            "name": self.names[division],
            "level": self.levels[division],
            "kind": self.kinds[division],
        }

    def describe(self, division: int) -> dict:
        """Return the province, prefecture and county slots of a located division and its geometry kind."""
        slots = self.chain[division]
        out = {slot: self.entry(int(slots[i])) for i, slot in enumerate(SLOTS)}
        out["geometry_kind"] = self.kinds[division]
        out["empty"] = self.empty[division]
        return out

    def columns(self, found: np.ndarray) -> dict[str, np.ndarray]:
        """Return the flat output columns (codes, names per slot and geometry_kind) for located points."""
        ok = found >= 0
        out: dict[str, np.ndarray] = {}
        for i, slot in enumerate(SLOTS):
            idx = np.where(ok, self.chain[np.maximum(found, 0), i], -1)
            has = idx >= 0
            for name, values in (("code", self.codes), ("name", self.names)):
                col = np.full(len(found), None, dtype=object)
                col[has] = values[idx[has]]
                out[f"{slot}_{name}"] = col
        kind = np.full(len(found), None, dtype=object)
        kind[ok] = self.kinds[found[ok]]
        out["geometry_kind"] = kind
        return out


def _covered(code: str, children: dict, has_geometry: set, memo: dict) -> bool:
    """Tell whether a division's area is covered by geometry: its own, or all its children's."""
    if code not in memo:
        memo[code] = code in has_geometry or (
            bool(children.get(code))
            and all(_covered(c, children, has_geometry, memo) for c in children[code])
        )
    return memo[code]


def _empty_reasons(versions: list, index: dict[str, int], children: dict, covered) -> np.ndarray:
    """Say, per division a point can be found in, why the levels below or between it are empty."""
    out = np.full(len(versions), None, dtype=object)
    for i, r in enumerate(versions):
        why, label = {}, f"{r['name']} ({r['code']})"
        parent = versions[index[r["parent_code"]]] if r["parent_code"] in index else None
        if r["level"] == "county" and parent is not None and parent["level"] == "province":
            why["prefecture"] = (
                f"{label} is directly under {parent['name']} ({parent['code']}), with no prefecture"
            )
        if r["level"] != "county":
            kids = children.get(r["code"], [])
            unknown = [versions[index[c]] for c in kids if not covered(c)]
            if not kids:
                below = "county-level divisions" if r["level"] == "prefecture" else "subdivisions"
                text = f"{label} has no {below}"
            elif unknown:
                names = ", ".join(f"{k['name']} ({k['code']})" for k in unknown[:5])
                more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
                text = f"no boundary is known on this date for {names}{more} of {label}"
            else:
                text = f"the point lies in {label} but in none of its subdivisions' known boundaries"
            for slot in SLOTS[_SLOT[r["level"]] + 1 :]:
                why[slot] = text
        out[i] = why or None
    return out


class ReverseGeocoder:
    """Builds and caches reverse-geocoding models; one instance per app or CLI run."""

    def __init__(self, cells_per_degree: int = 64, max_vertices: int = 256, cache_size: int = 4) -> None:
        self.cells_per_degree = cells_per_degree
        self.max_vertices = max_vertices
        self.cache_size = cache_size
        self._state: tuple | None = None
        self._dates: list[date] = []
        self._models: OrderedDict[tuple, ReverseModel] = OrderedDict()
        self._engines: OrderedDict[tuple, ReverseEngine] = OrderedDict()
        self._locks: dict[tuple, asyncio.Lock] = {}
        self.trusted: Callable[[], bool] = lambda: False  # the app's change listener is connected
        self._generation = 0
        self._fresh = False

    def invalidate(self) -> None:
        """A data version moved: the next ``refresh`` asks the database again."""
        self._generation += 1
        self._fresh = False

    def current(self) -> bool:
        """Tell whether the state in memory is known current without asking the database."""
        return self._fresh and self.trusted()

    def cached(self, when: date) -> ReverseModel | None:
        """The model for ``when`` if it is in memory and known current without asking the database."""
        if not self.current():
            return None
        key = (self._state, self.period(when)[0])
        model = self._models.get(key)
        if model is not None:
            self._models.move_to_end(key)
        return model

    async def refresh(self, conn: asyncpg.Connection) -> tuple:
        """Check the data and geometry revision (one query); reload the period dates when they moved.

        No query while the change listener is connected and nothing changed since the last check.
        """
        if self.current():
            return self._state
        generation = self._generation
        row = await queries.reverse_state(conn)
        state = (row["data_version"], row["top_id"])
        if state != self._state:
            self._dates = await queries.boundary_dates(conn)
            self._state = state
        self._fresh = generation == self._generation and not conn.is_in_transaction()
        return state

    def coverage(self, today: date) -> CoveredPeriod:
        """Return the dates that can be asked about: the first version's start up to today."""
        return CoveredPeriod(self._dates[0] if self._dates else today, today)

    def period(self, when: date) -> tuple[date, date | None]:
        """Return the validity period [start, end) that ``when`` falls in."""
        i = bisect_right(self._dates, when)
        start = self._dates[i - 1] if i else date.min
        return start, self._dates[i] if i < len(self._dates) else None

    async def model_at(self, conn: asyncpg.Connection, when: date, refreshed: bool = False) -> ReverseModel:
        """Return the model for the period holding ``when``, building it (off the event loop) if needed."""
        state = self._state if refreshed else await self.refresh(conn)
        key = (state, self.period(when)[0])
        if key in self._models:
            self._models.move_to_end(key)
            return self._models[key]
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            if key not in self._models:
                self._models[key] = await self._build(conn, when)
                while len(self._models) > self.cache_size:
                    self._models.popitem(last=False)
        self._locks.pop(key, None)
        return self._models[key]

    async def _build(self, conn: asyncpg.Connection, when: date) -> ReverseModel:
        """Fetch the divisions and geometry versions in force at ``when`` and assemble a model."""
        versions = [r for r in await history_queries.snapshot(conn, when, None, None) if r["level"] in _SLOT]
        geometries = await queries.geometry_keys_at(conn, when)
        index = {r["code"]: i for i, r in enumerate(versions)}
        kinds = np.full(len(versions), None, dtype=object)
        for r in geometries:
            kinds[index[r["code"]]] = r["kind"]
        children: dict[str, list[str]] = {}
        for r in versions:
            if r["parent_code"] in index:
                children.setdefault(r["parent_code"], []).append(r["code"])
        has_geometry = {r["code"] for r in geometries}
        memo: dict[str, bool] = {}
        leaf, partial = [], []
        for r in geometries:
            kids = children.get(r["code"], [])
            if not kids:
                leaf.append(r)
            elif not all(_covered(c, children, has_geometry, memo) for c in kids):
                partial.append(r)
        empty = _empty_reasons(versions, index, children, lambda c: _covered(c, children, has_geometry, memo))
        layers = []
        groups = [leaf, *([r for r in partial if r["level"] == lv] for lv in ("prefecture", "province"))]
        for group in groups:
            if group:
                engine = await self._engine(conn, [r["id"] for r in group])
                layers.append(Layer(engine, np.array([index[r["code"]] for r in group], dtype=np.int64)))
        return ReverseModel(
            period=self.period(when),
            codes=np.array([r["code"] for r in versions], dtype=object),
            names=np.array([r["name"] for r in versions], dtype=object),
            levels=np.array([r["level"] for r in versions], dtype=object),
            kinds=kinds,
            chain=self._chains(versions, index),
            layers=layers,
            empty=empty,
        )

    @staticmethod
    def _chains(versions: list, index: dict[str, int]) -> np.ndarray:
        """For each division, the indices of itself and its ancestors by slot (-1 where absent)."""
        chain = np.full((len(versions), len(SLOTS)), -1, dtype=np.int64)
        for i in range(len(versions)):
            j, seen = i, 0
            while j is not None and seen < 8:
                chain[i, _SLOT[versions[j]["level"]]] = j
                j, seen = index.get(versions[j]["parent_code"]), seen + 1
        return chain

    async def _engine(self, conn: asyncpg.Connection, ids: list[int]):
        """Return the engine for a set of geometry versions: cached, patched from a close one, or new."""
        key = tuple(ids)
        if key in self._engines:
            self._engines.move_to_end(key)
            return self._engines[key]
        wanted = set(ids)
        base_key = max(
            (k for k, e in self._engines.items() if isinstance(e, ReverseEngine)),
            key=lambda k: len(wanted.intersection(k)),
            default=None,
        )
        kept = set(base_key or ())
        added = [g for g in ids if g not in kept]
        if base_key is not None and len(added) <= max(64, len(ids) // 4):
            position = {g: i for i, g in enumerate(ids)}
            base_map = np.array([position.get(g, -1) for g in base_key], dtype=np.int64)
            small = await self._build_from(conn, added) if added else None
            engine = PatchedEngine(self._engines[base_key], base_map, small, [position[g] for g in added])
        else:
            engine = await self._build_from(conn, ids)
        self._engines[key] = engine
        while len(self._engines) > self.cache_size * 2:
            self._engines.popitem(last=False)
        return engine

    async def _build_from(self, conn: asyncpg.Connection, ids: list[int]) -> ReverseEngine:
        """Fetch geometry versions by id and build an engine over them in a worker thread."""
        return await asyncio.to_thread(self.build_engine, await queries.geometry_wkb(conn, ids))

    def build_engine(self, wkb: Sequence[bytes]) -> ReverseEngine:
        """Build one engine from WKB polygons with this geocoder's grid and piece sizes (blocking)."""
        geoms = shapely.from_wkb(np.array(wkb, dtype=object))
        return ReverseEngine(geoms, cells_per_degree=self.cells_per_degree, max_vertices=self.max_vertices)
