"""A division change as staff draft it: one JSON document, read and checked field by field.

The document (also the file ``spatial-platform changes draft FILE`` reads)::

    {"kind": "rename", "effective": "2025-06-01",
     "document": {"number": "国函〔2025〕12号", "authority": "国务院", "date": "2025-03-01"},
     "title": "...", "text": "...",
     "ends": ["430122"],
     "starts": [{"code": "430112", "name": "望城区", "level": "county", "parent": "430100"}],
     "edges": [{"from": "430122", "to": "430112", "relation": "whole"}],
     "boundaries": [{"code": "430112", "crs": "wgs84", "geometry": {GeoJSON (Multi)Polygon}}],
     "corrects": null}

``ends`` are the divisions whose version in force ends on the effective date, ``starts`` the
versions that begin then, ``edges`` where area goes (``whole`` or ``partial``), ``boundaries``
the new boundaries of divisions whose area changes (in any accepted CRS), ``corrects`` the id of
a published change this one replaces (a ``correction`` with no parts withdraws it). Reading never
stops at the first problem: every problem is listed with its field and reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

import shapely
from shapely.geometry.base import BaseGeometry

from boundaries import crs as crsmod
from boundaries.codes import LEVELS
from boundaries.errors import InvalidInput
from boundaries.sources.areacodes import level_of

KINDS = (
    "rename", "code_change", "merge", "split", "transfer", "establish", "abolish", "reparent",
    "reorganize", "correction",
)  # fmt: skip
"""Kinds of change: 更名, 代码变更, 合并, 拆分, 部分区域划转, 设立, 撤销, 隶属关系变更, 重组, 更正."""

# 文号: issuing organ's abbreviation, the year in 〔〕 (or [] / ()), the serial number, 号.
DOC_NUMBER = re.compile(
    r"[\u4e00-\u9fffA-Za-z]{1,20}\s*[〔\[（(［【]\s*(\d{4})\s*[〕\]）)］】]\s*第?\d{1,5}\s*号"
)
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_CODE6 = re.compile(r"\d{6}")
_HAN = re.compile(r"[\u3400-\u9fff]")
FIRST_DAY = date(1981, 1, 2)
AHEAD = timedelta(days=3 * 366)
"""How far ahead a change may be published to take effect (three years)."""


@dataclass(frozen=True)
class Start:
    """A version the change opens."""

    code: str
    name: str
    level: str
    parent: str | None


@dataclass(frozen=True)
class EdgeIn:
    """Area passing from one division to another."""

    source: str
    target: str
    relation: str


@dataclass(frozen=True)
class BoundaryIn:
    """A new boundary of a division whose area changes (WGS 84)."""

    code: str
    geom: BaseGeometry
    crs: str
    repaired: bool


@dataclass
class Change:
    """A change document read into values; ``problems`` lists what is wrong with it on its own."""

    kind: str | None = None
    effective: date | None = None
    doc_number: str | None = None
    authority: str | None = None
    doc_date: date | None = None
    title: str | None = None
    text: str | None = None
    ends: list[str] = field(default_factory=list)
    starts: list[Start] = field(default_factory=list)
    edges: list[EdgeIn] = field(default_factory=list)
    boundaries: list[BoundaryIn] = field(default_factory=list)
    corrects: int | None = None
    problems: list[dict] = field(default_factory=list)

    def problem(self, where: str, reason: str) -> None:
        """Record one problem: the field it is in and why."""
        self.problems.append({"field": where, "reason": reason})

    @property
    def codes(self) -> list[str]:
        """Every code the change touches (ended, started, on an edge, given a boundary)."""
        found = {*self.ends, *(s.code for s in self.starts), *(b.code for b in self.boundaries)}
        for e in self.edges:
            found.update((e.source, e.target))
        return sorted(found)

    @property
    def started(self) -> dict[str, Start]:
        """The started versions by code."""
        return {s.code: s for s in self.starts}


def _date(value, where: str, change: Change) -> date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _DAY.fullmatch(value):
        change.problem(where, f"must be a date YYYY-MM-DD, got {value!r}")
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        change.problem(where, f"is not a real date: {value!r}")
        return None


def _text(value, where: str, change: Change, limit: int, required: bool = False) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            change.problem(where, "is required (a non-empty string)")
        return None
    if not isinstance(value, str):
        change.problem(where, f"must be a string, got {type(value).__name__}")
        return None
    if len(value) > limit:
        change.problem(where, f"is longer than {limit:,} characters")
        return None
    return value.strip()


def _code(value, where: str, change: Change) -> str | None:
    if not isinstance(value, str) or not _CODE6.fullmatch(value) or value == "000000":
        change.problem(where, f"must be a six-digit division code, got {value!r}")
        return None
    return value


def _items(body: dict, key: str, change: Change) -> list:
    value = body.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list):
        change.problem(key, f"must be a list, got {type(value).__name__}")
        return []
    return value


def _document(body: dict, change: Change, today: date) -> None:
    doc = body.get("document")
    if not isinstance(doc, dict):
        change.problem("document", "must be an object {number, authority, date}: the approving document")
        return
    number = _text(doc.get("number"), "document.number", change, 100, required=True)
    if number is not None:
        m = DOC_NUMBER.fullmatch(number)
        if m is None:
            change.problem(
                "document.number", f"{number!r} is not a document number (文号) like 国函〔2025〕12号"
            )
        elif not 1949 <= int(m[1]) <= today.year:
            change.problem("document.number", f"the year {m[1]} in {number!r} is not a real year")
    change.doc_number = number
    change.authority = _text(doc.get("authority"), "document.authority", change, 200, required=True)
    change.doc_date = _date(doc.get("date"), "document.date", change)
    if doc.get("date") in (None, ""):
        change.problem("document.date", "is required: the date the document approved the change")
    elif change.doc_date is not None and change.doc_date > today:
        change.problem("document.date", f"{change.doc_date} is in the future (today is {today})")


def _starts(body: dict, change: Change) -> None:
    for i, item in enumerate(_items(body, "starts", change)):
        where = f"starts[{i}]"
        if not isinstance(item, dict):
            change.problem(where, "must be an object {code, name, level, parent}")
            continue
        code = _code(item.get("code"), f"{where}.code", change)
        name = _text(item.get("name"), f"{where}.name", change, 50, required=True)
        if name is not None and not _HAN.search(name):
            change.problem(f"{where}.name", f"{name!r} is not a Chinese division name")
        level = item.get("level")
        if level not in LEVELS:
            change.problem(f"{where}.level", f"must be one of {', '.join(LEVELS)}, got {level!r}")
        elif code is not None and level_of(code) != level:
            change.problem(f"{where}.level", f"code {code} is a {level_of(code)} code, not a {level}")
        parent = item.get("parent")
        if level == "province":
            if parent not in (None, ""):
                change.problem(f"{where}.parent", "a province has no parent")
            parent = None
        else:
            parent = _code(parent, f"{where}.parent", change)
            if (
                parent is not None
                and level in LEVELS
                and LEVELS.index(level_of(parent)) >= LEVELS.index(level)
            ):
                change.problem(
                    f"{where}.parent", f"{parent} is a {level_of(parent)}; it cannot hold a {level}"
                )
        if code is not None and name is not None and level in LEVELS:
            if code in change.started:
                change.problem(f"{where}.code", f"{code} is started twice")
            else:
                change.starts.append(Start(code, name, level, parent))


def _edges(body: dict, change: Change) -> None:
    for i, item in enumerate(_items(body, "edges", change)):
        where = f"edges[{i}]"
        if not isinstance(item, dict):
            change.problem(where, "must be an object {from, to, relation}")
            continue
        source = _code(item.get("from"), f"{where}.from", change)
        target = _code(item.get("to"), f"{where}.to", change)
        relation = item.get("relation", "whole")
        if relation not in ("whole", "partial"):
            change.problem(f"{where}.relation", f"must be whole or partial, got {relation!r}")
        elif source is not None and target is not None:
            if source == target and source not in change.started:
                change.problem(where, f"an edge from {source} to itself moves no area")
            elif any(e.source == source and e.target == target for e in change.edges):
                change.problem(where, f"the edge {source} → {target} is given twice")
            else:
                change.edges.append(EdgeIn(source, target, relation))


def _boundaries(body: dict, change: Change) -> None:
    from boundaries.geometry.service import parse_geometry  # geometry imports history; keep it lazy

    for i, item in enumerate(_items(body, "boundaries", change)):
        where = f"boundaries[{i}]"
        if not isinstance(item, dict):
            change.problem(where, "must be an object {code, crs, geometry}")
            continue
        code = _code(item.get("code"), f"{where}.code", change)
        try:
            name = crsmod.check_crs(item.get("crs"))
        except ValueError as exc:
            change.problem(f"{where}.crs", str(exc))
            continue
        try:
            geom, repaired = parse_geometry(item.get("geometry"), name, f"{where}.geometry")
        except InvalidInput as exc:
            change.problem(exc.field, str(exc))
            continue
        if code is not None:
            if any(b.code == code for b in change.boundaries):
                change.problem(f"{where}.code", f"{code} is given two boundaries")
            else:
                change.boundaries.append(BoundaryIn(code, geom, name, repaired))


def read(body, today: date) -> Change:
    """Read a change document; the result lists every problem found in the document itself."""
    change = Change()
    if not isinstance(body, dict):
        change.problem("body", "must be a JSON object: the change document")
        return change
    known = {"kind", "effective", "document", "title", "text", "ends", "starts", "edges", "boundaries",
             "corrects"}  # fmt: skip
    for key in sorted(set(body) - known):
        change.problem(key, f"is not a field of a change (fields: {', '.join(sorted(known))})")
    kind = body.get("kind")
    if kind not in KINDS:
        change.problem("kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")
    else:
        change.kind = kind
    change.effective = _date(body.get("effective"), "effective", change)
    if body.get("effective") in (None, ""):
        change.problem("effective", "is required: the date the change takes effect (YYYY-MM-DD)")
    elif change.effective is not None and not FIRST_DAY <= change.effective <= today + AHEAD:
        change.problem(
            "effective", f"must lie between {FIRST_DAY} and {today + AHEAD}, got {change.effective}"
        )
    _document(body, change, today)
    change.title = _text(body.get("title"), "title", change, 500, required=True)
    change.text = _text(body.get("text"), "text", change, 20_000)
    for i, value in enumerate(_items(body, "ends", change)):
        code = _code(value, f"ends[{i}]", change)
        if code is not None and code in change.ends:
            change.problem(f"ends[{i}]", f"{code} is ended twice")
        elif code is not None:
            change.ends.append(code)
    _starts(body, change)
    _edges(body, change)
    _boundaries(body, change)
    corrects = body.get("corrects")
    if corrects is not None and (not isinstance(corrects, int) or isinstance(corrects, bool) or corrects < 1):
        change.problem("corrects", f"must be the id of a published change, got {corrects!r}")
    else:
        change.corrects = corrects
    _shape(change)
    return change


def _shape(change: Change) -> None:
    """Check that the parts fit the kind and each other (before looking at the register)."""
    kind, ends, starts = change.kind, change.ends, change.starts
    for code in ends:  # a version renamed in place: its area passes wholly to the new version
        if code in change.started and not any(e.source == code for e in change.edges):
            change.edges.append(EdgeIn(code, code, "whole"))
    if kind == "correction" and change.corrects is None:
        change.problem("corrects", "a correction must name the published change it corrects")
    if kind not in (None, "correction") and not (ends or starts or change.edges or change.boundaries):
        change.problem("body", "a change must end, start or move something (ends, starts, edges, boundaries)")
    if kind == "rename" and (len(ends) != 1 or len(starts) != 1 or ends[0] != starts[0].code):
        change.problem("starts", "a rename ends one version and starts one of the same code")
    if kind == "code_change" and (len(ends) != 1 or len(starts) != 1 or ends[0] == starts[0].code):
        change.problem("starts", "a code change ends one version and starts one with a new code")
    if kind == "establish" and not starts:
        change.problem("starts", "an establishment starts at least one division")
    if kind == "abolish" and not ends:
        change.problem("ends", "an abolition ends at least one division")
    if kind in ("merge", "split") and not (ends and starts):
        change.problem("starts", f"a {kind} ends and starts divisions")
    ended = set(ends)
    for i, edge in enumerate(change.edges):
        if edge.relation == "whole":
            others = [e for e in change.edges if e.source == edge.source and e is not edge]
            if others:
                change.problem(
                    f"edges[{i}].relation",
                    f"{edge.source} gives its whole area to {edge.target} but also has edges to "
                    f"{', '.join(e.target for e in others)}: make them partial",
                )
            elif edge.source not in ended:
                change.problem(
                    f"edges[{i}].relation",
                    f"{edge.source} continues, so it cannot give its whole area away: "
                    "end it or make the edge partial",
                )
    for i, code in enumerate(ends):
        if not any(e.source == code for e in change.edges) and code not in change.started:
            change.problem(f"ends[{i}]", f"{code} ends but no edge says where its area goes")


def geometry_json(boundary: BoundaryIn) -> dict:
    """Return a boundary as a GeoJSON mapping (WGS 84)."""
    return shapely.geometry.mapping(boundary.geom)
