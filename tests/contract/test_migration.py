"""Migration onto and from the server under test: devices get the same answers.

An emulator holds the source history (``tests/migration_support.py``: uploads, promotes, a
rollback, disabled, mandatory and partial-rollout releases); it is copied onto the target
with its keys kept, then from the target onto a fresh emulator (where the target serves
its packages). On the official server this runs on its own server with Redis and blob URLs
(``nox -s official``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from codepush_async import AsyncCodePush, copy_app
from codepush_async.emulator import CodePushEmulator, ManualClock
from tests.migration_support import APP, check_same_answers, rich_history

from .conftest import Target, discard_apps

pytestmark = pytest.mark.anyio


async def _emulator(stack: AsyncExitStack, clock: ManualClock) -> AsyncCodePush:
    emu = CodePushEmulator(clock=clock)
    client = AsyncCodePush(emu.create_account("source@example.com"), "http://source",
                           transport=emu.transport, clock=clock)
    return await stack.enter_async_context(client)


@pytest.fixture
async def source(tmp_path: Path) -> AsyncIterator[AsyncCodePush]:
    clock = ManualClock()
    async with AsyncExitStack() as stack:
        client = await _emulator(stack, clock)
        await rich_history(client, tmp_path, lambda: clock.advance(60))
        yield client


async def test_a_copy_onto_the_target_and_back_gives_devices_the_same_answers(
    target: Target, source: AsyncCodePush
) -> None:
    name = target.name()
    try:
        there = await copy_app(source, target.client, APP, to_name=name)
        assert there
        assert not there.new_keys  # the official server and the emulator take custom keys
        assert not there.flagged
        await check_same_answers(source, target.client, APP, there)
        again = await copy_app(source, target.client, APP, to_name=name)
        assert {item.action for item in again.items} == {"skipped"}
        if not target.traits.serves_blobs:
            return  # JSON storage's blob URLs download nothing
        async with AsyncExitStack() as stack:
            back = await _emulator(stack, ManualClock())
            home = await copy_app(target.client, back, name)
            assert home
            assert not home.new_keys
            await check_same_answers(target.client, back, name, home)
    finally:
        await discard_apps(target.client, name)
