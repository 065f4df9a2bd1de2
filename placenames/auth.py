"""Users, roles and API tokens (stored as SHA-256 digests; the token itself is shown once).

A token expires a set number of days after it is issued (``SP_PLACENAMES_TOKEN_TTL_DAYS``) and
can be revoked; rotating a user's token issues a new one and revokes the older ones.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from placenames import queries
from placenames.errors import Forbidden, InvalidPlacename, Unauthorized
from placenames.models import ROLES

TOKEN_PREFIX = "spn_"
DEFAULT_TTL_DAYS = 90
ASK = "ask an admin for a new one (`spatial-platform users token NAME`)"
_USER = re.compile(r"[A-Za-z0-9_.@-]{1,64}")


@dataclass(frozen=True)
class Actor:
    """Who is making a request: a user, their role and the token they sent (None from the CLI)."""

    id: int
    name: str
    role: str
    token_id: int | None = None
    rate_per_second: float | None = None  # a service client's own quota


@dataclass(frozen=True)
class IssuedToken:
    """A newly issued token: the secret (shown once), its id, expiry and how many older ones it revoked."""

    token: str
    id: int
    expires_at: datetime
    revoked: int = 0


def digest(token: str) -> bytes:
    """Return the stored form of a token (tokens are random, so a plain SHA-256 suffices)."""
    return hashlib.sha256(token.encode()).digest()


def when(moment: datetime) -> str:
    """Format a token's timestamp for messages (UTC, to the minute)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def require(actor: Actor | None, roles: tuple[str, ...]) -> Actor:
    """Return the actor if their role is one of ``roles``; 401 without a token, 403 otherwise."""
    if actor is None:
        raise Unauthorized("this needs an API token: send 'Authorization: Bearer <token>'")
    if actor.role not in roles:
        raise Forbidden(f"user {actor.name} has role {actor.role}; this needs {' or '.join(roles)}")
    return actor


async def system_actor(conn: asyncpg.Connection) -> Actor:
    """Return the built-in 'system' user that seeds and command-line actions run as."""
    row = await queries.user_named(conn, "system")
    return Actor(row["id"], row["name"], row["role"])


async def find_user(conn: asyncpg.Connection, name: str) -> Actor | None:
    """Return a user by name."""
    row = await queries.user_named(conn, name)
    return Actor(row["id"], row["name"], row["role"]) if row else None


async def add_user(conn: asyncpg.Connection, name: str, role: str, rate: float | None = None) -> Actor:
    """Create a user with a role (a service client may have its own quota, ``rate`` requests/s).

    Raise InvalidPlacename for a bad name, role or quota, or a taken name.
    """
    if not _USER.fullmatch(name or ""):
        raise InvalidPlacename("name", "user name must be 1-64 letters, digits or . _ @ -")
    if role not in ROLES:
        raise InvalidPlacename("role", f"role must be one of {', '.join(ROLES)}, got {role!r}")
    if rate is not None and (role != "service" or not rate > 0):
        raise InvalidPlacename("rate", "a quota (requests per second > 0) is for users of role service")
    async with conn.transaction():
        if await find_user(conn, name):
            raise InvalidPlacename("name", f"user {name} already exists")
        user_id = await queries.insert_user(conn, name, role, rate)
        system = await system_actor(conn)
        detail = {"user": name, "role": role} | ({"rate_per_second": rate} if rate else {})
        await queries.audit(conn, system.id, "user.add", detail=detail)
    return Actor(user_id, name, role, rate_per_second=rate)


async def _token_user(conn: asyncpg.Connection, name: str) -> Actor:
    """Return the user tokens are managed for; InvalidPlacename for an unknown one or 'system'."""
    user = await find_user(conn, name)
    if user is None or user.name == "system":
        raise InvalidPlacename("name", f"no user {name}; create it with `spatial-platform users add`")
    return user


async def issue_token(
    conn: asyncpg.Connection, name: str, ttl_days: int = DEFAULT_TTL_DAYS, rotate: bool = False
) -> IssuedToken:
    """Issue a token valid for ``ttl_days``; with ``rotate`` revoke the user's older tokens too."""
    if ttl_days < 1:
        raise InvalidPlacename("ttl_days", f"a token must be valid for at least one day, got {ttl_days}")
    user = await _token_user(conn, name)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    async with conn.transaction():
        revoked = await queries.revoke_tokens(conn, user.id) if rotate else 0
        row = await queries.insert_token(conn, user.id, digest(token), ttl_days)
        action = "token.rotate" if rotate else "token.issue"
        detail = {"user": name, "expires_at": row["expires_at"].isoformat(), "revoked": revoked}
        await queries.audit(conn, user.id, action, detail=detail, token_id=row["id"])
    return IssuedToken(token, row["id"], row["expires_at"], revoked)


async def new_token(conn: asyncpg.Connection, name: str, ttl_days: int = DEFAULT_TTL_DAYS) -> str:
    """Issue a new API token for a user and return it (only its digest is stored)."""
    return (await issue_token(conn, name, ttl_days)).token


async def revoke_tokens(conn: asyncpg.Connection, name: str) -> int:
    """Revoke all of a user's tokens (later requests with them get 401); return how many."""
    user = await _token_user(conn, name)
    async with conn.transaction():
        revoked = await queries.revoke_tokens(conn, user.id)
        system = await system_actor(conn)
        await queries.audit(conn, system.id, "token.revoke", detail={"user": name, "revoked": revoked})
    return revoked


async def list_users(conn: asyncpg.Connection) -> list[dict]:
    """Every user with their role, how many tokens are usable now and when one was last used."""
    return [dict(r) for r in await queries.users(conn)]


async def actor_from_header(conn: asyncpg.Connection, authorization: str | None) -> Actor | None:
    """Return the user of an ``Authorization: Bearer <token>`` header; None without one."""
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization must be 'Bearer <token>'")
    return await actor_for(conn, token.strip())


async def actor_for(conn: asyncpg.Connection, token: str | None) -> Actor | None:
    """Return the user a bearer token belongs to; None without a token; 401 if unknown, revoked or expired."""
    if not token:
        return None
    row = await queries.token(conn, digest(token))
    if row is None:
        raise Unauthorized("the API token is not valid (unknown token)")
    if row["revoked_at"] is not None:
        raise Unauthorized(f"the API token was revoked on {when(row['revoked_at'])}; {ASK}")
    if row["expired"]:
        raise Unauthorized(f"the API token expired on {when(row['expires_at'])}; {ASK}")
    # Last use: at most one write a minute per token, never waiting for a row another request holds,
    # and only outside a transaction, so the row is not kept locked until someone else's commit.
    if not conn.is_in_transaction():
        await queries.touch_token(conn, row["token_id"])
    return Actor(row["id"], row["name"], row["role"], row["token_id"], row["rate_per_second"])
