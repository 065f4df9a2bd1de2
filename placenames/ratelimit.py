"""An in-process token bucket per client: ``rate`` requests a second, bursts of ``burst``.

The client is the direct peer, or, when that peer is a configured trusted proxy
(``SP_TRUSTED_PROXIES``), the right-most address of X-Forwarded-For no trusted proxy added.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from placenames.errors import RateLimited

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
class TokenBuckets:
    """Per-key token buckets; the least recently seen keys are dropped beyond ``max_keys``."""

    rate: float
    burst: int
    enabled: bool = True
    max_keys: int = 100_000
    clock: Callable[[], float] = time.monotonic
    proxies: TrustedProxies = field(default_factory=TrustedProxies)
    _buckets: OrderedDict[str, tuple[float, float]] = field(default_factory=OrderedDict)

    def take(self, key: str) -> None:
        """Spend one token of ``key``'s bucket or raise RateLimited with the seconds to wait."""
        if not self.enabled:
            return
        now = self.clock()
        tokens, last = self._buckets.pop(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            raise RateLimited(max(1, math.ceil((1.0 - tokens) / self.rate)))
        self._buckets[key] = (tokens - 1.0, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)

    def take_for(self, request: Any) -> None:
        """Spend one token of the request's client (see ``request_client``)."""
        if self.enabled:
            self.take(request_client(request, self.proxies))
