"""Every division and town name of every date in one Aho-Corasick automaton, for address parsing.

Built once per data version from the lineage index (provinces, prefectures and counties since
1981, their lineage) and the town versions of the statistical vintages (with each vintage's
spelling, …街道办事处 as well as …街道). A name found in an address stands for the versions
that bore it; ``at_date`` turns each into the version in force on the address's date: the same
version, the same code's version then (襄樊市 → 襄阳市, one code renamed), or where the code
itself ended, the versions its lineage led to by then (望城县 → 望城区).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import ahocorasick

from boundaries.geocode.names import forms
from boundaries.history.service import LineageIndex, Node

Candidate = tuple[Node, str]
"""A version a name stands for, and how the name was written (``full`` or ``short``)."""


class AddressIndex:
    """Names of every version by text, and each version's ancestors at a date."""

    def __init__(self, lineage: LineageIndex, towns, spellings, key) -> None:
        self.key = key
        self.lineage = lineage
        self.towns: dict[str, list[Node]] = defaultdict(list)
        names: dict[str, dict[int, Candidate]] = defaultdict(dict)

        def add(node: Node, name: str) -> None:
            for text, kind in forms(name, node.level):
                held = names[text].get(node.id)
                if held is None or held[1] != "full":
                    names[text][node.id] = (node, kind)

        for node in lineage.nodes.values():
            add(node, node.name)
        by_id: dict[int, Node] = {}
        for r in towns:
            node = Node(r["id"], r["code"], r["name"], "town", r["parent_code"], r["valid_from"],
                        r["valid_to"], r["last_year"])  # fmt: skip
            by_id[node.id] = node
            self.towns[node.code].append(node)
            add(node, node.name)
        for r in spellings:
            if (node := by_id.get(r["version_id"])) is not None and r["name"] != node.name:
                add(node, r["name"])
        self.town_first = min((n.valid_from for n in by_id.values()), default=None)
        self.automaton = ahocorasick.Automaton()
        for text, found in names.items():
            if len(text) >= 2:
                self.automaton.add_word(text, (text, tuple(found.values())))
        self.size = len(names)
        if self.size:
            self.automaton.make_automaton()

    def hits(self, text: str):
        """Yield (start, end, key, candidates) for every name occurring in normalised text."""
        if not self.size:
            return
        for last, (key, found) in self.automaton.iter(text):
            yield last + 1 - len(key), last + 1, key, found

    def version_at(self, code: str, when: date) -> Node | None:
        """Return the version of a division or town code in force on ``when``."""
        if len(code) == 9:
            return next((n for n in self.towns.get(code, ()) if n.valid_at(when)), None)
        return self.lineage.version_at(code, when)

    def at_date(self, node: Node, when: date) -> list[Node]:
        """Return the versions in force on ``when`` that a version's name stands for then."""
        if node.valid_at(when):
            return [node]
        same = self.version_at(node.code, when)
        if same is not None:
            return [same]
        if node.level == "town" or node.valid_from > when:
            return []
        found: dict[int, Node] = {}
        stack, seen = [node], {node.id}
        while stack:
            current = stack.pop()
            for link in current.out:
                target = self.lineage.nodes[link.target]
                if not link.ending or link.effective > when or target.id in seen:
                    continue
                seen.add(target.id)
                if target.valid_at(when):
                    found[target.id] = target
                elif target.valid_to is not None and target.valid_to <= when:
                    stack.append(target)
        return sorted(found.values(), key=lambda n: n.code)

    def ancestors(self, node: Node, when: date) -> list[Node]:
        """Return the versions above ``node`` on ``when``, nearest first."""
        out: list[Node] = []
        code = node.parent_code
        while code:
            parent = self.lineage.version_at(code, when)
            if parent is None or len(out) > 3:
                break
            out.append(parent)
            code = parent.parent_code
        return out
