"""The public rate limit: ``rate`` requests a second and bursts of ``burst`` per client.

The client is the direct peer, or, when that peer is a configured trusted proxy
(``SP_TRUSTED_PROXIES``), the right-most address of X-Forwarded-For no trusted proxy added. The
state lives in a store (``ratestores.py``): PostgreSQL by default, so every worker and instance
counts the same requests, Redis with ``SP_REDIS_URL``, or this process.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass, field
from typing import Any

from placenames.errors import RateLimited
from placenames.ratestores import MemoryStore, PostgresStore, RedisStore

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class TrustedProxies:
    """The reverse proxies whose X-Forwarded-For is believed (none by default)."""

    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, text: str) -> TrustedProxies:
        """Parse comma-separated IPs and CIDRs (``"10.0.0.1, 192.168.0.0/16"``); raise ValueError."""
        items = (item.strip() for item in text.split(","))
        return cls(tuple(ipaddress.ip_network(item, strict=False) for item in items if item))

    def trusts(self, host: str) -> bool:
        """Whether ``host`` (an IP address; anything else is not) is a trusted proxy."""
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def client_address(self, peer: str | None, forwarded_for: str | None) -> str:
        """Return the client: the peer, unless it is trusted and says whom it forwards for."""
        if peer is None:
            return "unknown"
        if not self.networks or not forwarded_for or not self.trusts(peer):
            return peer
        hops = [hop.strip() for hop in forwarded_for.split(",")]
        hops = [hop for hop in hops if hop]
        for hop in reversed(hops):
            if not self.trusts(hop):
                return hop
        return hops[0] if hops else peer


def request_client(request: Any, proxies: TrustedProxies) -> str:
    """Return the client address of a Starlette request (the one rule every caller uses)."""
    peer = request.client.host if request.client else None
    if not proxies.networks:
        return peer or "unknown"
    return proxies.client_address(peer, request.headers.get("x-forwarded-for"))


@dataclass
class RateLimiter:
    """The public limit: ``rate`` requests a second, bursts of ``burst``, per client, in ``store``.

    A client is its address (see ``request_client``); a caller with a ``service`` token is its
    own client with its own quota (the user's ``rate_per_second``, else ``service_rate``; None:
    unlimited). Every limited answer carries RateLimit headers (``request.state.rate_limit``).
    """

    rate: float
    burst: int
    enabled: bool = True
    store: Any = field(default_factory=MemoryStore)
    proxies: TrustedProxies = field(default_factory=TrustedProxies)
    service_rate: float | None = None

    async def take(self, key: str, rate: float | None = None, burst: int | None = None, conn=None):
        """Spend one request of ``key`` or raise RateLimited with the seconds to wait and the headers."""
        rate, burst = rate or self.rate, burst or self.burst
        decision = await self.store.take(key, rate, burst, conn)
        if not decision.allowed:
            raise RateLimited(max(1, math.ceil(decision.retry_after)), decision.headers())
        return decision

    async def take_for(self, request: Any, conn=None, actor=None):
        """Spend one request of the caller: a service client by name, anyone else by address."""
        if not self.enabled:
            return None
        if actor is not None and actor.role == "service":
            rate = actor.rate_per_second or self.service_rate
            if rate is None:
                return None  # unlimited
            key, burst = f"service:{actor.name}", max(1, math.ceil(rate * self.burst / self.rate))
            decision = await self.take(key, rate, burst, conn)
        else:
            decision = await self.take("client:" + request_client(request, self.proxies), conn=conn)
        request.state.rate_limit = decision.headers()
        return decision


def make_store(kind: str, redis_url: str | None):
    """Return the store of ``kind`` (auto: Redis with a URL, else PostgreSQL; postgres; redis; memory)."""
    if kind == "auto":
        kind = "redis" if redis_url else "postgres"
    if kind == "redis":
        if not redis_url:
            raise ValueError("SP_RATE_LIMIT_STORE=redis needs SP_REDIS_URL")
        return RedisStore(redis_url)
    if kind == "postgres":
        return PostgresStore()
    if kind == "memory":
        return MemoryStore()
    raise ValueError(f"SP_RATE_LIMIT_STORE must be auto, postgres, redis or memory, got {kind!r}")
