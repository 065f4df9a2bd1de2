"""Boundary adjustments under review: an editor proposes, a different reviewer publishes.

Nothing changes a boundary in force until a proposal is published. A published adjustment is
undone only by publishing a withdrawal (a correction naming it, with its reason): the withdrawn
geometry leaves ``division_geometries`` and the boundary it replaced is in force again, while
the proposal keeps the geometry, who proposed, who published and why. Every step is audited.
"""

from __future__ import annotations

import asyncio

import asyncpg
import shapely

from boundaries.errors import Forbidden, InvalidInput, ProposalConflict, ProposalNotFound
from boundaries.geometry import queries as q
from boundaries.geometry.service import (
    BoundaryUpload,
    apply_adjustment,
    check_adjustment,
    upload_method,
)
from boundaries.history.service import LineageIndex

PROPOSERS = ("editor", "admin")
REVIEWERS = ("reviewer", "admin")
STAFF = ("editor", "reviewer", "admin")
STATES = ("submitted", "published", "rejected")


def _reason(value, field: str = "reason") -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(field, f"{field} must say why (a non-empty string)")
    if len(value) > 2000:
        raise InvalidInput(field, f"{field} is longer than 2,000 characters")
    return value.strip()


def _out(row: asyncpg.Record, geometry: bool = False) -> dict:
    """Render a proposal for staff (names and roles of who proposed and reviewed)."""
    keys = (
        "id", "code", "action", "effective", "crs", "method", "reason", "withdraws", "state",
        "author", "author_role", "created_at", "reviewer", "reviewer_role", "reviewed_at",
        "comment", "geometry_id", "withdrawn_by",
    )  # fmt: skip
    out = {k: row[k] for k in keys}
    if geometry and row.get("geom") is not None:
        out["geometry"] = shapely.geometry.mapping(shapely.from_wkb(row["geom"]))
    return out


async def _audit(conn: asyncpg.Connection, actor, action: str, proposal: dict) -> None:
    detail = {"proposal": proposal["id"], "code": proposal["code"], "state": proposal["state"]}
    if getattr(actor, "token_id", None) is not None:
        detail["token"] = actor.token_id
    await q.audit(conn, actor.id, f"boundary.{action}", detail)


async def _one(conn: asyncpg.Connection, proposal_id: int, **kwargs) -> asyncpg.Record:
    row = await q.proposal(conn, proposal_id, **kwargs)
    if row is None:
        raise ProposalNotFound(f"no boundary proposal {proposal_id}")
    return row


async def propose(
    conn: asyncpg.Connection, index: LineageIndex, code: str, upload: BoundaryUpload, actor
) -> dict:
    """Record a proposed adjustment (checked as if published now); nothing in force changes."""
    async with conn.transaction():
        await check_adjustment(conn, index, code, upload.effective)
        proposal_id = await q.insert_proposal(
            conn,
            {
                "code": code,
                "action": "adjust",
                "effective": upload.effective,
                "geom": shapely.to_wkb(upload.geom),
                "crs": upload.crs,
                "method": upload_method(upload),
                "reason": upload.reason,
                "author_id": actor.id,
                "token_id": getattr(actor, "token_id", None),
            },
        )
        out = _out(await _one(conn, proposal_id))
        await _audit(conn, actor, "propose", out)
    return out


async def propose_withdrawal(conn: asyncpg.Connection, proposal_id: int, reason, actor) -> dict:
    """Propose to withdraw a published adjustment (a correction that needs review too)."""
    why = _reason(reason)
    async with conn.transaction():
        target = await _one(conn, proposal_id, lock=True)
        if target["action"] != "adjust" or target["state"] != "published":
            raise ProposalConflict(
                f"proposal {proposal_id} is a {target['state']} {target['action']}; only a published "
                "adjustment can be withdrawn"
            )
        if target["withdrawn_by"] is not None:
            raise ProposalConflict(
                f"proposal {proposal_id} was already withdrawn by proposal {target['withdrawn_by']}"
            )
        if (pending := await q.pending_withdrawal(conn, proposal_id)) is not None:
            raise ProposalConflict(f"proposal {pending} to withdraw proposal {proposal_id} awaits review")
        new_id = await q.insert_proposal(
            conn,
            {
                "code": target["code"],
                "action": "withdraw",
                "reason": why,
                "withdraws": proposal_id,
                "author_id": actor.id,
                "token_id": getattr(actor, "token_id", None),
            },
        )
        out = _out(await _one(conn, new_id))
        await _audit(conn, actor, "propose", out)
    return out


def _check_reviewer(row: asyncpg.Record, actor) -> None:
    if row["state"] != "submitted":
        raise ProposalConflict(f"proposal {row['id']} is {row['state']}; only a submitted one is reviewed")
    if row["author_id"] == actor.id:
        raise Forbidden(f"proposal {row['id']} is yours; another reviewer must review it")


async def publish(
    conn: asyncpg.Connection, index: LineageIndex, proposal_id: int, actor, comment: str | None = None
) -> dict:
    """Publish a proposal: apply the adjustment or the withdrawal, atomically."""
    async with conn.transaction():
        row = await _one(conn, proposal_id, lock=True, geometry=True)
        _check_reviewer(row, actor)
        geometry_id = None
        if row["action"] == "adjust":
            try:
                geometry_id = await apply_adjustment(conn, index, row)
            except InvalidInput as exc:
                raise ProposalConflict(f"proposal {proposal_id} no longer applies: {exc}") from None
        else:
            await _withdraw(conn, row)
        await q.review_proposal(conn, proposal_id, "published", actor.id, comment, geometry_id)
        out = _out(await _one(conn, proposal_id))
        await _audit(conn, actor, "publish", out)
    return out


async def _withdraw(conn: asyncpg.Connection, correction: asyncpg.Record) -> None:
    """Take the adjustment a correction names out of force (it must be the latest boundary)."""
    target = await _one(conn, correction["withdraws"], lock=True)
    if target["withdrawn_by"] is not None:
        raise ProposalConflict(f"proposal {target['id']} was already withdrawn")
    geometry = await q.geometry_row(conn, target["geometry_id"]) if target["geometry_id"] else None
    if geometry is None:
        raise ProposalConflict(f"the boundary proposal {target['id']} opened is no longer stored")
    latest = await q.latest_geometry(conn, target["code"])
    if latest is not None and latest["id"] != geometry["id"]:
        raise ProposalConflict(
            f"a later boundary of {target['code']} starts {latest['valid_from']}; withdraw it first"
        )
    await q.withdraw_geometry(conn, geometry)
    await q.mark_withdrawn(conn, target["id"], correction["id"])


async def reject(conn: asyncpg.Connection, proposal_id: int, actor, comment) -> dict:
    """Reject a proposal with a comment; nothing in force changes."""
    why = _reason(comment, "comment")
    async with conn.transaction():
        row = await _one(conn, proposal_id, lock=True)
        _check_reviewer(row, actor)
        await q.review_proposal(conn, proposal_id, "rejected", actor.id, why)
        out = _out(await _one(conn, proposal_id))
        await _audit(conn, actor, "reject", out)
    return out


async def read(conn: asyncpg.Connection, proposal_id: int) -> dict:
    """Return one proposal with its geometry (WGS 84 GeoJSON)."""
    row = await _one(conn, proposal_id, geometry=True)
    return await asyncio.to_thread(_out, row, True)


async def listing(conn: asyncpg.Connection, state: str | None, code: str | None, limit: int) -> list[dict]:
    """Return proposals by state and code, oldest first."""
    if state is not None and state not in STATES:
        raise InvalidInput("state", f"state must be one of {', '.join(STATES)}, got {state!r}")
    return [_out(r) for r in await q.proposals(conn, state, code, limit)]
