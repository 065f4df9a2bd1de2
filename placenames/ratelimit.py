"""An in-process token bucket per client: ``rate`` requests a second, bursts of ``burst``."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from placenames.errors import RateLimited


@dataclass
class TokenBuckets:
    """Per-key token buckets; the least recently seen keys are dropped beyond ``max_keys``."""

    rate: float
    burst: int
    enabled: bool = True
    max_keys: int = 100_000
    clock: Callable[[], float] = time.monotonic
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
