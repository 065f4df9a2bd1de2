"""HTTP route of the audit: ``POST /v1/divisions/audit`` checks another system's table (JSON or CSV)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from boundaries.audit import files, models
from boundaries.audit.service import MAX_ROWS, STATUSES, AuditRows, audit_table, fetch_local_codes
from boundaries.errors import BatchTooLarge, InvalidInput
from boundaries.history.service import IndexCache
from boundaries.routes import PUBLIC_HEAVY, AtQuery, json_object, json_response

_CSV_EXAMPLE = "code,name,date\n430122,望城县,2015\n110101,东城区,2024\n"


def _json_rows(body: bytes) -> AuditRows:
    """Read a JSON body ``{"rows": [...]}``."""
    rows = json_object(body).get("rows")
    if not isinstance(rows, list):
        raise InvalidInput("rows", "body must be an object with a list 'rows' of {code, name, date}")
    if len(rows) > MAX_ROWS:
        raise BatchTooLarge(f"{len(rows)} rows sent; at most {MAX_ROWS} per audit")
    return AuditRows.from_json(rows)


@dataclass
class AuditRouter:
    """Builds the audit router; dependencies are fields so tests can swap them."""

    get_connection: Callable
    index_cache: IndexCache
    authorize: Any
    today: Callable[[], date] = date.today

    def router(self) -> APIRouter:
        """Return a router with ``POST /v1/divisions/audit`` mounted."""
        api = APIRouter(prefix="/v1/divisions", tags=["divisions"])
        Conn = Annotated[asyncpg.Connection, Depends(self.get_connection)]
        Caller = Annotated[Any, Depends(self.authorize.actor())]  # a bad token is refused (401)

        @api.post(
            "/audit",
            response_model=models.AuditResponse,
            summary="Check another system's table of codes, names and dates (JSON or CSV, ≤ 1,000,000 rows)",
            openapi_extra={
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": models.AuditRequest.model_json_schema()},
                        "text/csv": {"schema": {"type": "string", "example": _CSV_EXAMPLE}},
                    },
                },
                **PUBLIC_HEAVY,
            },
            responses={
                200: {"content": {"text/csv": {}}, "description": "JSON, or CSV for a CSV body"},
                413: {"description": "More rows than the limit"},
            },
        )
        async def audit_rows(
            request: Request,
            conn: Conn,
            caller: Caller,
            at: AtQuery = None,
            code_col: Annotated[str, Query(description="CSV column holding codes")] = "code",
            name_col: Annotated[str, Query(description="CSV column holding names (optional)")] = "name",
            date_col: Annotated[str, Query(description="CSV column holding dates (optional)")] = "date",
        ):
            index = await self.index_cache.get(conn)
            today = self.today()
            when = index.coverage(today).parse(at)
            body = await request.body()
            as_csv = "csv" in request.headers.get("content-type", "")
            if as_csv:
                rows = await run_in_threadpool(files.read_audit_csv, body, code_col, name_col, date_col)
            else:
                rows = await run_in_threadpool(_json_rows, body)
            local = await fetch_local_codes(conn, rows)
            result = await run_in_threadpool(audit_table, index, rows, when, today, local)
            summary = result.summary()
            if as_csv:
                text = await run_in_threadpool(lambda: "".join(files.csv_lines(result)).encode())
                counts = ", ".join(f"{s}={summary[s]}" for s in STATUSES)
                return Response(
                    text, media_type="text/csv; charset=utf-8", headers={"X-Audit-Summary": counts}
                )
            return await run_in_threadpool(
                lambda: json_response({"summary": summary, "results": result.records()})
            )

        return api
