"""pytest plugin (entry point ``codepush_async``): emulator fixtures.

Nothing here imports the emulator's optional dependencies at import time, so the plugin is
harmless for users who installed codepush-async without the ``emulator`` extra; the fixtures
skip the requesting test when the extra is missing.

Every fixture is synchronous, so they work the same under pytest-asyncio (strict or auto
mode), anyio's pytest plugin, or any other runner: an ``AsyncCodePush`` on the in-process
transport needs no event loop to be made, and it binds to the loop of the test that first
uses it. Its teardown closes it on a loop of its own (the transport holds no sockets).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from codepush_async import AsyncCodePush
    from codepush_async.emulator import CodePushEmulator

DEFAULT_EMAIL = "tester@example.com"


@pytest.fixture
def codepush_emulator() -> CodePushEmulator:
    """A fresh in-memory CodePush server (classic dialect)."""
    try:
        from codepush_async.emulator import CodePushEmulator
    except ImportError as exc:  # pragma: no cover - depends on installed extras
        pytest.skip(f"the codepush-async[emulator] extra is not installed ({exc})")
    return CodePushEmulator()


@pytest.fixture
def codepush_access_key(codepush_emulator: CodePushEmulator) -> str:
    """An access key of the account ``tester@example.com`` on ``codepush_emulator``."""
    return codepush_emulator.create_account(DEFAULT_EMAIL)


@pytest.fixture
def codepush_backend() -> str:
    """The HTTP library of ``codepush_client``: ``"auto"``; override it to pin httpx or httpx2."""
    return "auto"


@pytest.fixture
def codepush_client(
    codepush_emulator: CodePushEmulator, codepush_access_key: str, codepush_backend: str
) -> Iterator[AsyncCodePush]:
    """An ``AsyncCodePush`` client talking to ``codepush_emulator`` in-process.

    Use it in async tests with any async plugin; it is closed after the test.
    """
    from codepush_async import AsyncCodePush

    client = AsyncCodePush(
        codepush_access_key,
        server_url="http://emulator",
        transport=codepush_emulator.transport,
        backend=codepush_backend,
    )
    try:
        yield client
    finally:
        # A loop of its own, leaving the current one (a plugin's) untouched.
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(client.aclose())
        finally:
            loop.close()
