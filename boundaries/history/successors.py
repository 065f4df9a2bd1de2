"""Successors: today's versions covering the area a division had at a date, with their chains.

``SuccessorSearch`` is mixed into ``LineageIndex`` (history/service.py), whose versions and
edges it walks; ``chain_out`` describes a found chain for JSON.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date
from typing import TYPE_CHECKING

from boundaries.codes import LEVELS

if TYPE_CHECKING:
    from boundaries.history.service import LineageIndex, Link, Node

_RANK = {level: i for i, level in enumerate(LEVELS)}


class SuccessorSearch:
    """Successor search over the index's versions and edges, memoised per lineage cut."""

    nodes: dict[int, Node]
    by_code: dict[str, list[Node]]
    children: dict[str, list[Node]]
    _memo: dict[tuple[int, int], dict[int, tuple[Link, ...]]]
    _today: dict[tuple[int, int], list[dict]]

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
