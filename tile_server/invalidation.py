"""Tile invalidation: listen for ``data_versions`` notifications and re-arm after an outage.

Every table a layer draws bumps ``data_versions`` and sends ``NOTIFY data_versions`` (migration
0005). The listener keeps one dedicated connection; when it is lost (the database restarted, the
network dropped) it reconnects with back-off, and on every (re)connection calls ``on_change``
as well, since notifications sent while it was away are gone: caches then re-read the versions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import asyncpg

log = logging.getLogger("tile_server")
CHANNEL = "data_versions"


class ChangeListener:
    """Calls ``on_change()`` on every data-version notification and after every reconnection."""

    def __init__(
        self,
        connect: Callable[[], Awaitable[asyncpg.Connection]],
        on_change: Callable[[], None],
        min_delay: float = 0.2,
        max_delay: float = 5.0,
    ) -> None:
        self.connect = connect
        self.on_change = on_change
        self.min_delay = min_delay
        self.max_delay = max_delay
        self.connected = asyncio.Event()
        self.reconnections = 0
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        """Connect once (so start-up fails loudly when the database is unreachable), then run."""
        conn = await self.connect()
        await conn.add_listener(CHANNEL, self._notified)
        self._task = asyncio.create_task(self._run(conn), name="data-version listener")

    async def stop(self) -> None:
        """Stop listening and close the connection."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _notified(self, *_args) -> None:
        self.on_change()

    async def _run(self, conn: asyncpg.Connection) -> None:
        try:
            while True:
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                self.connected.set()
                await self._watch(conn, lost)
                self.connected.clear()
                log.warning("lost the data-version listener connection; reconnecting")
                conn = await self._reconnect()
                self.reconnections += 1
                self.on_change()
        finally:
            with contextlib.suppress(Exception):
                await conn.close()

    async def _watch(self, conn: asyncpg.Connection, lost: asyncio.Event) -> None:
        """Return when the connection is gone (terminated, or no longer answering)."""
        while not lost.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(lost.wait(), 2.0)
                return
            if conn.is_closed():
                return
            try:  # a half-open socket shows only when something is sent
                await asyncio.wait_for(conn.execute("SELECT 1"), 2.0)
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError):
                return

    async def _reconnect(self) -> asyncpg.Connection:
        delay = self.min_delay
        while True:
            try:
                conn = await self.connect()
                await conn.add_listener(CHANNEL, self._notified)
                log.info("data-version listener re-armed")
                return conn
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError):
                await asyncio.sleep(delay)
                delay = min(self.max_delay, delay * 2)
