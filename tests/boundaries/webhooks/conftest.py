"""Fixtures for the webhook tests: feed entries by SQL, a real local HTTP receiver, a clock.

Feed entries are inserted straight into ``change_feed`` and their deliveries queued with the
same statement the feed's ``append`` runs, so these tests do not depend on the feed package.
Everything happens in the test's transaction, which is rolled back.
"""

import asyncio
import contextlib
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import asyncpg
import httpx
import orjson
import pytest

from boundaries.webhooks import service, signing
from boundaries.webhooks.delivery import Backoff, DeliveryWorker
from placenames import auth

SECRET = "a-test-secret-of-32-characters!!"

ENQUEUE = """
    INSERT INTO webhook_deliveries (subscription_id, seq)
    SELECT id, $1 FROM webhook_subscriptions WHERE active AND after_seq < $1
"""


async def append(conn: asyncpg.Connection, kind: str = "rename", **entry) -> int:
    """Append a (synthetic) feed entry after the head, queue its deliveries; return its seq."""
    seq = await conn.fetchval("SELECT coalesce(max(seq), 0) + 1 FROM change_feed")
    body = {"seq": seq, "kind": kind, "effective": "2025-03-01", "test": True, **entry}
    await conn.execute(
        "INSERT INTO change_feed (seq, source, kind, effective, entry) "
        "VALUES ($1, 'recorded', $2, '2025-03-01', $3::text::jsonb)",
        seq,
        kind,
        orjson.dumps(body).decode(),
    )
    await conn.execute(ENQUEUE, seq)
    return seq


@dataclass
class Received:
    """One request the receiver got, and whether its signature verified."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    status: int


@dataclass
class Receiver:
    """A minimal HTTP/1.1 server on a free loopback port that checks signatures and records bodies.

    It answers each request with the next status of ``statuses`` (200 once they run out), after
    ``delay`` seconds.
    """

    secret: str = SECRET
    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)
    server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/hooks/divisions"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            verified = signing.verify(
                self.secret,
                headers.get(signing.HEADER_TIMESTAMP.lower()),
                body,
                headers.get(signing.HEADER_SIGNATURE.lower()),
            )
            status = self.statuses.pop(0) if self.statuses else 200
            self.requests.append(Received(method, path, headers, body, verified, status))
            if self.delay:
                await asyncio.sleep(self.delay)
            answer = b"thanks" if status < 300 else b"receiver is having a bad day"
            phrase = HTTPStatus(status).phrase
            writer.write(
                f"HTTP/1.1 {status} {phrase}\r\nContent-Type: text/plain\r\n"
                f"Content-Length: {len(answer)}\r\nConnection: close\r\n\r\n".encode()
                + answer
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    @property
    def seqs(self) -> list[int]:
        return [int(r.headers[signing.HEADER_SEQ.lower()]) for r in self.requests]


@pytest.fixture
async def receiver():
    r = Receiver()
    r.server = await asyncio.start_server(r.handle, "127.0.0.1", 0)
    try:
        yield r
    finally:
        r.server.close()
        await r.server.wait_closed()


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC) + timedelta(seconds=1))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def plain_client() -> httpx.AsyncClient:
    """An HTTP client that ignores proxy settings of the environment (the receiver is local)."""
    return httpx.AsyncClient(timeout=5, follow_redirects=False, trust_env=False)


@pytest.fixture
async def worker(test_dsn, clock):
    w = DeliveryWorker(
        lambda: asyncpg.connect(test_dsn),
        plain_client,
        timeout=2.0,
        backoff=Backoff(jitter=0),
        clock=clock,
        rng=random.Random(0),
    )
    try:
        yield w
    finally:
        await w.stop()


@pytest.fixture
async def admin(conn):
    """An admin made inside the test's transaction."""
    return await auth.add_user(conn, "hooks_admin", "admin")


@pytest.fixture
def subscribe(conn, admin):
    async def make(url: str, secret: str = SECRET, **body) -> dict:
        return await service.subscribe(conn, {"url": url, "secret": secret, **body}, admin)

    return make


async def delivery_rows(conn, subscription_id: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM webhook_deliveries WHERE subscription_id = $1 ORDER BY seq", subscription_id
    )


async def attempt_rows(conn, delivery_id: int) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM webhook_attempts WHERE delivery_id = $1 ORDER BY id", delivery_id)
