"""The change feed as an Atom 1.0 document (RFC 4287), for feed readers and simple pollers."""

from __future__ import annotations

from xml.etree.ElementTree import Element, SubElement, tostring

ATOM = "http://www.w3.org/2005/Atom"
FEED_ID = "urn:spatial-platform:division-changes"


def _summary(entry: dict) -> str:
    doc = entry.get("document") or {}
    parts = [f"{entry['kind']} effective {entry.get('effective')}"]
    if doc.get("number"):
        parts.append(f"document {doc['number']}" + (f" ({doc['authority']})" if doc.get("authority") else ""))
    ends = ", ".join(f"{v['code']} {v['name']}" for v in entry.get("ends", ())[:20])
    starts = ", ".join(f"{v['code']} {v['name']}" for v in entry.get("starts", ())[:20])
    if ends:
        parts.append(f"ends {ends}")
    if starts:
        parts.append(f"starts {starts}")
    return "; ".join(parts)


def render(entries: list[dict], head: int, base_url: str, updated: str | None) -> bytes:
    """Return the Atom XML of ``entries`` (newest last as published) with links to each JSON entry."""
    feed = Element("feed", xmlns=ATOM)
    SubElement(feed, "id").text = FEED_ID
    SubElement(feed, "title").text = "Published division changes (区划变更)"
    SubElement(feed, "updated").text = updated or "1970-01-01T00:00:00+00:00"
    SubElement(feed, "link", rel="self", href=f"{base_url}/v1/changes.atom")
    SubElement(feed, "link", rel="alternate", type="application/json", href=f"{base_url}/v1/changes")
    SubElement(SubElement(feed, "author"), "name").text = "spatial-platform"
    SubElement(feed, "subtitle").text = f"{head} published entries"
    for entry in entries:
        item = SubElement(feed, "entry")
        SubElement(item, "id").text = f"{FEED_ID}:{entry['seq']}"
        SubElement(item, "title").text = entry.get("title") or f"{entry['kind']} {entry.get('effective')}"
        SubElement(item, "updated").text = entry["published_at"]
        SubElement(item, "published").text = entry["published_at"]
        SubElement(item, "link", rel="alternate", type="application/json",
                   href=f"{base_url}/v1/changes/{entry['seq']}")  # fmt: skip
        SubElement(item, "category", term=entry["kind"])
        SubElement(item, "summary").text = _summary(entry)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + tostring(feed, encoding="unicode").encode()
