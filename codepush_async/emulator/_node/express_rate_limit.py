"""Fixed-window rate limiting per client, as express-rate-limit 7 does on the official server."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .._clock import Clock


@dataclass(frozen=True)
class RateLimitResult:
    """The outcome of one counted request and the headers that describe it."""

    limit: int
    remaining: int
    reset_at: float
    limited: bool
    retry_after: int

    def headers(self) -> dict[str, str]:
        """``X-RateLimit-*`` headers, plus ``Retry-After`` when the request is refused."""
        out = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset_at)),
        }
        if self.limited:
            out["Retry-After"] = str(self.retry_after)
        return out


class RateLimiter:
    """Counts every request (failed ones too) in a window that starts at a client's first hit."""

    def __init__(self, limit: int, window_seconds: float, clock: Clock) -> None:
        if limit < 1 or window_seconds <= 0:
            raise ValueError("rate limit and window must be positive")
        self.limit = limit
        self.window = window_seconds
        self._clock = clock
        self._windows: dict[str, tuple[int, float]] = {}

    def hit(self, client: str) -> RateLimitResult:
        """Count one request from ``client`` and say whether it is over the limit."""
        now = self._clock()
        count, reset_at = self._windows.get(client, (0, 0.0))
        if now >= reset_at:
            count, reset_at = 0, now + self.window
        count += 1
        self._windows[client] = (count, reset_at)
        return RateLimitResult(
            limit=self.limit,
            remaining=max(self.limit - count, 0),
            reset_at=reset_at,
            limited=count > self.limit,
            retry_after=max(0, math.ceil(reset_at - now)),
        )

    def reset(self) -> None:
        """Forget every client's window."""
        self._windows.clear()
