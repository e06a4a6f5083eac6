"""``emu.requests`` never keeps an access key: ``?access_token=`` values are replaced, and the
Authorization header, kept for wire-level asserts, hides in every repr."""

from __future__ import annotations

import httpx
import pytest
from rich.pretty import pretty_repr

from codepush_async.emulator import CodePushEmulator
from codepush_async.emulator._middleware import redacted_query

from ._helpers import OWNER_EMAIL, auth

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("query", "logged"),
    [
        ("access_token=KEY", "access_token=***"),
        ("x=1&access_token=KEY&y=2", "x=1&access_token=***&y=2"),
        ("access%5Ftoken=KEY", "access%5Ftoken=***"),
        ("access_token=KEY&access_token=KEY2", "access_token=***&access_token=***"),
        ("access_token=", "access_token=***"),
        ("access_token", "access_token"),  # no value: nothing to hide
        ("access_tokens=1&my_access_token=2", "access_tokens=1&my_access_token=2"),
        ("", ""),
    ],
)
def test_redacted_query(query: str, logged: str) -> None:
    assert redacted_query(query) == logged


def _assert_no_key(emu: CodePushEmulator, key: str) -> None:
    for shown in (repr(emu.requests), pretty_repr(emu.requests), str(emu.requests)):
        assert key not in shown, shown
    assert all(key not in record.query for record in emu.requests)


async def test_the_log_keeps_no_access_token_in_process() -> None:
    emu = CodePushEmulator()
    key = emu.create_account(OWNER_EMAIL)
    async with httpx.AsyncClient(transport=emu.transport, base_url="http://e") as client:
        ok = await client.get("/account", params={"x": "1", "access_token": key})
        encoded = await client.get(f"/account?access%5Ftoken={key}")
        header = await client.get("/account", headers=auth(key))
    assert (ok.status_code, encoded.status_code, header.status_code) == (200, 200, 200)
    assert [r.query for r in emu.requests] == ["x=1&access_token=***", "access%5Ftoken=***", ""]
    assert emu.requests[-1].headers["authorization"] == f"Bearer {key}"  # for asserts
    _assert_no_key(emu, key)


def test_the_log_keeps_no_access_token_when_served() -> None:
    emu = CodePushEmulator()
    key = emu.create_account(OWNER_EMAIL)
    with emu.serve() as url, httpx.Client(base_url=url) as client:
        assert client.get("/apps", params={"access_token": key}).status_code == 200
        assert client.get("/apps", headers=auth(key)).status_code == 200
    assert [r.query for r in emu.requests] == ["access_token=***", ""]
    _assert_no_key(emu, key)
