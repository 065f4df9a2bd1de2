"""Forward-geocoding requests: one address, or a JSON/CSV batch, answered by an AddressGeocoder."""

from __future__ import annotations

from datetime import date

import asyncpg

from boundaries.errors import BatchTooLarge, DivisionNotFound, InvalidInput
from boundaries.geocode.service import AddressGeocoder, AddressItem
from boundaries.io.uploads import csv_body
from boundaries.routes import json_object

STATUSES = ("found", "ambiguous", "not_found", "invalid")


def parse_json(body: bytes, max_items: int) -> tuple[list[AddressItem], str | None]:
    """Read ``{"items": [{address, at?, id?} | "address"], "at"?}``; return (items, at)."""
    data = json_object(body)
    items = data.get("items")
    if not isinstance(items, list):
        raise InvalidInput("items", "body must be an object with a list 'items' of {address, at?, id?}")
    if len(items) > max_items:
        raise BatchTooLarge(f"{len(items)} addresses sent; at most {max_items} per request")
    out = []
    for item in items:
        if isinstance(item, str):
            out.append(AddressItem(item))
        elif isinstance(item, dict):
            out.append(AddressItem(item.get("address"), item.get("at"), item.get("id")))
        else:
            out.append(AddressItem(None))
    at = data.get("at")
    if at is not None and not isinstance(at, str):
        raise InvalidInput("at", f"at must be a date string YYYY, YYYY-MM or YYYY-MM-DD, got {at!r}")
    return out, at


def parse_csv(
    body: bytes, max_items: int, address_col: str = "address", date_col: str = "at"
) -> list[AddressItem]:
    """Read CSV with a header naming the address column (optional date and ``id`` columns).

    UTF-8 (with or without BOM) or GB18030/GBK; a cut-off body, an unterminated quote or a row
    with the wrong number of fields is refused as a whole, naming the line.
    """
    table = csv_body(body, max_items)
    names = [h.strip().lower() for h in table.header]
    if address_col.lower() not in names:
        raise InvalidInput(
            "address_col", f"CSV header has no column {address_col!r} (columns: {', '.join(table.header)})"
        )
    ia = names.index(address_col.lower())
    iat = names.index(date_col.lower()) if date_col.lower() in names else None
    iid = names.index("id") if "id" in names else None
    out = []
    for line, row in zip(table.lines, table.rows, strict=True):
        if all(not cell.strip() for cell in row):
            continue
        at = row[iat].strip() or None if iat is not None else None
        out.append(AddressItem(row[ia].strip(), at, row[iid].strip() if iid is not None else None, line))
    return out


async def geocode_one(geocoder: AddressGeocoder, conn: asyncpg.Connection, q, at, today: date) -> dict:
    """Answer GET /v1/geocode: one address at a date; no division name in it is a 404."""
    if not isinstance(q, str) or not q.strip():
        raise InvalidInput("q", "q is required: the address to geocode (地址)")
    (result,) = await geocoder.geocode(conn, [AddressItem(q)], at, today)
    if result["status"] == "invalid":
        error = result["error"]
        raise InvalidInput("q" if error["field"] == "address" else error["field"], error["message"])
    if result["status"] == "not_found":
        raise DivisionNotFound(f"no division name found in the address {q!r} as of {result['at']}")
    for key in ("index", "id", "error"):
        result.pop(key, None)
    return result


async def geocode_batch(
    geocoder: AddressGeocoder, conn: asyncpg.Connection, items: list[AddressItem], at, today: date
) -> dict:
    """Answer a batch: one entry per address in order, with counts per status."""
    results = await geocoder.geocode(conn, items, at, today)
    counts = dict.fromkeys(STATUSES, 0)
    for r in results:
        counts[r["status"]] += 1
    return {"count": len(results), **counts, "results": results}
