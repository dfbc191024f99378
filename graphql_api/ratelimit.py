"""Mutation rate limits: one token bucket per API token, in this process.

Fed by every mutation resolver before it calls the service; a refusal becomes RATE_LIMITED with the
seconds to wait. Buckets live in memory: with several API processes, each grants its own rate.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    rate: float
    capacity: float
    tokens: float
    updated: float

    def take(self, now: float) -> float:
        """Takes one token; returns 0 when granted, else the seconds until one will be available."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class RateLimiter:
    rate_per_second: float
    burst: int
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, TokenBucket] = field(default_factory=dict)

    def acquire(self, key: str) -> float:
        """0 when `key` may act now, else how many seconds it must wait."""
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(
                self.rate_per_second, float(self.burst), float(self.burst), now
            )
        return bucket.take(now)
