"""A client-wide limiter that follows the server's ``X-RateLimit-*`` headers.

When the server says a limit is used up, later requests under that limit wait for its
reset instead of collecting 429s; tasks sharing one client share the budget.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from datetime import datetime, timezone

import anyio
import attrs

from .._exceptions import RateLimitError
from .._wire.time_headers import header_int, reset_delay
from .clock import Clock

__all__ = ["RateLimiter"]

logger = logging.getLogger("codepush_async")


def _window(headers: Mapping[str, str], clock: Clock) -> tuple[int, int, float] | None:
    """The limit, what remains of it and when it resets (our clock) per ``headers``; ``None``
    without all three, as most servers answer (no clock read then)."""
    limit = header_int(headers, "x-ratelimit-limit")
    # A limit below 1 or an unbelievable reset is no budget anyone could follow.
    if limit is None or limit < 1:
        return None
    remaining = header_int(headers, "x-ratelimit-remaining")
    if remaining is None:
        return None
    now = clock.now()
    delay = reset_delay(headers, now)
    if delay is None:
        return None
    return limit, min(max(0, remaining), limit), now + delay


@attrs.define
class _Bucket:
    limit: int
    remaining: int
    reset_at: float | None  # our clock; None: a fresh window that starts with the next hit
    in_flight: int = 0
    changed: anyio.Event = attrs.field(factory=anyio.Event)

    def notify(self) -> None:
        self.changed.set()
        self.changed = anyio.Event()


class RateLimiter:
    """Budgets keyed by rate-limit group, learned from responses."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    async def acquire(self, key: str, *, max_wait: float) -> None:
        """Wait until a request under ``key`` may go out; raise if that wait is too long."""
        while True:
            bucket = self._buckets.get(key)
            if bucket is None:
                return
            now = self._clock.now()
            if bucket.reset_at is not None and now >= bucket.reset_at:
                bucket.remaining, bucket.reset_at = bucket.limit, None
            if bucket.remaining > 0:
                bucket.remaining -= 1
                bucket.in_flight += 1
                return
            if bucket.reset_at is None:
                if bucket.in_flight == 0:  # no answer will come to free a slot: go
                    bucket.in_flight += 1
                    return
                await bucket.changed.wait()  # every slot is in flight: wait for an answer
                continue
            wait = bucket.reset_at - now
            if wait > max_wait:
                raise RateLimitError(
                    f"Rate limit of {bucket.limit} requests used up; it resets in "
                    f"{math.ceil(wait)} s, longer than the {max_wait:g} s we may wait.",
                    retry_after=wait,
                    limit=bucket.limit,
                    remaining=0,
                    reset_at=datetime.fromtimestamp(bucket.reset_at, tz=timezone.utc),
                )
            logger.debug("rate limit %s used up: waiting %.3fs for its reset", key, wait)
            await self._clock.sleep(wait)

    def observe(self, key: str, headers: Mapping[str, str] | None) -> None:
        """Account for a finished request (``headers`` is ``None`` when nothing came back)."""
        bucket = self._buckets.get(key)
        if bucket is not None:
            bucket.in_flight = max(0, bucket.in_flight - 1)
        if headers is None:
            if bucket is not None:
                bucket.notify()
            return
        window = _window(headers, self._clock)
        if window is None:
            if bucket is not None:
                bucket.notify()
            return
        limit, remaining, reset_at = window
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(limit, remaining, reset_at)
        elif bucket.reset_at is None or reset_at > bucket.reset_at + 0.5:
            bucket.limit, bucket.reset_at = limit, reset_at  # a new window
            bucket.remaining = max(0, remaining - bucket.in_flight)
        else:
            bucket.remaining = max(0, min(bucket.remaining, remaining - bucket.in_flight))
        bucket.notify()
