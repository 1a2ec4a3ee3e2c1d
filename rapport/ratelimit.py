"""Per-tenant rate limiting in cost points: a token bucket per tenant, held in this process.

Each operation is charged ``Cost.points`` (1, plus 1 per 100 nodes it may return). A tenant's bucket holds at
most ``burst`` points and refills at ``per_second``. The buckets live in process memory: with N API processes
a tenant may spend up to N times the configured rate. That bounds what one tenant can take from one process,
which is what protects the others sharing it; a cluster-wide quota would need a shared store.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

MAX_TRACKED = 100_000


class RateLimiter:
    def __init__(
        self,
        per_second: float,
        burst: float,
        clock: Callable[[], float] = time.monotonic,
        max_tracked: int = MAX_TRACKED,
    ) -> None:
        self.per_second = per_second
        self.burst = burst
        self.clock = clock
        self.max_tracked = max_tracked
        # key -> (points available, when that was computed); least recently used first.
        self._buckets: OrderedDict[Hashable, tuple[float, float]] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.per_second > 0

    def _available(self, key: Hashable, now: float) -> float:
        held = self._buckets.get(key)
        if held is None:
            return self.burst
        points, then = held
        return min(self.burst, points + (now - then) * self.per_second)

    def wait(self, key: Hashable, points: int) -> float:
        """Seconds until ``points`` would be available to ``key`` (0 when they are now); charges nothing."""
        if not self.enabled:
            return 0.0
        missing = min(points, self.burst) - self._available(key, self.clock())
        return max(0.0, missing / self.per_second)

    def take(self, key: Hashable, points: int) -> float:
        """Charge ``points`` to ``key`` and return 0, or charge nothing and return the seconds to wait."""
        if not self.enabled:
            return 0.0
        now = self.clock()
        available = self._available(key, now)
        # An operation costing more than the whole bucket would never run; it takes a full bucket instead.
        charge = min(points, self.burst)
        if available < charge:
            return (charge - available) / self.per_second
        self._buckets[key] = (available - charge, now)
        self._buckets.move_to_end(key)
        while len(self._buckets) > self.max_tracked:
            # The least recently seen tenant starts again with a full bucket: a bounded, harmless leniency.
            self._buckets.popitem(last=False)
        return 0.0


def retry_after_header(seconds: float) -> str:
    """Retry-After in whole seconds (HTTP allows no fractions), at least 1."""
    return str(max(1, math.ceil(seconds)))
