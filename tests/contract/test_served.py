"""The served emulator as a network peer: answers must not stall on the loopback socket."""

from __future__ import annotations

import statistics
import time

import pytest

from codepush_async import AsyncCodePush
from codepush_async.emulator import CodePushEmulator

from .conftest import OWNER_EMAIL

pytestmark = pytest.mark.anyio


async def test_served_emulator_answers_without_a_nagle_stall() -> None:
    """Kept-alive requests take about a millisecond on loopback, not the ~40 ms that Nagle's
    algorithm plus delayed ACKs cost when accepted sockets lack TCP_NODELAY."""
    emu = CodePushEmulator()
    key = emu.create_account(OWNER_EMAIL)
    async with emu.serving() as url, AsyncCodePush(key, url, retry=None) as cp:
        await cp.apps.list()  # open the connection
        durations = []
        for _ in range(15):
            started = time.perf_counter()
            await cp.apps.list()
            durations.append(time.perf_counter() - started)
    median = statistics.median(durations)
    assert median < 0.02, f"median request took {median * 1000:.0f} ms on loopback"
