"""Injectable clocks: the emulator judges key expiry and rate-limit windows against one."""

from __future__ import annotations

import time
from collections.abc import Callable

import anyio.lowlevel

Clock = Callable[[], float]
"""A callable returning the current time as epoch seconds."""


def system_clock() -> float:
    """Return the wall-clock time in epoch seconds."""
    return time.time()


def epoch_ms(clock: Clock) -> int:
    """Return the clock's time in epoch milliseconds, the server's timestamp unit."""
    return int(clock() * 1000)


class ManualClock:
    """A clock that only moves when told to, so tests never sleep for real.

    It is also an SDK ``Clock`` (``now()`` and ``async sleep()``, which moves it forward
    instead of waiting), so one instance drives both the emulator and the client:
    ``AsyncCodePush(..., clock=clock)`` and ``CodePushEmulator(clock=clock)``.
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = float(start)

    def __call__(self) -> float:
        return self._now

    def now(self) -> float:
        """The current time in epoch seconds (the SDK's ``Clock.now``)."""
        return self._now

    async def sleep(self, seconds: float) -> None:
        """Move forward by ``seconds`` at once (never back), then let other tasks run."""
        if seconds > 0:
            self._now += seconds
        await anyio.lowlevel.checkpoint()

    def advance(self, seconds: float) -> float:
        """Move the clock forward by ``seconds`` and return the new time."""
        if seconds < 0:
            raise ValueError("a manual clock only moves forward")
        self._now += seconds
        return self._now

    def set(self, epoch_seconds: float) -> None:
        """Jump to an absolute time (epoch seconds)."""
        self._now = float(epoch_seconds)

    def __repr__(self) -> str:
        return f"ManualClock({self._now!r})"
