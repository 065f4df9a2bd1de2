"""Where rate-limit state lives: this process, PostgreSQL (every worker and instance) or Redis.

Each store keeps one *theoretical arrival time* per key (GCRA, the generic cell rate algorithm):
a request is allowed when the key's next arrival time, one emission interval ``1/rate`` later,
stays within ``burst`` intervals of now. That is a token bucket of ``burst`` tokens refilled at
``rate`` a second, kept as one number. PostgreSQL does it in one statement on the request's own
connection (an unlogged table, the row locked by ``ON CONFLICT``), Redis in one Lua script; the
memory store serves a single process and the tests.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import asyncpg


@dataclass(frozen=True)
class Decision:
    """One request's verdict and the key's state after it, for the RateLimit headers."""

    allowed: bool
    limit: int
    remaining: int
    reset: float  # seconds until the bucket is full again
    retry_after: float  # seconds until the next request would be allowed (0 when allowed)

    def headers(self) -> dict[str, str]:
        """``RateLimit-Limit``, ``-Remaining`` and ``-Reset`` (IETF draft), and ``RateLimit-Policy``."""
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(max(0, math.ceil(self.reset))),
        }


def decide(ahead: float, allowed: bool, rate: float, burst: int) -> Decision:
    """Make a Decision from the arrival time ahead of now (after the request if allowed, else as is)."""
    interval = 1.0 / rate
    if allowed:
        remaining = max(0, math.floor((burst * interval - ahead) / interval + 1e-9))
        return Decision(True, burst, remaining, ahead, 0.0)
    wait = max(ahead + interval - burst * interval, 0.0)
    return Decision(False, burst, 0, ahead, wait)


@dataclass
class MemoryStore:
    """GCRA in this process only (one worker, tests); the least recent keys go beyond ``max_keys``."""

    max_keys: int = 100_000
    clock: Callable[[], float] = time.monotonic
    _tat: OrderedDict[str, float] = field(default_factory=OrderedDict)

    async def take(self, key: str, rate: float, burst: int, conn=None) -> Decision:
        """Spend one request of ``key``."""
        now, interval = self.clock(), 1.0 / rate
        start = max(self._tat.pop(key, now), now)
        if start + interval - now > burst * interval + 1e-9:
            self._tat[key] = start
            return decide(start - now, False, rate, burst)
        self._tat[key] = start + interval
        while len(self._tat) > self.max_keys:
            self._tat.popitem(last=False)
        return decide(start + interval - now, True, rate, burst)


_TAKE = """
INSERT INTO rate_limits AS r (key, tat) VALUES ($1, clock_timestamp() + make_interval(secs => $2))
ON CONFLICT (key) DO UPDATE SET tat = greatest(r.tat, clock_timestamp()) + make_interval(secs => $2)
    WHERE greatest(r.tat, clock_timestamp()) + make_interval(secs => $2)
          <= clock_timestamp() + make_interval(secs => $3)
RETURNING extract(epoch FROM tat - clock_timestamp())::float8
"""
_AHEAD = "SELECT extract(epoch FROM tat - clock_timestamp())::float8 FROM rate_limits WHERE key = $1"
_SWEEP = "DELETE FROM rate_limits WHERE tat < clock_timestamp() - interval '1 minute'"


@dataclass
class PostgresStore:
    """GCRA in the ``rate_limits`` table, shared by every worker and instance on the database."""

    sweep_every: int = 10_000
    _count: int = 0

    async def take(self, key: str, rate: float, burst: int, conn: asyncpg.Connection) -> Decision:
        """Spend one request of ``key`` on the request's connection (one statement when allowed)."""
        interval = 1.0 / rate
        ahead = await conn.fetchval(_TAKE, key, interval, burst * interval)
        self._count += 1
        if self._count % self.sweep_every == 0:
            await conn.execute(_SWEEP)
        if ahead is not None:
            return decide(ahead, True, rate, burst)
        return decide(await conn.fetchval(_AHEAD, key) or 0.0, False, rate, burst)


_LUA = """
local interval, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
if tat + interval - now > limit + 1e-9 then return {0, tostring(tat - now)} end
redis.call('SET', KEYS[1], tostring(tat + interval), 'PX', math.ceil((tat + interval - now) * 1000) + 1000)
return {1, tostring(tat + interval - now)}
"""


class RedisStore:
    """GCRA in Redis (``SP_REDIS_URL``), shared by every worker and instance using that server."""

    def __init__(self, url: str, prefix: str = "sp:rate:") -> None:
        import redis.asyncio as aioredis

        self.client = aioredis.from_url(url)
        self.script = self.client.register_script(_LUA)
        self.prefix = prefix

    async def take(self, key: str, rate: float, burst: int, conn=None) -> Decision:
        """Spend one request of ``key`` in one script call."""
        interval = 1.0 / rate
        allowed, ahead = await self.script(keys=[self.prefix + key], args=[interval, burst * interval])
        return decide(float(ahead), bool(allowed), rate, burst)

    async def close(self) -> None:
        """Close the connection pool."""
        await self.client.aclose()
