"""Users, roles and API tokens (stored as SHA-256 digests; the token itself is shown once)."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

import asyncpg

from placenames import queries
from placenames.errors import Forbidden, InvalidPlacename, Unauthorized
from placenames.models import ROLES

TOKEN_PREFIX = "spn_"
_USER = re.compile(r"[A-Za-z0-9_.@-]{1,64}")


@dataclass(frozen=True)
class Actor:
    """Who is making a request: a user and their role."""

    id: int
    name: str
    role: str


def digest(token: str) -> bytes:
    """Return the stored form of a token (tokens are random, so a plain SHA-256 suffices)."""
    return hashlib.sha256(token.encode()).digest()


def require(actor: Actor | None, roles: tuple[str, ...]) -> Actor:
    """Return the actor if their role is one of ``roles``; 401 without a token, 403 otherwise."""
    if actor is None:
        raise Unauthorized("this needs an API token: send 'Authorization: Bearer <token>'")
    if actor.role not in roles:
        raise Forbidden(f"user {actor.name} has role {actor.role}; this needs {' or '.join(roles)}")
    return actor


async def system_actor(conn: asyncpg.Connection) -> Actor:
    """Return the built-in 'system' user that seeds and command-line actions run as."""
    row = await conn.fetchrow("SELECT id, name, role FROM placename_users WHERE name = 'system'")
    return Actor(row["id"], row["name"], row["role"])


async def find_user(conn: asyncpg.Connection, name: str) -> Actor | None:
    """Return a user by name."""
    row = await conn.fetchrow("SELECT id, name, role FROM placename_users WHERE name = $1", name)
    return Actor(row["id"], row["name"], row["role"]) if row else None


async def add_user(conn: asyncpg.Connection, name: str, role: str) -> Actor:
    """Create a user with a role; raise InvalidPlacename for a bad name, role or a taken name."""
    if not _USER.fullmatch(name or ""):
        raise InvalidPlacename("name", "user name must be 1-64 letters, digits or . _ @ -")
    if role not in ROLES:
        raise InvalidPlacename("role", f"role must be one of {', '.join(ROLES)}, got {role!r}")
    async with conn.transaction():
        if await find_user(conn, name):
            raise InvalidPlacename("name", f"user {name} already exists")
        user_id = await conn.fetchval(
            "INSERT INTO placename_users (name, role) VALUES ($1, $2) RETURNING id", name, role
        )
        system = await system_actor(conn)
        await queries.audit(conn, system.id, "user.add", detail={"user": name, "role": role})
    return Actor(user_id, name, role)


async def new_token(conn: asyncpg.Connection, name: str) -> str:
    """Issue a new API token for a user and return it (only its digest is stored)."""
    user = await find_user(conn, name)
    if user is None or user.name == "system":
        raise InvalidPlacename("name", f"no user {name}; create it with `spatial-platform users add`")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    async with conn.transaction():
        await conn.execute(
            "INSERT INTO placename_tokens (user_id, token_hash) VALUES ($1, $2)", user.id, digest(token)
        )
        await queries.audit(conn, user.id, "token.issue", detail={"user": name})
    return token


async def actor_from_header(conn: asyncpg.Connection, authorization: str | None) -> Actor | None:
    """Return the user of an ``Authorization: Bearer <token>`` header; None without one."""
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization must be 'Bearer <token>'")
    return await actor_for(conn, token.strip())


async def actor_for(conn: asyncpg.Connection, token: str | None) -> Actor | None:
    """Return the user a bearer token belongs to; None without a token; 401 for an unknown one."""
    if not token:
        return None
    row = await conn.fetchrow(
        """
        SELECT u.id, u.name, u.role FROM placename_tokens t JOIN placename_users u ON u.id = t.user_id
        WHERE t.token_hash = $1 AND t.revoked_at IS NULL
        """,
        digest(token),
    )
    if row is None:
        raise Unauthorized("the API token is not valid (unknown or revoked)")
    return Actor(row["id"], row["name"], row["role"])
