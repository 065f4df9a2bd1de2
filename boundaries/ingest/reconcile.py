"""Give division versions their geometry over time: match the source by code, then follow the lineage.

Each version's period is cut into segments at the dates its area changes (a lineage edge
moves area across its boundary). A source geometry fills the segment current at the
source's vintage. Area then passes along the lineage only where it is fully determined:
forward, a segment that lost nothing and gained only whole predecessors is their union
(a rename or code change carries the geometry unchanged); backward, a segment that gained
nothing and went wholly to successors that received only from it is their union. Every
segment left empty keeps the reason why, for the report; it is then shown with the nearest
known geometry of the same code (kind ``approximate``), the reason naming the change between
them, so the map has no hole where the exact area is unknown.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise

import shapely
from shapely.geometry.base import BaseGeometry

from boundaries.codes import LEVELS
from boundaries.geometry.polygons import repair
from boundaries.history.service import LineageIndex, Node
from boundaries.sources.cnmaps import GeometrySource, SourceGeometry

_RANK = {level: i for i, level in enumerate(LEVELS)}
Key = tuple[str, date]


@dataclass
class Assigned:
    """The geometry of one segment and how it was obtained."""

    geom: BaseGeometry
    kind: str
    method: str
    reason: str | None = None


@dataclass
class Segment:
    """A stretch of one version's period during which its area did not change."""

    node: Node
    start: date
    end: date | None
    geometry: Assigned | None = None
    why: dict[str, str] = field(default_factory=dict)

    def label(self) -> str:
        """Return 'code name' for messages."""
        return f"{self.node.code} {self.node.name}"


@dataclass
class Plan:
    """What the geometry ingest writes: segments with geometry, empty ones and unmatched sources."""

    vintage: int
    segments: list[Segment]
    unmatched: list[tuple[SourceGeometry, str]]
    matched: int


def ancestor(node: Node, level: str) -> str | None:
    """Return the code of ``node`` or its ancestor at ``level`` (None above the node or if absent)."""
    if node.level == level:
        return node.code
    if _RANK[node.level] < _RANK[level]:
        return None
    if level == "province":
        return node.code[:2] + "0000"
    parent = node.parent_code
    return parent if parent and not parent.endswith("0000") else None


def vintage_year(index: LineageIndex, codes: set[str]) -> int:
    """Return the year whose year-end codes the source matches best (the earliest on a tie)."""
    hits: dict[int, int] = defaultdict(int)
    last = date.today().year
    for node in index.nodes.values():
        if node.code not in codes:
            continue
        end = (node.valid_to - timedelta(days=1)).year if node.valid_to else last
        for year in range(node.valid_from.year, end + 1):
            if node.valid_at(date(year, 12, 31)):
                hits[year] += 1
    return max(sorted(hits), key=lambda year: hits[year]) if hits else last


class GeometryAssigner:
    """Assigns one source's geometries to the segments of every version in one lineage index."""

    def __init__(self, index: LineageIndex) -> None:
        self.index = index
        self.out: dict[Key, set] = defaultdict(set)
        self.into: dict[Key, set] = defaultdict(set)
        for node in index.nodes.values():
            for link in node.out:
                target = index.nodes[link.target]
                for level in LEVELS:
                    a, b = ancestor(node, level), ancestor(target, level)
                    if a != b:
                        if a is not None:
                            self.out[(a, link.effective)].add(b)
                        if b is not None:
                            self.into[(b, link.effective)].add(a)
        changes: dict[str, set[date]] = defaultdict(set)
        for code, when in (*self.out, *self.into):
            changes[code].add(when)
        self.first = min((n.valid_from for n in index.nodes.values()), default=date.min)
        self.segments: list[Segment] = []
        self.starting: dict[Key, Segment] = {}
        self.ending: dict[Key, Segment] = {}
        self.of_node: dict[int, list[Segment]] = defaultdict(list)
        for node in sorted(index.nodes.values(), key=lambda n: (n.code, n.valid_from)):
            inner = sorted(d for d in changes[node.code] if node.valid_from < d and node.valid_at(d))
            cuts = [node.valid_from, *inner, node.valid_to]
            for start, end in pairwise(cuts):
                seg = Segment(node, start, end)
                self.segments.append(seg)
                self.of_node[node.id].append(seg)
                self.starting[(node.code, start)] = seg
                if end is not None:
                    self.ending[(node.code, end)] = seg

    def assign(self, source: GeometrySource) -> Plan:
        """Match the source by code at its vintage, then fill what the lineage determines."""
        year = vintage_year(self.index, {i.code for i in source.items})
        when = date(year, 12, 31)
        unmatched, matched = [], 0
        for item in source.items:
            seg = self._segment_for(item.code, when)
            if seg is None:
                unmatched.append((item, self._why_unmatched(item.code)))
                continue
            method = f"{source.source} boundary of {item.code} {item.name or ''}".rstrip()
            method += ", GCJ-02 converted to WGS 84" + (", invalid rings repaired" if item.repaired else "")
            seg.geometry = Assigned(item.geom, "surveyed", method)
            matched += 1
        for _ in range(6):
            if not (self._pass(forward=True) | self._pass(forward=False)):
                break
        self._approximate()
        return Plan(year, self.segments, unmatched, matched)

    def _approximate(self) -> None:
        """Give each empty segment the nearest exact geometry of the same code, flagged approximate.

        The walk follows segments of the code that abut in time (a code reused years later is a
        different place); the reason names the change the shown area predates or follows.
        """
        for seg in [s for s in self.segments if s.geometry is None]:
            found = [(hit, forward) for forward in (True, False) if (hit := self._nearest(seg, forward))]
            if not found:
                continue
            (_, near), forward = min(found, key=lambda f: (f[0][0], not f[1]))
            when = seg.end if forward else seg.start
            why = seg.why.get("after" if forward else "before") or f"area moved on {when}"
            seg.geometry = Assigned(
                near.geometry.geom,
                "approximate",
                f"approximate: the area of {near.label()} from {near.start} to {near.end or 'today'}, "
                f"{'after' if forward else 'before'} the change of {when} ({near.geometry.method})",
                f"the exact area is unknown: {why}",
            )

    def _nearest(self, seg: Segment, forward: bool) -> tuple[int, Segment] | None:
        """Return (steps, segment) of the first exact geometry of the same code later or earlier."""
        cur, steps = seg, 0
        while True:
            when = cur.end if forward else cur.start
            cur = (self.starting if forward else self.ending).get((cur.node.code, when)) if when else None
            if cur is None:
                return None
            steps += 1
            if cur.geometry is not None and cur.geometry.kind != "approximate":
                return steps, cur

    def _segment_for(self, code: str, when: date) -> Segment | None:
        """Return the segment of ``code`` current at ``when``, or its last one before then."""
        nodes = [n for n in self.index.by_code.get(code, ()) if n.valid_from <= when]
        if not nodes:
            return None
        node = nodes[-1]
        return [s for s in self.of_node[node.id] if s.start <= when][-1]

    def _why_unmatched(self, code: str) -> str:
        """Say why a source code has no version to attach to."""
        if code == "100000":
            return "the country outline; the history has no national division"
        if self.index.by_code.get(code):
            return "the code was first used after the geometry's vintage"
        return "the code is not in the division history (a code of the map provider's own)"

    def _pass(self, forward: bool) -> bool:
        """Fill every empty segment the lineage determines, in date order; tell whether any was."""
        todo = [s for s in self.segments if s.geometry is None and (s.start if forward else s.end)]
        todo.sort(key=lambda s: s.start if forward else s.end, reverse=not forward)
        changed = False
        for seg in todo:
            result = self._forward(seg) if forward else self._backward(seg)
            if isinstance(result, str):
                seg.why["before" if forward else "after"] = result
            else:
                seg.geometry, changed = result, True
        return changed

    def _forward(self, seg: Segment) -> Assigned | str:
        """Derive a segment from what it was made of when it began, or say why not."""
        code, when = seg.node.code, seg.start
        if when == self.first:
            return f"the history begins on {when}"
        if self.out.get((code, when)):
            return f"it also lost area on {when} to {self._names(self.out[(code, when)], when)}"
        inputs = [self.ending[(code, when)]] if (code, when) in self.ending else []
        for other in sorted(self.into.get((code, when), ()), key=str):
            prev = self.ending.get((other, when)) if other else None
            if prev is None:
                return f"it gained area on {when} from outside the recorded lineage"
            if (other, when) in self.starting:
                return f"it gained part of {prev.label()} on {when}, which continued"
            if self.out.get((other, when)) != {code}:
                parts = self._names(self.out[(other, when)], when)
                return f"{prev.label()} was divided on {when} among {parts}"
            inputs.append(prev)
        if not inputs:
            return f"it was established on {when} with no recorded source of its area"
        return self._combine(seg, inputs, when, "from")

    def _backward(self, seg: Segment) -> Assigned | str:
        """Derive a segment from where its area went when it ended, or say why not."""
        code, when = seg.node.code, seg.end
        if self.into.get((code, when)):
            return f"it also gained area on {when} from {self._names(self.into[(code, when)], when)}"
        outputs = [self.starting[(code, when)]] if (code, when) in self.starting else []
        for other in sorted(self.out.get((code, when), ()), key=str):
            nxt = self.starting.get((other, when)) if other else None
            if nxt is None:
                return f"area went on {when} outside the recorded lineage"
            if (other, when) in self.ending:
                return f"its area went on {when} to {nxt.label()}, which already had area of its own"
            if self.into.get((other, when)) != {code}:
                parts = self._names(self.into[(other, when)], when)
                return f"its area went on {when} to {nxt.label()}, which was formed from {parts}"
            outputs.append(nxt)
        if not outputs:
            return f"it was abolished on {when} with no recorded successor"
        return self._combine(seg, outputs, when, "to")

    def _combine(self, seg: Segment, parts: list[Segment], when: date, way: str) -> Assigned | str:
        """Union the parts' geometries, or say which part has none."""
        missing = [p.label() for p in parts if p.geometry is None]
        if missing:
            return f"{', '.join(missing)} ({way} which its area passed on {when}) has no geometry then"
        labels = ", ".join(p.label() for p in parts)
        if len(parts) == 1:
            (part,) = parts
            kind = part.geometry.kind if way == "from" else "derived"
            change = "rename" if part.node.code == seg.node.code else "code change"
            verb = "carried forward from" if way == "from" else "same area as"
            return Assigned(part.geometry.geom, kind, f"{verb} {labels} ({change} on {when}, area unchanged)")
        geom = repair(shapely.union_all([p.geometry.geom for p in parts]))
        what = "merged into it" if way == "from" else "that wholly took its area"
        return Assigned(geom, "derived", f"union of {labels} ({what} on {when})")

    def _names(self, codes: set, when: date) -> str:
        """Describe a set of codes (None: outside the lineage) as of ``when``."""
        out = []
        for code in sorted(codes, key=str):
            node = self.index.version_at(code, when) if code else None
            out.append(f"{code} {node.name}" if node else code or "outside the recorded lineage")
        return ", ".join(out)
