"""A truthful OpenAPI document: the error bodies the service really sends, on every operation.

FastAPI documents its own validation shape (``HTTPValidationError``) and only the statuses a
route declares. Every error of this service is ``{"detail": "...", "field": "..."}`` (plus, for
imports and change drafts, the list of problems); this adds that ``Error`` schema and, per
operation, the statuses it can answer: 422 (a malformed parameter or body), 503 (database
unavailable or too busy, with Retry-After), 404 where a path names a thing, 401/403 where a
token is needed, 409/412/413 for writes, 429 where a public rate limit applies, 400 in the OGC
API.
"""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import FastAPI

EXAMPLES = Path(__file__).with_name("openapi_examples.json")
"""Real requests and answers per operation, recorded by scripts/record_openapi_examples.py."""

ERROR = {
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string", "description": "What was wrong, in words"},
        "field": {"type": ["string", "null"], "description": "The parameter, body field or column at fault"},
        "problems": {
            "type": "array",
            "items": {"type": "object"},
            "description": "Every problem, when several",
        },
        "errors": {"type": "array", "items": {"type": "object"}, "description": "Rejected import rows"},
    },
    "example": {"detail": "code must be 6, 9 or 12 digits, got '43010'", "field": "code"},
}
DESCRIPTIONS = {
    "400": "A malformed OGC API parameter (names the field)",
    "401": "No token, or an unknown, revoked or expired one",
    "403": "The token's role may not do this",
    "404": "No such division, record or resource (says why)",
    "409": "The state does not allow it (a change already reviewed or conflicting; no data to plan with)",
    "412": "If-Match does not name the current version",
    "413": "More items, rows or bytes than the limit",
    "422": "A malformed parameter or body (names the field)",
    "428": "If-Match is required: send the version you edit",
    "429": "Rate limit reached (Retry-After says when to retry)",
    "503": "Database unavailable or too many heavy requests (Retry-After)",
}
WRITES = ("post", "put", "patch", "delete")
NUMBERS = {
    "lon": {"type": "number", "minimum": -180, "maximum": 180, "example": 112.9389},
    "lat": {"type": "number", "minimum": -90, "maximum": 90, "example": 28.1776},
}
"""Query parameters read as text (to name them in errors) that are numbers to a client."""
NAMED = {"code", "division", "parent", "division_code", "county", "county_code"}
"""Query parameters naming a division: an unknown one is a 404, as a path would be."""


def _statuses(path: str, method: str, op: dict) -> list[str]:
    out = ["422", "503"]
    names = {p.get("name") for p in op.get("parameters", [])}
    if "{" in path or names & NAMED:
        out.append("404")
    roles = op.get("x-roles") or []
    if op.get("security") or (roles and "anyone" not in roles):
        out += ["401", "403"]
    elif method in WRITES or roles:
        out.append("401")  # a bad token is refused even where anyone may call
    if method in WRITES:
        out += ["409", "413", "428"] if roles and "anyone" not in roles else ["413"]
    if method in ("put", "patch", "delete"):
        out.append("412")
    if path.startswith("/v1/placenames") and method == "get":
        out.append("429")
    if path.startswith("/ogc"):
        out += ["400", "404"]
    if path.startswith("/v1/planning"):  # the division asked for, or its facilities or population, missing
        out += ["404", "409"]
    return sorted(set(out))


def _hoist_defs(node, schemas: dict, names: dict | None = None):
    """Move pydantic's nested ``$defs`` into the components and point their refs there.

    Request bodies given as ``model_json_schema()`` carry ``#/$defs/…`` refs that no client can
    resolve from the document's root. A definition whose name the components already use for a
    different schema is renamed (``Document`` of a change draft is not the history's).
    """
    if isinstance(node, list):
        return [_hoist_defs(item, schemas, names) for item in node]
    if not isinstance(node, dict):
        return node
    names = dict(names or {})
    defs = node.pop("$defs", {})
    for name, sub in defs.items():
        final, n = name, 1
        while final in schemas and schemas[final] != sub:
            n += 1
            final = f"{name}{n}"
        names[name] = final
    for name, sub in defs.items():
        schemas[names[name]] = _hoist_defs(sub, schemas, names)
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        node["$ref"] = "#/components/schemas/" + names.get(ref.removeprefix("#/$defs/"), ref[8:])
    for key, value in node.items():
        if key != "$ref":
            node[key] = _hoist_defs(value, schemas, names)
    return node


def truthful(schema: dict) -> dict:
    """Rewrite a FastAPI OpenAPI document in place (and return it)."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    _hoist_defs(schema["paths"], schemas)
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Error"] = ERROR
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, item in schema.get("paths", {}).items():
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            for param in op.get("parameters", []):
                if param.get("in") == "query" and param.get("name") in NUMBERS:
                    param["schema"] = {**NUMBERS[param["name"]], "title": param["name"].title()}
            responses = op["responses"]
            for status in _statuses(path, method, op):
                given = responses.get(status, {})
                responses[status] = {
                    "description": given.get("description") or DESCRIPTIONS[status],
                    "content": body,
                }
            if "503" in responses:
                responses["503"]["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
    _attach_examples(schema, json.loads(EXAMPLES.read_text()))
    return schema


def _attach_examples(schema: dict, examples: dict) -> None:
    """Put each recorded request body and answer on its operation as its JSON example."""
    for key, example in examples.items():
        method, path = key.split(" ", 1)
        op = schema["paths"].get(path, {}).get(method)
        if op is None:
            continue
        if "request" in example:
            content = op.setdefault("requestBody", {}).setdefault("content", {})
            content.setdefault("application/json", {})["example"] = example["request"]
        if "response" in example:
            content = op["responses"].setdefault("200", {"description": "OK"}).setdefault("content", {})
            media = next(iter(content), "application/json")  # GeoJSON where the operation says so
            content.setdefault(media, {})["example"] = example["response"]


def document_errors(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the truthful document (FastAPI's, rewritten once)."""
    original = app.openapi
    done: list[dict] = []

    def openapi() -> dict:
        if not done:
            done.append(truthful(original()))
        return done[0]

    app.openapi = openapi
