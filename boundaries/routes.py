"""What every router of the package shares: the date query, heavy-request flags, JSON answers.

FastAPI is imported only by modules named ``routes.py``: this one and each subpackage's.
"""

from typing import Annotated

import orjson
from fastapi import Query, Request, Response

from boundaries.errors import InvalidInput

AtQuery = Annotated[
    str | None,
    Query(description="Date as YYYY (31 Dec), YYYY-MM (month end) or YYYY-MM-DD; default today."),
]


LimitQuery = Annotated[int | None, Query(ge=1, le=100_000, description="At most this many (default: all)")]
OffsetQuery = Annotated[int, Query(ge=0, le=10_000_000, description="Skip this many first")]


def paged_response(request: Request, key: str, rows: list, limit: int | None, offset: int, respond=None,
                   **fields) -> Response:  # fmt: skip
    """One page of a list: ``total`` of all, ``offset``, ``count`` here, the page under ``key``.

    ``Link: <…>; rel="next"`` names the next page when more follow; ``respond`` turns the body
    into the response (default: JSON).
    """
    page = rows[offset : offset + limit] if limit else rows[offset:]
    body = {**fields, "total": len(rows), "offset": offset, "count": len(page), key: page}
    response = (respond or json_response)(body)
    if limit and offset + limit < len(rows):
        nxt = request.url.include_query_params(limit=limit, offset=offset + limit)
        response.headers["Link"] = f'<{nxt}>; rel="next"'
    return response


# Read-only POSTs anyone may send (documented as such), counted as heavy requests.
PUBLIC_HEAVY = {"x-roles": ["anyone"], "x-heavy": True}


def json_response(payload) -> Response:
    """Serialise with orjson (dates as ISO strings)."""
    return Response(orjson.dumps(payload), media_type="application/json")


def json_object(raw: bytes, required: bool = True) -> dict:
    """Parse a JSON object body (an empty body is ``{}`` when not required); 422 on field ``body``."""
    if not raw.strip() and not required:
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput("body", f"request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise InvalidInput("body", "request body must be a JSON object")
    _check_text(body, "")
    return body


def _check_text(value, where: str) -> None:
    """Refuse text PostgreSQL cannot store (NUL, lone surrogates), naming where it is."""
    if isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, where or "body")
            _check_text(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_text(item, f"{where}[{i}]")
    elif isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidInput(where or "body", f"{where or 'body'} holds an unpaired surrogate") from None
        if "\x00" in value:
            raise InvalidInput(where or "body", f"{where or 'body'} holds a NUL character")
