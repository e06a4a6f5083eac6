"""The access key and server URL come from the arguments, else from the environment."""

from __future__ import annotations

import traceback

import pytest

from codepush_async import AsyncCodePush
from codepush_async.emulator import CodePushEmulator

KEY = "env-k3y_S3cret-0123456789"


@pytest.fixture(autouse=True)
def no_credentials_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CODEPUSH_ACCESS_KEY", raising=False)
    monkeypatch.delenv("CODEPUSH_SERVER_URL", raising=False)


def test_a_missing_server_url_names_the_variable_and_no_default_is_taken() -> None:
    with pytest.raises(ValueError, match="CODEPUSH_SERVER_URL") as caught:
        AsyncCodePush(KEY)
    assert str(caught.value) == (
        "server_url not given and CODEPUSH_SERVER_URL is not set: "
        "pass server_url= or set CODEPUSH_SERVER_URL"
    )


def test_a_missing_access_key_names_the_variable() -> None:
    with pytest.raises(ValueError, match="CODEPUSH_ACCESS_KEY") as caught:
        AsyncCodePush(server_url="https://codepush.example.com")
    assert str(caught.value) == (
        "access_key not given and CODEPUSH_ACCESS_KEY is not set: "
        "pass access_key= or set CODEPUSH_ACCESS_KEY"
    )


@pytest.mark.parametrize("empty", ["", "CODEPUSH_SERVER_URL"])
def test_an_empty_variable_is_as_unset(monkeypatch: pytest.MonkeyPatch, empty: str) -> None:
    monkeypatch.setenv("CODEPUSH_ACCESS_KEY", KEY)
    monkeypatch.setenv("CODEPUSH_SERVER_URL", "" if empty else "https://codepush.example.com")
    if empty:
        with pytest.raises(ValueError, match="CODEPUSH_SERVER_URL is not set"):
            AsyncCodePush()
    else:
        assert AsyncCodePush().server_url == "https://codepush.example.com"


@pytest.mark.anyio
async def test_both_come_from_the_environment_and_the_key_is_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emu = CodePushEmulator()
    monkeypatch.setenv("CODEPUSH_ACCESS_KEY", emu.create_account("ci@example.com"))
    monkeypatch.setenv("CODEPUSH_SERVER_URL", "http://emulator")
    async with AsyncCodePush(transport=emu.transport) as cp:
        assert cp.server_url == "http://emulator"
        assert (await cp.account.get()).email == "ci@example.com"


def test_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODEPUSH_ACCESS_KEY", "bad key with spaces")
    monkeypatch.setenv("CODEPUSH_SERVER_URL", "https://env.example.com")
    cp = AsyncCodePush(KEY, "https://arg.example.com")
    assert cp.server_url == "https://arg.example.com"


def test_a_bad_key_from_the_environment_is_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODEPUSH_ACCESS_KEY", "s3cr3t-from-env with a space")
    with pytest.raises(ValueError, match="access_key must not contain whitespace") as caught:
        AsyncCodePush(server_url="https://codepush.example.com")
    shown = "".join(traceback.TracebackException.from_exception(
        caught.value, capture_locals=True).format())
    assert "s3cr3t" not in shown
