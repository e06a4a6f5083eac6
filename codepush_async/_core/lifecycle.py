"""A client's life: open or closed, and the event loop it belongs to (shared by its views).

Connections are bound to the event loop that opened them, so a client used from a second
loop (a second ``asyncio.run()``, a common notebook accident) would fail deep inside
asyncio with ``Event loop is closed``; it fails here first, saying what to do.
"""

from __future__ import annotations

import asyncio
import warnings
import weakref

from .._exceptions import ClientStateError

__all__ = ["CLOSED_MESSAGE", "Lifecycle"]

CLOSED_MESSAGE = (
    "This AsyncCodePush client is closed; create a new one "
    "(`async with AsyncCodePush(...) as cp:` opens and closes one for a block of work)."
)
OTHER_LOOP_MESSAGE = (
    "This AsyncCodePush client belongs to another event loop: it was first used in a loop "
    "that is now closed or different (a second asyncio.run(), or code run on a new loop). "
    "Create the client inside the coroutine that uses it, e.g. `async with "
    "AsyncCodePush(...) as cp:` within each asyncio.run(), or keep one loop for the session."
)


class Lifecycle:
    """Closed or not, used or not, and the asyncio loop of the first use."""

    def __init__(self, description: str, *, owns_connections: bool) -> None:
        self.description = description
        self.owns_connections = owns_connections
        self.closed = False
        self.used = False
        self._loop: weakref.ref[asyncio.AbstractEventLoop] | None = None

    def check(self, *, transport_closed: bool = False) -> None:
        """Raise ``ClientStateError`` if closed or on another loop; bind the loop on first use."""
        if self.closed or transport_closed:
            raise ClientStateError(CLOSED_MESSAGE)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not under asyncio (trio through anyio): no loop to belong to
            return
        if self._loop is None:
            self._loop = weakref.ref(loop)
        elif self._loop() is not loop:
            raise ClientStateError(OTHER_LOOP_MESSAGE)

    def __del__(self) -> None:
        if self.used and not self.closed and self.owns_connections:
            warnings.warn(
                f"{self.description} was used and never closed, so its connections stay open "
                "until garbage collection: use `async with AsyncCodePush(...) as cp:` or call "
                "`await cp.aclose()` when done.",
                ResourceWarning,
                stacklevel=1,
            )
