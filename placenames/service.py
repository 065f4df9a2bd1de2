"""Editing with review: create, change, submit, approve, reject, retire, read and compare records."""

from __future__ import annotations

import re
from datetime import datetime

import asyncpg

from placenames import queries
from placenames.auth import Actor, require
from placenames.errors import (
    DuplicateName,
    Forbidden,
    InvalidPlacename,
    InvalidTransition,
    PreconditionRequired,
    RecordNotFound,
    VersionConflict,
)
from placenames.models import CONTENT_FIELDS, REVIEWERS, STAFF
from placenames.validation import NAME_MAX, check_text, clean

_ETAG = re.compile(r'\s*(?:W/)?"?(\d{1,9})"?\s*')
# action → (roles, states it may start from, resulting state, reason required)
TRANSITIONS = {
    "submit": (STAFF, ("draft",), "submitted", False),
    "approve": (REVIEWERS, ("submitted",), "published", False),
    "reject": (REVIEWERS, ("submitted",), "draft", True),
    "retire": (REVIEWERS, ("published",), "retired", True),
}


def is_staff(actor: Actor | None) -> bool:
    """Tell whether the actor sees drafts (editor, reviewer or admin)."""
    return actor is not None and actor.role in STAFF


def parse_if_match(value: str | None) -> int:
    """Return the version an If-Match header names; 428 when missing, 412 when unreadable."""
    if value is None or not value.strip():
        raise PreconditionRequired("changes need If-Match: the ETag (version) of the record you read")
    m = _ETAG.fullmatch(value)
    if not m:
        raise InvalidPlacename("If-Match", f'If-Match must be a version ETag such as "3", got {value!r}')
    return int(m[1])


def _reason(value, required: bool, what: str) -> str | None:
    """Return the why of a change; required for edits, rejections and retirements."""
    reason = check_text(value, "reason", 2000)
    if required and not reason:
        raise InvalidPlacename("reason", f"{what} needs a reason (why the change is made)")
    return reason


async def _record(conn: asyncpg.Connection, record_id: int) -> asyncpg.Record:
    """Return a record or raise RecordNotFound."""
    row = await queries.record(conn, record_id)
    if row is None:
        raise RecordNotFound(f"no place-name record {record_id}")
    return row


async def _check_divisions(conn: asyncpg.Connection, content: dict) -> None:
    """Refuse division codes that are not in force today, and parents outside the county."""
    if not await queries.division_known(conn, content["division_code"]):
        raise InvalidPlacename(
            "division_code", f"division_code {content['division_code']} is not in force today"
        )
    parent = content.get("parent_code")
    if parent and len(parent) > 6 and not parent.startswith(content["division_code"]):
        raise InvalidPlacename(
            "parent_code", f"parent_code {parent} is not inside county {content['division_code']}"
        )
    if parent and not await queries.division_known(conn, parent):
        raise InvalidPlacename("parent_code", f"parent_code {parent} is not a division in force today")


async def _check_duplicate(conn: asyncpg.Connection, content: dict, record_id: int | None) -> None:
    """Refuse a name a published record of the same category already has under the same parent."""
    parent = content.get("parent_code") or content["division_code"]
    await queries.lock_name(conn, content["name"], content["category"], parent)
    found = await queries.duplicate(conn, content["name"], content["category"], parent, record_id)
    if found:
        existing = {**dict(found), "division_path": " ".join(found["division_path"])}
        raise DuplicateName(content["name"], existing)


async def _write(
    conn: asyncpg.Connection,
    actor: Actor,
    record_id: int,
    expected: int,
    state: str,
    action: str,
    reason: str | None,
    content: dict,
) -> int:
    """Advance the head from ``expected`` and append the version; 412 if someone got there first."""
    number = await queries.advance(conn, record_id, expected, state)
    if number is None:
        current = await conn.fetchval("SELECT version FROM placenames WHERE id = $1", record_id)
        raise VersionConflict(record_id, str(expected), current)
    await queries.insert_version(conn, record_id, number, state, action, actor.id, reason, content)
    detail = {"reason": reason, "name": content["name"]}
    await queries.audit(conn, actor.id, action, record_id, number, detail, token_id=actor.token_id)
    return number


async def create(conn: asyncpg.Connection, actor: Actor | None, data, name_max: int = NAME_MAX) -> dict:
    """Create a draft record (editors and above) and return it."""
    actor = require(actor, STAFF)
    content = clean(data, None, name_max)
    reason = _reason(data.get("reason"), False, "creating a record")
    async with conn.transaction():
        await _check_divisions(conn, content)
        await _check_duplicate(conn, content, None)
        record_id = await queries.insert_record(conn, "draft")
        await queries.insert_version(conn, record_id, 1, "draft", "create", actor.id, reason, content)
        detail = {"name": content["name"]}
        await queries.audit(conn, actor.id, "create", record_id, 1, detail, token_id=actor.token_id)
    return await read(conn, actor, record_id)


async def update(
    conn: asyncpg.Connection,
    actor: Actor | None,
    record_id: int,
    if_match: str | None,
    data,
    name_max: int = NAME_MAX,
) -> dict:
    """Apply a change on top of the version named in If-Match; the result is a new draft."""
    actor = require(actor, STAFF)
    expected = parse_if_match(if_match)
    if not isinstance(data, dict):
        raise InvalidPlacename("body", "body must be a JSON object")
    reason = _reason(data.get("reason"), True, "a change")
    async with conn.transaction():
        head = await _record(conn, record_id)
        if head["version"] != expected:
            raise VersionConflict(record_id, str(expected), head["version"])
        base = queries.decode(await queries.version(conn, record_id, expected))
        content = clean(data, {k: base[k] for k in CONTENT_FIELDS}, name_max)
        if any(content[k] != base[k] for k in ("division_code", "parent_code")):
            await _check_divisions(conn, content)
        if any(content[k] != base[k] for k in ("name", "category", "division_code", "parent_code")):
            await _check_duplicate(conn, content, record_id)
        await _write(conn, actor, record_id, expected, "draft", "update", reason, content)
    return await read(conn, actor, record_id)


async def transition(
    conn: asyncpg.Connection,
    actor: Actor | None,
    record_id: int,
    action: str,
    if_match: str | None,
    reason_value=None,
) -> dict:
    """Submit, approve, reject or retire the version named in If-Match."""
    roles, sources, target, needs_reason = TRANSITIONS[action]
    actor = require(actor, roles)
    expected = parse_if_match(if_match)
    reason = _reason(reason_value, needs_reason, action)
    async with conn.transaction():
        head = await _record(conn, record_id)
        if head["version"] != expected:
            raise VersionConflict(record_id, str(expected), head["version"])
        if head["state"] not in sources:
            raise InvalidTransition(
                f"record {record_id} is {head['state']}; {action} needs {' or '.join(sources)}"
            )
        if action in ("approve", "reject"):
            authors = await queries.authors_since_published(conn, record_id, head["published_version"])
            if actor.id in authors:
                raise Forbidden(f"{actor.name} wrote this change; another reviewer must {action} it")
        source = expected if action != "retire" else head["published_version"]
        content = queries.decode(await queries.version(conn, record_id, source))
        key = ("name", "category", "division_code", "parent_code")
        if action == "approve" and (head["public_status"] is None or any(content[k] != head[k] for k in key)):
            await _check_duplicate(conn, content, record_id)
        number = await _write(conn, actor, record_id, expected, target, action, reason, content)
        if target in ("published", "retired"):
            await queries.publish(conn, record_id, number, target)
    return await read(conn, actor, record_id)


async def read(
    conn: asyncpg.Connection,
    actor: Actor | None,
    record_id: int,
    at: datetime | None = None,
    number: int | None = None,
) -> dict:
    """Return a record: staff see the head, the public the published version; or as of a date."""
    head = await _record(conn, record_id)
    staff = is_staff(actor)
    if at is not None:
        number = await queries.public_version_at(conn, record_id, at)
        if number is None:
            raise RecordNotFound(f"record {record_id} was not published on {at.date()}")
    elif number is None:
        number = head["version"] if staff else head["published_version"]
    if number is None:
        raise RecordNotFound(f"no published place-name record {record_id}")
    row = await queries.version(conn, record_id, number)
    if row is None or (not staff and row["status"] not in ("published", "retired")):
        raise RecordNotFound(f"record {record_id} has no version {number} you may see")
    out = _attributed(queries.decode(row), staff)
    code = out["code"] or out["parent_code"] or out["division_code"]
    if number == head["published_version"]:
        out["division_path"] = list(head["division_path"])
    else:
        out["division_path"] = await queries.division_path(conn, code)
    out.update(
        state=out.pop("status"), published_version=head["published_version"], head_version=head["version"]
    )
    return out


async def history(conn: asyncpg.Connection, actor: Actor | None, record_id: int) -> list[dict]:
    """Return the versions the actor may see, oldest first."""
    await _record(conn, record_id)
    rows = await queries.history(conn, record_id, public_only=not is_staff(actor))
    if not rows:
        raise RecordNotFound(f"no published place-name record {record_id}")
    staff = is_staff(actor)
    return [_attributed(dict(r), staff) for r in rows]


def _attributed(version: dict, staff: bool) -> dict:
    """Show staff who wrote a version; the public only sees the author's role, never a name."""
    version.pop("author_id", None)
    if not staff:
        version.pop("author", None)
    return version


async def compare(conn: asyncpg.Connection, actor: Actor | None, record_id: int, old: int, new: int) -> list:
    """Return the fields that differ between two versions the actor may see."""
    a = await read(conn, actor, record_id, number=old)
    b = await read(conn, actor, record_id, number=new)
    fields = ("state", *(f for f in CONTENT_FIELDS if f != "syllables"), "division_path")
    return [{"field": f, "old": a[f], "new": b[f]} for f in fields if a[f] != b[f]]
