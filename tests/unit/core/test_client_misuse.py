"""Misuse gets clear errors: a closed client, a second event loop, a client never closed."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from codepush_async import AsyncCodePush, ClientStateError, CodePushError
from codepush_async._core.logs import setup_logging
from codepush_async.emulator import CodePushEmulator
from tests._backend import httpx

REPO_ROOT = Path(__file__).resolve().parents[3]


def _client() -> AsyncCodePush:
    emulator = CodePushEmulator()
    key = emulator.create_account("me@example.com")
    return AsyncCodePush(key, "http://emulator", transport=emulator.transport)


def test_async_with_on_a_closed_client_raises() -> None:
    async def scenario() -> None:
        cp = _client()
        async with cp:
            await cp.account.get()
        with pytest.raises(ClientStateError, match="client is closed; create a new one"):
            async with cp:
                pass
        with pytest.raises(ClientStateError, match="closed"):
            await cp.account.get()

    asyncio.run(scenario())


def test_a_closed_caller_http_client_is_a_closed_sdk_client() -> None:
    async def scenario() -> None:
        http = httpx.AsyncClient(transport=CodePushEmulator().transport)
        await http.aclose()
        cp = AsyncCodePush("key-0123456789", "http://emulator", http_client=http)
        with pytest.raises(ClientStateError, match="closed"):
            async with cp:
                pass
        cp2 = AsyncCodePush("key-0123456789", "http://emulator",
                            http_client=httpx.AsyncClient())
        await cp2.aclose()  # leaves the caller's client open, but the SDK client is closed
        with pytest.raises(ClientStateError):
            await cp2.apps.list()

    asyncio.run(scenario())


def test_a_second_event_loop_gets_an_error_that_says_what_to_do() -> None:
    cp = _client()

    async def use() -> str | None:
        return (await cp.account.get()).email

    assert asyncio.run(use()) == "me@example.com"
    with pytest.raises(ClientStateError) as caught:
        asyncio.run(use())
    message = caught.value.message
    assert "belongs to another event loop" in message
    assert "asyncio.run()" in message
    assert "async with AsyncCodePush(...) as cp:" in message
    assert isinstance(caught.value, CodePushError)
    assert isinstance(caught.value, RuntimeError)  # what asyncio's own error was

    async def enter() -> None:
        async with cp:
            pass

    with pytest.raises(ClientStateError, match="another event loop"):
        asyncio.run(enter())
    asyncio.run(cp.aclose())


def test_one_loop_for_many_calls_is_fine() -> None:
    async def scenario() -> None:
        async with _client() as cp:
            for _ in range(3):
                await cp.account.get()

    asyncio.run(scenario())


def test_an_unclosed_client_warns_with_the_fix() -> None:
    clients = [_client()]

    async def use() -> None:
        await clients[0].apps.list()

    def drop_the_client() -> None:
        clients.clear()  # the last reference (or, in a cycle, the collection) warns
        gc.collect()

    asyncio.run(use())
    with pytest.warns(ResourceWarning) as caught:
        drop_the_client()
    (warning,) = caught
    text = str(warning.message)
    assert "AsyncCodePush(server_url='http://emulator', dialect='classic') was used and never" in text
    assert "`async with AsyncCodePush(...) as cp:` or call `await cp.aclose()`" in text


def test_no_warning_for_a_client_never_used_or_closed_or_not_owning_connections() -> None:
    async def scenario() -> list[AsyncCodePush]:
        closed = _client()
        await closed.apps.list()
        await closed.aclose()
        borrowed = AsyncCodePush("key-0123456789", "http://emulator",
                                 http_client=httpx.AsyncClient(
                                     transport=CodePushEmulator().transport))
        with pytest.raises(CodePushError):  # unauthorized, but it did send
            await borrowed.apps.list()
        return [closed, borrowed, _client()]

    clients = asyncio.run(scenario())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        del clients
        gc.collect()


def _run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "CODEPUSH_LOG"}
    environ["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), *sys.path])
    return subprocess.run(  # noqa: S603 - fixed argv, no shell
        [sys.executable, "-c", code], capture_output=True, text=True,
        env={**environ, **env}, check=False, timeout=60,
    )


LOGGED_SCRIPT = """
import asyncio
from codepush_async import AsyncCodePush
from codepush_async.emulator import CodePushEmulator

async def main():
    emu = CodePushEmulator()
    key = emu.create_account("me@example.com")
    print(key)
    async with AsyncCodePush(key, "http://emulator", transport=emu.transport) as cp:
        await cp.account.get()

asyncio.run(main())
"""


@pytest.mark.parametrize(("value", "logged"), [("debug", True), ("INFO", False), ("", False)])
def test_codepush_log_turns_on_the_sdk_logger(value: str, logged: bool) -> None:
    result = _run_python(LOGGED_SCRIPT, CODEPUSH_LOG=value)
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip()
    assert ("codepush_async DEBUG] GET /account -> 200 (attempt 1" in result.stderr) is logged
    assert key not in result.stderr
    if not logged:
        assert result.stderr == ""


def test_codepush_log_info_level_and_unknown_values() -> None:
    script = (
        "import logging, codepush_async\n"
        "logger = logging.getLogger('codepush_async')\n"
        "print(logging.getLevelName(logger.level), len(logger.handlers))\n"
    )
    assert _run_python(script, CODEPUSH_LOG="info").stdout.split() == ["INFO", "1"]
    assert _run_python(script).stdout.split() == ["NOTSET", "0"]
    loud = _run_python(script, CODEPUSH_LOG="loud")
    assert loud.stdout.split() == ["NOTSET", "0"]
    assert "CODEPUSH_LOG='loud' is not one of debug, info: SDK logging stays off" in loud.stderr


def test_setup_logging_adds_one_handler_only(monkeypatch: pytest.MonkeyPatch) -> None:
    logger = logging.getLogger("codepush_async")
    monkeypatch.setattr(logger, "handlers", [])
    monkeypatch.setattr(logger, "level", logging.NOTSET)
    setup_logging("debug")
    setup_logging("debug")
    assert (logger.level, len(logger.handlers)) == (logging.DEBUG, 1)
