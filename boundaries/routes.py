"""What every router of the package shares: the date query, heavy-request flags, JSON answers.

FastAPI is imported only by modules named ``routes.py``: this one and each subpackage's.
"""

from typing import Annotated

import orjson
from fastapi import Query, Response

from boundaries.errors import InvalidInput

AtQuery = Annotated[
    str | None,
    Query(description="Date as YYYY (31 Dec), YYYY-MM (month end) or YYYY-MM-DD; default today."),
]


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
    return body
