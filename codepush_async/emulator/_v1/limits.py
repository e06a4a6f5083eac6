"""Rate limits of the ``/api/v1`` dialect: one budget per token for every call, and a smaller
one per client address for unauthenticated calls (the seed's 1000 and 60 per hour)."""

from __future__ import annotations

from .._clock import Clock
from .._node.express_rate_limit import RateLimiter, RateLimitResult

DEFAULT_LIMIT = 1000
DEFAULT_WINDOW = 3600.0
ANONYMOUS_LIMIT = 60


class V1RateLimits:
    """Counts every request: by token when authenticated, by client address otherwise.

    ``limit=None`` disables both. The anonymous budget is :data:`ANONYMOUS_LIMIT`, or ``limit``
    when that is lower; both share ``window``.
    """

    def __init__(self, limit: int | None, window: float, clock: Clock) -> None:
        self.token: RateLimiter | None = None
        self.anonymous: RateLimiter | None = None
        if limit is not None:
            self.token = RateLimiter(limit, window, clock)
            self.anonymous = RateLimiter(min(limit, ANONYMOUS_LIMIT), window, clock)

    def hit(self, client: str, *, authenticated: bool) -> RateLimitResult | None:
        """Count one request; None when limiting is disabled."""
        limiter = self.token if authenticated else self.anonymous
        return None if limiter is None else limiter.hit(client)

    def reset(self) -> None:
        """Forget every window."""
        for limiter in (self.token, self.anonymous):
            if limiter is not None:
                limiter.reset()
