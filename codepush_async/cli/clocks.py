"""The clock a rollout waits on: the system's, or (for tests, through the hidden
``_CODEPUSH_CLI_CLOCK`` variable) a virtual one, so ``--interval 2h`` finishes at once.

``fast``: every wait returns at once and moves the virtual time on by its length.
``stdin``: every wait also reads one line from stdin first, so a test can change the
server (record metrics) between a ``RolloutWaiting`` event and the judgement after it.
"""

from __future__ import annotations

import os
import sys
import time

import anyio
import anyio.lowlevel

from codepush_async import Clock

CLOCK_ENV = "_CODEPUSH_CLI_CLOCK"


class VirtualClock:
    """Time that moves only when waited on (from the wall clock at start)."""

    def __init__(self, *, step_on_stdin: bool) -> None:
        self.time = time.time()
        self.step_on_stdin = step_on_stdin

    def now(self) -> float:
        return self.time

    async def sleep(self, seconds: float) -> None:
        if self.step_on_stdin:
            await anyio.to_thread.run_sync(sys.stdin.readline)
        else:
            await anyio.lowlevel.checkpoint()
        self.time += seconds


def clock_from_env() -> Clock | None:
    """A virtual clock when ``_CODEPUSH_CLI_CLOCK`` asks for one, else ``None`` (the
    client's system clock)."""
    mode = os.environ.get(CLOCK_ENV, "")
    if mode not in ("fast", "stdin"):
        return None
    return VirtualClock(step_on_stdin=mode == "stdin")
