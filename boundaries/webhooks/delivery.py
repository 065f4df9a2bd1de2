"""The delivery worker: POSTs queued feed entries to subscribers, signed, with retries.

Deliveries are rows (``webhook_deliveries``), queued when an entry is appended to the feed, so a
restart loses none. The worker keeps one dedicated connection and LISTENs on ``change_feed``
(and ``webhook_deliveries``, sent when a new subscription queues a backlog) to start a round at
once; otherwise it polls every ``poll_interval`` seconds, the retries coming due.

A round claims due pending deliveries (``FOR UPDATE SKIP LOCKED``, so several app instances can
run workers side by side), at most one per subscriber, its lowest pending seq: a subscriber
never gets seq N+1 while N is pending for it. Claiming moves the delivery's next attempt past
the send's timeout (a lease), so nobody else sends it meanwhile and it is retried if this worker
dies mid-way. Each claimed delivery is POSTed (signed as ``signing`` describes; redirects are
not followed) and the attempt is logged in ``webhook_attempts`` (status or error, duration). A
2xx marks it ``delivered``; otherwise the next attempt is scheduled with exponential back-off
(30 s doubling to 1 h, with jitter), until the first attempt is more than ``give_up_after``
(24 h) old: then it is ``failed`` and the subscriber's next entry goes. A round that sent
anything is followed by another at once.

When the database goes away the worker reconnects with back-off; no error stops it, and none
reaches the app.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import orjson

from boundaries.webhooks import queries as q
from boundaries.webhooks import signing

log = logging.getLogger("boundaries.webhooks")
CHANNELS = ("change_feed", "webhook_deliveries")
LEASE_MARGIN = 30.0  # seconds a claimed delivery stays leased beyond the send's timeout
MAX_ERROR = 500  # characters of an error (or a refusing receiver's answer) kept in the log
_DATABASE_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)


@dataclass(frozen=True)
class Backoff:
    """Seconds before retry ``n``: ``base * factor**(n-1)``, capped, times 1 ± ``jitter``."""

    base: float = 30.0
    factor: float = 2.0
    cap: float = 3600.0
    jitter: float = 0.1

    def delay(self, attempt: int, rand: float = 0.5) -> float:
        """Delay after failed attempt number ``attempt`` (1 for the first); ``rand`` in [0, 1)."""
        raw = min(self.cap, self.base * self.factor ** max(0, attempt - 1))
        return min(self.cap, raw * (1 + self.jitter * (2 * rand - 1)))


@dataclass(frozen=True)
class Outcome:
    """What one POST gave: the receiver's status, or the error, and how long it took."""

    status: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        """Whether the receiver accepted the delivery (answered 2xx)."""
        return self.status is not None and 200 <= self.status < 300


def _utcnow() -> datetime:
    return datetime.now(UTC)


async def _snippet(response: httpx.Response, limit: int = 200) -> str:
    """The start of a refusing receiver's answer (never more than ``limit`` bytes read)."""
    data = b""
    with contextlib.suppress(httpx.HTTPError):
        async for chunk in response.aiter_bytes():
            data += chunk
            if len(data) >= limit:
                break
    return " ".join(data[:limit].decode("utf-8", "replace").split())


class DeliveryWorker:
    """Delivers queued feed entries to webhook subscribers; ``start()``/``stop()`` in the lifespan.

    ``connect`` opens the worker's own connection (``lambda: asyncpg.connect(dsn)``);
    ``client_factory`` builds its HTTP client (default: httpx, ``timeout`` seconds, no
    redirects). ``clock`` and ``rng`` may be injected (tests). ``run_once(conn)`` does one round
    on a given connection and returns how many deliveries it attempted.
    """

    def __init__(
        self,
        connect: Callable[[], Awaitable[asyncpg.Connection]],
        client_factory: Callable[[], httpx.AsyncClient] | None = None,
        *,
        timeout: float = 10.0,
        backoff: Backoff | None = None,
        give_up_after: timedelta = timedelta(hours=24),
        poll_interval: float = 5.0,
        batch: int = 100,
        concurrency: int = 16,
        clock: Callable[[], datetime] = _utcnow,
        rng: random.Random | None = None,
        min_delay: float = 0.5,
        max_delay: float = 30.0,
    ) -> None:
        self.connect = connect
        self.client_factory = client_factory or self._default_client
        self.timeout = timeout
        self.backoff = backoff or Backoff()
        self.give_up_after = give_up_after
        self.poll_interval = poll_interval
        self.batch = batch
        self.concurrency = concurrency
        self.clock = clock
        self.rng = rng or random.Random()
        self.min_delay = min_delay
        self.max_delay = max_delay
        self.connected = asyncio.Event()
        self.rounds = 0
        self.reconnections = 0
        self._wake = asyncio.Event()
        self._conn: asyncpg.Connection | None = None
        self._http: httpx.AsyncClient | None = None
        self._task: asyncio.Task | None = None
        self._opened = 0

    @classmethod
    def from_settings(
        cls, connect: Callable[[], Awaitable[asyncpg.Connection]], settings, **given
    ) -> DeliveryWorker:
        """Build a worker from ``WebhookSettings`` (keywords override, e.g. ``client_factory``)."""
        options = {
            "timeout": settings.timeout,
            "backoff": Backoff(settings.backoff_base, 2.0, settings.backoff_max, settings.backoff_jitter),
            "give_up_after": timedelta(hours=settings.give_up_hours),
            "poll_interval": settings.poll_interval,
            "batch": settings.batch,
            "concurrency": settings.concurrency,
        }
        return cls(connect, **(options | given))

    def _default_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            timeout=httpx.Timeout(self.timeout),
            follow_redirects=False,
            headers={"User-Agent": "spatial-platform-webhooks/1"},
        )

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Start delivering in the background (it connects, and reconnects, by itself)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="webhook delivery worker")

    async def stop(self) -> None:
        """Stop delivering; close the connection and the HTTP client (queued deliveries stay)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._drop()
        if self._http is not None:
            with contextlib.suppress(Exception):
                await self._http.aclose()
            self._http = None

    def wake(self) -> None:
        """Start a round now (as a notification does)."""
        self._wake.set()

    def _notified(self, *_args) -> None:
        self._wake.set()

    async def _open(self) -> None:
        conn = await asyncio.wait_for(self.connect(), 30)
        try:
            for channel in CHANNELS:
                await conn.add_listener(channel, self._notified)
        except BaseException:
            conn.terminate()
            raise
        conn.add_termination_listener(lambda _c: self._wake.set())
        self._conn = conn
        if self._opened:
            self.reconnections += 1
            log.info("webhook worker reconnected")
        self._opened += 1
        self.connected.set()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        self.connected.clear()
        if conn is None or conn.is_closed():
            return
        try:
            await asyncio.wait_for(conn.close(), 2)
        except Exception:
            conn.terminate()

    async def _run(self) -> None:
        delay = self.min_delay
        while True:
            try:
                if self._conn is None or self._conn.is_closed():
                    await self._drop()
                    await self._open()
                self._wake.clear()
                attempted = await self.run_once(self._conn)
                self.rounds += 1
                delay = self.min_delay
                if attempted:
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_interval)
            except asyncio.CancelledError:
                raise
            except _DATABASE_ERRORS as exc:
                log.warning("webhook worker: database unavailable (%s); retrying in %.1f s", exc, delay)
                await self._drop()
                await asyncio.sleep(delay)
                delay = min(self.max_delay, delay * 2)
            except Exception:
                log.exception("webhook worker: a delivery round failed; retrying in %.1f s", delay)
                await self._drop()
                await asyncio.sleep(delay)
                delay = min(self.max_delay, delay * 2)

    # --- one round --------------------------------------------------------------------------

    def _client(self) -> httpx.AsyncClient:
        if self._http is None or self._http.is_closed:
            self._http = self.client_factory()
        return self._http

    async def run_once(self, conn: asyncpg.Connection | None = None) -> int:
        """Claim the due deliveries, POST them, log each attempt; return how many were attempted.

        Runs on ``conn`` (default: the worker's own connection; one is opened for the round
        when it has none).
        """
        if conn is None and self._conn is None:
            own = await self.connect()
            try:
                return await self.run_once(own)
            finally:
                await own.close()
        conn = conn if conn is not None else self._conn
        now = self.clock()
        lease = now + timedelta(seconds=self.timeout + LEASE_MARGIN)
        async with conn.transaction():
            claimed = await q.claim(conn, now, lease, self.batch)
        if not claimed:
            return 0
        client = self._client()
        limit = asyncio.Semaphore(self.concurrency)

        async def send(row: asyncpg.Record) -> Outcome:
            async with limit:
                return await self._post(client, row, now)

        outcomes = await asyncio.gather(*(send(row) for row in claimed))
        for row, outcome in zip(claimed, outcomes, strict=True):
            await self._record(conn, row, now, outcome)
        return len(claimed)

    async def _post(self, client: httpx.AsyncClient, row: asyncpg.Record, now: datetime) -> Outcome:
        """POST one delivery, signed; never raises (a failure is the outcome's error)."""
        started = time.perf_counter()
        status: int | None = None
        error: str | None = None
        try:
            body = orjson.dumps(orjson.loads(row["entry"]))
            headers = signing.headers(row["secret"], row["id"], row["seq"], body, int(now.timestamp()))
            async with asyncio.timeout(self.timeout):
                async with client.stream("POST", row["url"], content=body, headers=headers) as response:
                    status = response.status_code
                    if not 200 <= status < 300:
                        answer = await _snippet(response)
                        error = f"HTTP {status} {response.reason_phrase}".strip()
                        error += f": {answer}" if answer else ""
        except (TimeoutError, httpx.TimeoutException):
            status, error = None, f"no answer within {self.timeout:g} s"
        except Exception as exc:  # refused, DNS, TLS, a bad URL: logged, never raised
            status, error = None, f"{type(exc).__name__}: {exc}".rstrip(": ")
        duration_ms = round((time.perf_counter() - started) * 1000)
        return Outcome(status, error[:MAX_ERROR] if error else None, duration_ms)

    async def _record(self, conn: asyncpg.Connection, row: asyncpg.Record, at: datetime, outcome: Outcome):
        """Log the attempt; mark the delivery delivered, due again after back-off, or failed."""
        attempt = row["attempts"] + 1
        done = self.clock()
        async with conn.transaction():
            first = await q.record_attempt(
                conn, row["id"], attempt, at, outcome.status, outcome.error, outcome.duration_ms
            )
            if outcome.ok:
                await q.mark_delivered(conn, row["id"], done, outcome.status)
                return
            if done - first > self.give_up_after:
                log.warning(
                    "webhook delivery %d (seq %d to %s) failed for good after %d attempts: %s",
                    row["id"], row["seq"], row["url"], attempt, outcome.error,
                )  # fmt: skip
                await q.mark_retry(conn, row["id"], outcome.status, outcome.error, None)
                return
            wait = timedelta(seconds=self.backoff.delay(attempt, self.rng.random()))
            await q.mark_retry(conn, row["id"], outcome.status, outcome.error, done + wait)
