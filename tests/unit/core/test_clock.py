"""``cp.clock`` is public, and the emulator's ManualClock is an SDK clock too."""

from __future__ import annotations

import pytest

from codepush_async import AsyncCodePush, Clock, SystemClock, UnauthorizedError
from codepush_async.emulator import CodePushEmulator, ManualClock

pytestmark = pytest.mark.anyio


async def test_cp_clock_is_the_injected_clock_or_the_system_clock() -> None:
    manual = ManualClock()
    async with AsyncCodePush("key", "http://emulator", clock=manual) as cp:
        assert cp.clock is manual
        assert cp.with_options(timeout=5).clock is manual
    async with AsyncCodePush("key", "http://emulator") as cp:
        assert isinstance(cp.clock, SystemClock)


async def test_manual_clock_is_callable_and_an_sdk_clock() -> None:
    clock = ManualClock(100.0)
    assert isinstance(clock, Clock)
    assert clock() == clock.now() == 100.0
    await clock.sleep(2.5)
    assert clock() == clock.now() == 102.5
    await clock.sleep(0)
    await clock.sleep(-3)  # a negative wait is no wait: the clock never goes back
    assert clock.now() == 102.5
    clock.advance(1)
    assert clock.now() == 103.5


async def test_one_manual_clock_drives_the_emulator_and_the_client() -> None:
    clock = ManualClock(1_700_000_000.0)
    emulator = CodePushEmulator(clock=clock)
    emulator.create_account("a@example.com")
    key = emulator.create_access_key("a@example.com", ttl=60_000)  # milliseconds
    emulator.fail_next(503, retry_after=30)
    async with AsyncCodePush(key, "http://emulator", transport=emulator.transport,
                             clock=clock) as cp:
        assert (await cp.account.get()).email == "a@example.com"  # after one retry
        assert clock.now() == 1_700_000_030.0  # the client's wait moved the shared clock
        clock.advance(60)  # ... and the emulator judges key expiry on it
        with pytest.raises(UnauthorizedError, match="expired"):
            await cp.account.get()
