"""Bulk import (all or nothing, every invalid row reported) and export of published records."""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import asyncpg
import orjson

from boundaries import InvalidInput
from placenames import queries
from placenames.auth import Actor, require
from placenames.errors import ImportRejected, InvalidPlacename
from placenames.models import EDITABLE_FIELDS, STAFF
from placenames.search import division_prefix
from placenames.validation import NAME_MAX, clean

Progress = Callable[[str, int, int], None]
MAX_REPORTED = 1000
IGNORED = {"id", "version", "level", "state", "division_path", "syllables", "published_version", "fid"}
_OTHER = re.compile(r"\s*([^@;]+?)\s*(?:@\s*([\d-]*)\s*(?:/\s*([\d-]*))?)?\s*$")


@dataclass
class ImportResult:
    """What an import did, or with dry_run would do."""

    rows: int
    created: int
    dry_run: bool
    ids: list[int] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


def _noop(stage: str, done: int, total: int) -> None:
    """Ignore progress."""


def _other_names(value):
    """Parse former names / aliases from a flat file: JSON, or 'name@from/to; name2'."""
    if not isinstance(value, str):
        return value
    if value.lstrip().startswith("["):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            raise InvalidPlacename("former_names", f"not valid JSON: {exc}") from None
    out = []
    for part in filter(str.strip, value.split(";")):
        m = _OTHER.fullmatch(part)
        out.append({"name": m[1], "from": m[2] or None, "to": m[3] or None} if m else {"name": part})
    return out


def _row_data(row: dict) -> dict:
    """Pick the editable fields of a file row, with codes as text and name lists parsed."""
    data = {k: row.get(k) for k in EDITABLE_FIELDS if row.get(k) is not None}
    for key in ("division_code", "parent_code", "code"):
        value = data.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            # a whole number (a code a spreadsheet stored as a number) becomes its digits; anything
            # else (1.5, inf, nan) stays a number so the check names the field instead of failing
            whole = isinstance(value, int) or (math.isfinite(value) and value == int(value))
            data[key] = str(int(value)) if whole else value
    for key in ("former_names", "aliases"):
        if key in data:
            try:
                data[key] = _other_names(data[key])
            except InvalidPlacename as exc:
                raise InvalidPlacename(key, str(exc)) from None
    return data


def _check_rows(rows: list[dict], progress: Progress, name_max: int) -> tuple[list, list[dict]]:
    """Check and normalise every row on its own (CPU-bound: pinyin, geometry); collect the errors."""
    contents, errors = [], []
    for number, row in enumerate(rows, 1):
        try:
            contents.append(clean(_row_data(row), None, name_max))
        except (InvalidPlacename, InvalidInput) as exc:
            errors.append({"row": number, "field": exc.field, "reason": str(exc)})
            contents.append(None)
        if number % 10_000 == 0:
            progress("validate", number, len(rows))
    return contents, errors


async def validate(
    conn: asyncpg.Connection, rows: list[dict], progress: Progress, name_max: int = NAME_MAX
) -> tuple[list[dict], list[dict]]:
    """Return (contents, errors); each error names its 1-based row, the field and the reason."""
    contents, errors = await asyncio.to_thread(_check_rows, rows, progress, name_max)
    codes = {c[k] for c in contents if c for k in ("division_code", "parent_code") if c[k]}
    known = {
        r["code"]
        for r in await conn.fetch(
            "SELECT DISTINCT code FROM division_versions WHERE valid_to IS NULL AND code = ANY($1::text[])",
            sorted(codes),
        )
    }
    keys = [
        (c["name"], c["category"], c["parent_code"] or c["division_code"]) if c else None for c in contents
    ]
    existing = await _published(conn, [k for k in keys if k])
    seen: dict[tuple, int] = {}
    for number, (content, key) in enumerate(zip(contents, keys, strict=True), 1):
        if content is None:
            continue
        for name in ("division_code", "parent_code"):
            if content[name] and content[name] not in known:
                errors.append(
                    {"row": number, "field": name, "reason": f"{content[name]} is not in force today"}
                )
        if key in existing:
            reason = f"duplicates published record {existing[key]} ({key[0]}, {key[1]}, under {key[2]})"
            errors.append({"row": number, "field": "name", "reason": reason})
        elif key in seen:
            errors.append(
                {"row": number, "field": "name", "reason": f"duplicates row {seen[key]} of this file"}
            )
        seen.setdefault(key, number)
    errors.sort(key=lambda e: e["row"])
    return contents, errors


async def _published(conn: asyncpg.Connection, keys: list[tuple]) -> dict[tuple, int]:
    """Map each (name, category, parent) that a published record already has to its id."""
    if not keys:
        return {}
    rows = await conn.fetch(
        """
        SELECT t.name, t.category, t.parent, min(p.id) AS id
        FROM unnest($1::text[], $2::text[], $3::text[]) AS t(name, category, parent)
        JOIN placenames p ON coalesce(p.parent_code, p.division_code) = t.parent
             AND p.category = t.category AND p.name = t.name AND p.public_status = 'published'
        GROUP BY 1, 2, 3
        """,
        *map(list, zip(*keys, strict=True)),
    )
    return {(r["name"], r["category"], r["parent"]): r["id"] for r in rows}


async def import_rows(
    conn: asyncpg.Connection,
    actor: Actor | None,
    rows: list[dict],
    dry_run: bool = False,
    progress: Progress = _noop,
    source: str = "upload",
    name_max: int = NAME_MAX,
) -> ImportResult:
    """Validate every row; if all are valid (and not a dry run) create them as submitted records."""
    actor = require(actor, STAFF)
    columns = {k for row in rows for k in row} - {"geometry"}
    ignored = sorted(columns - set(EDITABLE_FIELDS) - IGNORED)
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('placenames import'))")
        contents, errors = await validate(conn, rows, progress, name_max)
        if errors:
            raise ImportRejected(errors[:MAX_REPORTED], len(rows), len(errors))
        if dry_run:
            return ImportResult(len(rows), 0, True, [], ignored)
        ids = await _write(conn, actor, contents, f"imported from {source}", progress)
        span = [ids[0], ids[-1]] if ids else []
        detail = {"source": source, "rows": len(ids), "ids": span}
        await queries.audit(conn, actor.id, "import", detail=detail, token_id=actor.token_id)
    return ImportResult(len(rows), len(ids), False, ids, ignored)


async def _write(
    conn: asyncpg.Connection, actor: Actor, contents: list[dict], reason: str, progress: Progress
) -> list[int]:
    """Create one submitted record per content with COPY and set-based inserts."""
    if not contents:
        return []
    progress("write", 0, len(contents))
    ids = [
        r[0]
        for r in await conn.fetch(
            "SELECT nextval('placenames_id_seq') FROM generate_series(1, $1)", len(contents)
        )
    ]
    await conn.execute(
        """
        CREATE TEMP TABLE import_rows (id bigint, name text, pinyin text, syllables text, category text,
            division_code text, parent_code text, code text, level text, geom text, meaning text,
            origin text, former_names text, aliases text) ON COMMIT DROP
        """
    )
    await conn.copy_records_to_table(
        "import_rows", records=[(i, *queries.content_args(c)) for i, c in zip(ids, contents, strict=True)]
    )
    await conn.execute(
        "INSERT INTO placenames (id, version, state) SELECT id, 1, 'submitted' FROM import_rows"
    )
    await conn.execute(
        f"""
        INSERT INTO placename_versions (record_id, version, status, action, author_id, reason,
                                        {queries.COLUMNS})
        SELECT id, 1, 'submitted', 'import', $1, $2, name, pinyin, syllables, category, division_code,
               parent_code, code, level, ST_SetSRID(ST_GeomFromGeoJSON(geom), 4326), meaning, origin,
               former_names::jsonb, aliases::jsonb
        FROM import_rows ORDER BY id
        """,
        actor.id,
        reason,
    )
    await conn.execute("DROP TABLE import_rows")
    progress("write", len(contents), len(contents))
    return ids


async def published_rows(
    conn: asyncpg.Connection,
    division: str | None = None,
    category: str | None = None,
    after: int = 0,
    limit: int | None = None,
) -> list[dict]:
    """Return published records (optionally within a division or of a category) for export.

    ``after`` and ``limit`` page through them by id, so an export never holds them all at once.
    """
    prefix = division_prefix(division)
    rows = await conn.fetch(
        f"""
        SELECT p.id, p.published_version AS version, {queries.READ.format(t="p")}, p.division_path
        FROM placenames p
        WHERE p.public_status = 'published' AND p.id > $3
          AND ($1::text IS NULL OR p.within_code LIKE $1 || '%') AND ($2::text IS NULL OR p.category = $2)
        ORDER BY p.id LIMIT $4
        """,
        prefix,
        category,
        after,
        limit,
    )
    return [{k: v for k, v in queries.decode(r).items() if k != "syllables"} for r in rows]


async def published_has_multi(
    conn: asyncpg.Connection, division: str | None = None, category: str | None = None
) -> bool:
    """Whether any published record an export selects has a multi-part geometry."""
    return await conn.fetchval(
        """
        SELECT EXISTS (
            SELECT 1 FROM placenames p
            WHERE p.public_status = 'published' AND ST_GeometryType(p.geom) LIKE 'ST_Multi%'
              AND ($1::text IS NULL OR p.within_code LIKE $1 || '%') AND ($2::text IS NULL OR p.category = $2)
        )
        """,
        division_prefix(division),
        category,
    )
