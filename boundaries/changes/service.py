"""Recording division changes (区划变更): draft, submit, review, publish, correct.

An editor drafts a change (saved with every problem it has), submits it once it has none, and a
reviewer who is not its author approves it, which publishes it in one transaction: the register
is re-checked under the publication lock (so a second change touching the same divisions is
checked against the first), the versions, event, edges and boundaries are written, the feed
entry is appended (and webhook deliveries queued), and the place-name register follows. A
published change is never edited: a correction names it and replaces it; both stay in the feed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import asyncpg
import orjson

from boundaries.changes import apply
from boundaries.changes import queries as q
from boundaries.changes.document import Change, read
from boundaries.changes.validation import validate
from boundaries.errors import ChangeConflict, ChangeNotFound, ChangeProblems, Forbidden, InvalidInput

DRAFTERS = ("editor", "admin")
REVIEWERS = ("reviewer", "admin")
STAFF = ("editor", "reviewer", "admin")
STATES = ("draft", "submitted", "published", "rejected")
AfterPublish = Callable[[asyncpg.Connection], Awaitable[Any]]
"""Called inside the publishing transaction once the register changed (the place-name sync)."""


def out(row: asyncpg.Record) -> dict:
    """Render a change for staff: its document, problems, state and who drafted and reviewed it."""
    keys = ("id", "state", "kind", "effective", "codes", "corrects", "corrected_by", "author",
            "author_role", "created_at", "updated_at", "submitted_at", "reviewer", "reviewer_role",
            "reviewed_at", "comment", "feed_seq")  # fmt: skip
    body = {k: row[k] for k in keys}
    body["change"] = orjson.loads(row["body"])
    body["problems"] = orjson.loads(row["problems"])
    return body


async def _one(conn: asyncpg.Connection, change_id: int, lock: bool = False) -> asyncpg.Record:
    row = await q.change(conn, change_id, lock=lock)
    if row is None:
        raise ChangeNotFound(f"no division change {change_id}")
    return row


async def _audit(conn: asyncpg.Connection, actor, action: str, change_id: int, **detail) -> None:
    if getattr(actor, "token_id", None) is not None:
        detail["token"] = actor.token_id
    await q.audit(conn, actor.id, f"division_change.{action}", {"change": change_id, **detail})


async def _correction_target(conn: asyncpg.Connection, change: Change, own_id: int | None) -> dict | None:
    """Check the change a correction names; return its applied rows, or None (problem recorded)."""
    if change.corrects is None:
        return None
    target = await q.change(conn, change.corrects)
    if target is None or target["state"] != "published":
        state = "no change" if target is None else f"a {target['state']} change"
        change.problem("corrects", f"{change.corrects} is {state}; only a published change can be corrected")
        return None
    if target["corrected_by"] is not None and target["corrected_by"] != own_id:
        change.problem(
            "corrects", f"change {change.corrects} was already corrected by {target['corrected_by']}"
        )
        return None
    later = await q.later_published(conn, change.corrects, sorted({*target["codes"], *change.codes}), own_id)
    if later:
        change.problem(
            "corrects",
            f"changes {', '.join(map(str, later))} were published after {change.corrects} and touch the "
            "same divisions; correct them first",
        )
        return None
    return {**orjson.loads(target["applied"]), "feed_seq": target["feed_seq"]}


async def check(conn: asyncpg.Connection, change: Change, own_id: int | None = None) -> list[dict]:
    """Return every problem of ``change`` against the register now; writes nothing."""
    if change.problems and change.effective is None:
        return change.problems
    tr = conn.transaction()
    await tr.start()
    try:
        target = await _correction_target(conn, change, own_id)
        if target is not None:
            await apply.undo(conn, target)
        return await validate(conn, change)
    finally:
        await tr.rollback()


def _row(change: Change, body: dict, problems: list[dict], actor) -> dict:
    return {
        "kind": change.kind or "reorganize",
        "effective": change.effective or date(1981, 1, 2),
        "body": body,
        "codes": change.codes,
        "corrects": change.corrects,
        "problems": problems,
        "author_id": actor.id,
        "token_id": getattr(actor, "token_id", None),
    }


def _body(body) -> dict:
    if not isinstance(body, dict):
        raise InvalidInput("body", "body must be a JSON object: the change document")
    return body


async def draft(conn: asyncpg.Connection, body, actor, today: date) -> dict:
    """Save a new draft with all its problems listed (a draft may have problems; it cannot be submitted)."""
    change = read(_body(body), today)
    problems = await check(conn, change)
    async with conn.transaction():
        if change.kind is None or change.effective is None:
            raise ChangeProblems(
                "the change cannot be saved without a valid kind and effective date", problems
            )
        change_id = await q.insert_change(conn, _row(change, body, problems, actor))
        await _audit(conn, actor, "draft", change_id, body=body)
        return out(await _one(conn, change_id))


async def update(conn: asyncpg.Connection, change_id: int, body, actor, today: date) -> dict:
    """Replace the document of a draft (or of a rejected change, which becomes a draft again)."""
    change = read(_body(body), today)
    problems = await check(conn, change, change_id)
    async with conn.transaction():
        row = await _one(conn, change_id, lock=True)
        if row["state"] not in ("draft", "rejected"):
            raise ChangeConflict(
                f"change {change_id} is {row['state']}; only a draft or a rejected one is edited"
            )
        if change.kind is None or change.effective is None:
            raise ChangeProblems(
                "the change cannot be saved without a valid kind and effective date", problems
            )
        await q.update_change(conn, change_id, _row(change, body, problems, actor))
        await _audit(conn, actor, "edit", change_id, body=body, previous=orjson.loads(row["body"]))
        return out(await _one(conn, change_id))


async def submit(conn: asyncpg.Connection, change_id: int, actor, today: date) -> dict:
    """Submit a draft for review; refused with every problem listed if it has any (nothing changes)."""
    async with conn.transaction():
        row = await _one(conn, change_id, lock=True)
        if row["state"] != "draft":
            raise ChangeConflict(f"change {change_id} is {row['state']}; only a draft is submitted")
        problems = await check(conn, read(orjson.loads(row["body"]), today), change_id)
        if problems:
            raise ChangeProblems(
                f"change {change_id} has {len(problems)} problem(s); fix them first", problems
            )
        await q.set_state(conn, change_id, "submitted", [])
        await _audit(conn, actor, "submit", change_id)
        return out(await _one(conn, change_id))


def _reviewable(row: asyncpg.Record, actor) -> None:
    if row["state"] != "submitted":
        raise ChangeConflict(f"change {row['id']} is {row['state']}; only a submitted change is reviewed")
    if row["author_id"] == actor.id:
        raise Forbidden(f"change {row['id']} is yours; another reviewer must review it")


async def publish_row(
    conn: asyncpg.Connection, row: asyncpg.Record, today: date, append=None
) -> tuple[dict, dict]:
    """Re-check and write one change (inside the caller's transaction); return (applied, entry).

    With ``append`` (the feed's), the entry is appended and gets its sequence number.
    """
    change = read(orjson.loads(row["body"]), today)
    target = await _correction_target(conn, change, row["id"])
    if change.problems:
        raise ChangeConflict(f"change {row['id']} no longer applies", change.problems)
    if target is not None:
        await apply.undo(conn, target)
        await q.mark_corrected(conn, change.corrects, row["id"])
    problems = await validate(conn, change)
    if problems:
        raise ChangeConflict(
            f"change {row['id']} no longer applies to the register (a change published since touches it)",
            problems,
        )
    applied, entry = await apply.write(conn, change, row["id"])
    entry["corrects"] = target["feed_seq"] if target else None
    if append is not None:
        entry = await append(conn, entry, source="recorded", change_id=row["id"])
    await q.mark_published(conn, row["id"], applied, entry.get("seq"))
    return applied, entry


async def approve(
    conn: asyncpg.Connection,
    change_id: int,
    actor,
    today: date,
    comment: str | None = None,
    after_publish: AfterPublish | None = None,
) -> dict:
    """Approve and publish a submitted change, all in one transaction."""
    from boundaries.feed.service import append

    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", q.LOCK)
        row = await _one(conn, change_id, lock=True)
        _reviewable(row, actor)
        _applied, entry = await publish_row(conn, row, today, append)
        await q.review(conn, change_id, "published", actor.id, comment)
        synced = await after_publish(conn) if after_publish is not None else None
        await _audit(conn, actor, "publish", change_id, seq=entry.get("seq"))
        result = out(await _one(conn, change_id))
    result["entry"] = entry
    if synced is not None:
        result["placenames"] = {k: getattr(synced, k) for k in ("created", "changed", "retired")}
    return result


async def reject(conn: asyncpg.Connection, change_id: int, actor, comment) -> dict:
    """Reject a submitted change with a comment; nothing in the register changes."""
    if not isinstance(comment, str) or not comment.strip():
        raise InvalidInput("comment", "comment must say why the change is rejected (a non-empty string)")
    async with conn.transaction():
        row = await _one(conn, change_id, lock=True)
        _reviewable(row, actor)
        await q.review(conn, change_id, "rejected", actor.id, comment.strip())
        await _audit(conn, actor, "reject", change_id, comment=comment.strip())
        return out(await _one(conn, change_id))


async def read_one(conn: asyncpg.Connection, change_id: int) -> dict:
    """Return one change."""
    return out(await _one(conn, change_id))


async def listing(
    conn: asyncpg.Connection, state: str | None, code: str | None, limit: int | None = None
) -> list[dict]:
    """Return changes by state and code, oldest first."""
    if state is not None and state not in STATES:
        raise InvalidInput("state", f"state must be one of {', '.join(STATES)}, got {state!r}")
    return [out(r) for r in await q.changes(conn, state, code, limit)]


async def take_back_all(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Undo every published change, newest first (before areacodes is re-ingested); return them."""
    rows = await q.published_in_order(conn)
    for row in reversed(rows):
        if row["applied"] is not None and row["corrected_by"] is None:
            await apply.undo(conn, orjson.loads(row["applied"]))
    return rows


async def replay(conn: asyncpg.Connection, rows: list[asyncpg.Record], today: date) -> int:
    """Publish ``rows`` again in feed order onto a re-ingested history; their feed entries stay."""
    for row in rows:
        if row["corrects"] is not None:
            await q.mark_corrected(conn, row["corrects"], None)
    for row in rows:
        try:
            await publish_row(conn, row, today)
        except ChangeConflict as exc:
            raise ChangeConflict(
                f"recorded change {row['id']} does not apply to the re-ingested history: {exc}", exc.problems
            ) from None
    return len(rows)
