"""pytest plugin (entry point ``codepush_async``): emulator fixtures.

Nothing here imports the emulator's optional dependencies at import time, so the plugin is
harmless for users who installed codepush-async without the ``emulator`` extra; the fixtures
skip the requesting test when the extra is missing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
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
async def codepush_client(
    codepush_emulator: CodePushEmulator, codepush_access_key: str
) -> AsyncIterator[Any]:
    """An ``AsyncCodePush`` client talking to ``codepush_emulator`` in-process (async tests)."""
    try:
        from codepush_async import AsyncCodePush
    except ImportError as exc:  # pragma: no cover - the SDK client is built separately
        pytest.skip(f"codepush_async.AsyncCodePush is not available ({exc})")
    async with AsyncCodePush(
        codepush_access_key, server_url="http://emulator", transport=codepush_emulator.transport
    ) as client:
        yield client
