"""Parse one address at a date: the best chain of names, province down to town, in writing order.

Every name found in the normalised address (``AddressIndex.hits``) becomes one or more *hits*:
a version in force on the date, how it was written (``full``, ``short``, ``other_suffix`` for
长沙区 written for 长沙市, ``other_date`` for a name not in force then, 襄樊市 in 2015) and a
score. A chain takes hits left to right, each below the one before it on that date (a level may
be skipped); the chain with the highest score wins. Names that go on as a street (北京路, 中山大道)
are not divisions; a town needs a division above it written in the address, or its full name.
Levels not written are filled in from the one below (长沙县 → 长沙市, 湖南省). Chains that tie with
another result are given as alternatives, and the confidence is shared among them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from boundaries.geocode.index import AddressIndex
from boundaries.geocode.names import SUFFIX_CHARS, TOWN_STARTS, normalise, stem, street_follows
from boundaries.history.service import Node

LEVELS = ("province", "prefecture", "county", "town")
_RANK = {level: i for i, level in enumerate(LEVELS)}
_SCORE = {"full": 10.0, "short": 6.0, "other_suffix": 6.0}
_CONFIDENCE = {"full": 1.0, "short": 0.9, "other_suffix": 0.85, "other_date": 0.8}
_OTHER_DATE = 2.0  # a name not in force on the date scores this much less
_TOWN_START = 4.0  # a town written with no division above it scores this much less
_SKIPPED = 1.0  # each level skipped between two names written costs this much
MAX_ALTERNATIVES = 5


@dataclass(slots=True)
class Hit:
    """A version in force on the date, found in the address between ``start`` and ``end``."""

    start: int
    end: int
    node: Node
    kind: str
    written: str
    written_as: Node | None  # the version whose name was written, when not the one in force
    score: float
    above: frozenset[str]  # codes of the versions above it on the date


def _found(index: AddressIndex, text: str) -> list[tuple]:
    """Names in the text that are not a street's, nor the end of a longer name (沙县 in 长沙县).

    A name inside a longer one ending at the same place is kept when another name ends between
    their starts (开封市郊区: 郊区, not 市郊区).
    """
    raw = [h for h in index.hits(text) if not street_follows(text, h[1])]
    ends = {h[1] for h in raw}

    def covered(h) -> bool:
        return any(g[1] == h[1] and g[0] < h[0] and not any(g[0] < e <= h[0] for e in ends) for g in raw)

    return [h for h in raw if not covered(h)]


def _hits(index: AddressIndex, text: str, when: date, memo: dict) -> list[Hit]:
    """Every usable hit in the text, as versions in force on ``when``."""
    out: list[Hit] = []
    for start, end, key, found in _found(index, text):
        for node, kind in found:
            how, stop = kind, end
            if kind == "short":
                follow = text[end : end + 1]
                if follow.isdigit() or (node.level == "town" and key[-1] in "路街"):
                    continue
                if node.level != "town" and text.startswith(TOWN_STARTS, end):
                    continue
                if node.level != "town" and follow in SUFFIX_CHARS:
                    how, stop = "other_suffix", end + 1
            for current in _in_force(index, node, when, memo):
                score = _SCORE[how] + 0.1 * len(key)
                if how != "full" and _RANK[current.level] < _RANK["county"]:
                    score += 0.5  # 湖南长沙: the city before the county of the same stem
                old = current.id != node.id and current.name != node.name
                if old:
                    score -= _OTHER_DATE
                    if not current.name.startswith(stem(node.name, node.level) or node.name):
                        score -= 0.5  # 陆丰县 became 陆丰市 and 陆河县: 陆丰市 first
                above = memo.get(("above", current.id))
                if above is None:
                    above = memo[("above", current.id)] = frozenset(
                        n.code for n in index.ancestors(current, when)
                    )
                out.append(
                    Hit(start, stop, current, how, text[start:stop], node if old else None, score, above)
                )
    return out


def _in_force(index: AddressIndex, node: Node, when: date, memo: dict) -> list[Node]:
    key = (node.id, when)
    if key not in memo:
        memo[key] = index.at_date(node, when)
    return memo[key]


def _keep_towns(hits: list[Hit]) -> list[Hit]:
    """Towns under a division written in the address, and towns written in full (50 of a name)."""
    upper = {h.node.code for h in hits if h.node.level != "town"}
    kept, full = [], {}
    for h in hits:
        if h.node.level != "town" or h.above & upper:
            kept.append(h)
        elif h.kind == "full" and full.setdefault(h.written, 0) < 50:
            full[h.written] += 1
            kept.append(h)
    return kept


def _chains(hits: list[Hit]) -> list[tuple[float, list[Hit]]]:
    """Best chain ending at each hit: (score, hits in order)."""
    hits.sort(key=lambda h: (h.start, h.end))
    best: list[tuple[float, list[Hit]]] = []
    for i, hit in enumerate(hits):
        score, chain = None, None
        for j in range(i):
            prev = hits[j]
            if prev.end <= hit.start and prev.node.code in hit.above:
                gap = _RANK[hit.node.level] - _RANK[prev.node.level] - 1
                if gap > 0 and hit.node.parent_code == prev.node.code:
                    gap = 0  # no level between them (省直辖县, 东莞市's towns)
                total = best[j][0] - _SKIPPED * gap
                if score is None or total > score:
                    score, chain = total, best[j][1]
        if score is None:
            if hit.node.level == "town" and hit.kind != "full":
                best.append((float("-inf"), [hit]))
                continue
            start = hit.score - (_TOWN_START if hit.node.level == "town" else 0.0)
            best.append((start, [hit]))
        else:
            best.append((score + hit.score, [*chain, hit]))
    return best


def parse(index: AddressIndex, address: str, when: date, memo: dict | None = None) -> dict:
    """Return the divisions an address names on ``when``, with confidence and alternatives."""
    memo = {} if memo is None else memo
    text = normalise(address)
    hits = _keep_towns(_hits(index, text, when, memo))
    ranked = sorted(
        ((s, c) for s, c in _chains(hits) if s > float("-inf")),
        key=lambda sc: (-sc[0], sc[1][-1].node.code),
    )
    out: dict = {"address": address, "at": when, "status": "not_found", "level": None, "code": None}
    out.update({level: None for level in (*LEVELS, "village")})
    out.update(confidence=0.0, rest=text, alternatives=[], notes=[])
    if not ranked:
        return out
    top, chain = ranked[0]
    tied, seen = [], {chain[-1].node.id}
    for score, other in ranked[1:]:
        if score < top - 1e-9:
            break
        if other[-1].node.id not in seen:
            seen.add(other[-1].node.id)
            tied.append(other)
    _fill(index, out, chain, when)
    out["rest"] = text[chain[-1].end :]
    weakest = min(_CONFIDENCE["other_date" if h.written_as else h.kind] for h in chain)
    out["confidence"] = round(weakest / (1 + len(tied)), 3)
    out["status"] = "ambiguous" if tied else "found"
    out["alternatives"] = [_summary(index, other, when) for other in tied[:MAX_ALTERNATIVES]]
    if index.town_first is not None and when < index.town_first:
        out["notes"].append(f"towns are known from {index.town_first} (the first statistical vintage)")
    return out


def _fill(index: AddressIndex, out: dict, chain: list[Hit], when: date) -> None:
    """Put each level of the chain, and the levels above it not written, into ``out``."""
    deepest = chain[-1].node
    for node in (deepest, *index.ancestors(deepest, when)):
        out[node.level] = {"code": node.code, "name": node.name, "matched": "inferred", "written": None}
    for hit in chain:
        entry = out[hit.node.level]
        entry["matched"] = "other_date" if hit.written_as else hit.kind
        entry["written"] = hit.written
        if hit.written_as is not None:
            was = hit.written_as
            out["notes"].append(
                f"{hit.written} is the name of {was.code} from {was.valid_from} to "
                f"{was.valid_to or 'today'}; on {when} the division is {hit.node.name} ({hit.node.code})"
            )
    out["level"], out["code"] = deepest.level, deepest.code


def _summary(index: AddressIndex, chain: list[Hit], when: date) -> dict:
    """Describe another reading of the address: its deepest division and those above it."""
    deepest = chain[-1].node
    path = [deepest, *index.ancestors(deepest, when)]
    return {
        "code": deepest.code,
        "name": deepest.name,
        "level": deepest.level,
        "path": [{"code": n.code, "name": n.name, "level": n.level} for n in reversed(path)],
    }
