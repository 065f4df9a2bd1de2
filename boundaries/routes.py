"""What every router of the package shares: the date query, heavy-request flags, JSON answers.

FastAPI is imported only by modules named ``routes.py``: this one and each subpackage's.
"""

from typing import Annotated

import orjson
from fastapi import Query, Response

AtQuery = Annotated[
    str | None,
    Query(description="Date as YYYY (31 Dec), YYYY-MM (month end) or YYYY-MM-DD; default today."),
]


# Read-only POSTs anyone may send (documented as such), counted as heavy requests.
PUBLIC_HEAVY = {"x-roles": ["anyone"], "x-heavy": True}


def json_response(payload) -> Response:
    """Serialise with orjson (dates as ISO strings)."""
    return Response(orjson.dumps(payload), media_type="application/json")
