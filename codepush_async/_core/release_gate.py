"""One release upload at a time per client, shared by its ``with_options`` views."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import anyio

__all__ = ["ReleaseGate"]


class ReleaseGate:
    """One upload at a time per client (its views share the gate), unless turned off.

    The official server stores concurrent uploads with each other's bundles; releases
    from one client never race there by default.
    """

    def __init__(self, serialize: bool) -> None:
        self._lock = anyio.Lock() if serialize else None

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self._lock is None:
            yield
            return
        async with self._lock:
            yield
