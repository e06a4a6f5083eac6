"""Fixtures for the emulator's own tests (the plugin's fixtures are loaded explicitly here)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from codepush_async.emulator import CodePushEmulator, ManualClock
from codepush_async.emulator._pytest_plugin import (
    codepush_access_key,
    codepush_emulator,
)

from ._helpers import OWNER_EMAIL, auth

__all__ = ["codepush_access_key", "codepush_emulator"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def emu(clock: ManualClock) -> CodePushEmulator:
    return CodePushEmulator(clock=clock)


@pytest.fixture
def key(emu: CodePushEmulator) -> str:
    return emu.create_account(OWNER_EMAIL, "Owner")


@pytest.fixture
async def client(emu: CodePushEmulator, key: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=emu.transport, base_url="http://emulator", headers=auth(key)
    ) as c:
        yield c
