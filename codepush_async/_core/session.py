"""What every view of one client shares: its connections, its limits, and what it learned."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from .._models.secret import Secret
from .._wire.dialects import Dialect
from .._wire.flavors import Flavor
from .clock import Clock
from .lifecycle import Lifecycle
from .ratelimit import RateLimiter
from .release_gate import ReleaseGate
from .transport import HttpSession

__all__ = ["SessionState"]


@attrs.define(eq=False, repr=False)
class SessionState:
    """One client's session, shared by its ``with_options`` views.

    Closing one view closes them all; a flavor or server ``Date`` one view learns, the
    others know. ``server_date`` is the last ``Date`` header and when it came (our clock).
    """

    http: HttpSession
    dialect: Dialect
    headers: Mapping[str, str]
    access_key: Secret
    clock: Clock
    life: Lifecycle
    release_gate: ReleaseGate
    limiter: RateLimiter
    flavor: Flavor | None = None
    server_date: tuple[str, float] | None = None

    def check_open(self) -> None:
        """Raise ``ClientStateError`` when closed or bound to another event loop."""
        self.life.check(transport_closed=self.http.is_closed)
