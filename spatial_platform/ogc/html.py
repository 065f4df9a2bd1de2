"""A plain HTML rendering of every OGC API resource (conformance class HTML), escaped."""

from __future__ import annotations

from html import escape

import orjson

_STYLE = (
    "body{font:14px system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}"
)


def _links(links: list[dict]) -> str:
    items = "".join(
        f'<li><a href="{escape(link["href"])}">{escape(link.get("title") or link["rel"])}</a> '
        f"({escape(link['rel'])}, {escape(link.get('type', ''))})</li>"
        for link in links
    )
    return f"<ul>{items}</ul>"


def _table(rows: list[dict]) -> str:
    if not rows:
        return "<p>none</p>"
    keys = list(rows[0])
    head = "".join(f"<th>{escape(k)}</th>" for k in keys)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{escape('' if r.get(k) is None else str(r.get(k)))}</td>" for k in keys)
        + "</tr>"
        for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def page(title: str, doc: dict) -> bytes:
    """Render a landing page, collection list, collection, feature collection or feature."""
    parts = [f"<!doctype html><html lang=zh><meta charset=utf-8><title>{escape(title)}</title>",
             f"<style>{_STYLE}</style><h1>{escape(title)}</h1>"]  # fmt: skip
    if doc.get("description"):
        parts.append(f"<p>{escape(doc['description'])}</p>")
    if "collections" in doc:
        parts.append(_table([{"id": c["id"], "title": c["title"]} for c in doc["collections"]]))
    if doc.get("type") == "FeatureCollection":
        parts.append(
            f"<p>{doc.get('numberReturned', 0)} of {doc.get('numberMatched', '?')} features</p>"
            + _table([{"id": f.get("id"), **f["properties"]} for f in doc["features"]])
        )
    elif doc.get("type") == "Feature":
        parts.append(_table([{"id": doc.get("id"), **doc["properties"]}]))
    if "conformsTo" in doc:
        parts.append("<ul>" + "".join(f"<li>{escape(c)}</li>" for c in doc["conformsTo"]) + "</ul>")
    if "properties" in doc and doc.get("type") == "object":  # queryables
        parts.append(f"<pre>{escape(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode())}</pre>")
    parts.append(_links(doc.get("links", [])))
    return "".join(parts).encode()
