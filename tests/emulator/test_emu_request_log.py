"""``emu.requests`` is bounded: a ring of the most recent requests, bodies cut to a limit."""

from __future__ import annotations

import json

import httpx
import pytest

from codepush_async.emulator import CodePushEmulator
from codepush_async.emulator.__main__ import _parser, emulator_from
from codepush_async.emulator._emulator import REQUEST_BODY_LIMIT, REQUEST_LOG_SIZE
from codepush_async.emulator._middleware import RecordedRequest

from ._helpers import OWNER_EMAIL, auth, emulator_cli

pytestmark = pytest.mark.anyio


def client_of(emu: CodePushEmulator) -> httpx.AsyncClient:
    headers = auth(emu.create_account(OWNER_EMAIL))
    return httpx.AsyncClient(transport=emu.transport, base_url="http://emulator", headers=headers)


async def test_defaults_keep_the_last_requests_and_cut_bodies() -> None:
    emu = CodePushEmulator()
    assert emu.requests.maxlen == REQUEST_LOG_SIZE == 1000
    big = b"x" * (REQUEST_BODY_LIMIT + 1)
    async with client_of(emu) as client:
        await client.post("/apps", json={"name": "App"})
        await client.post(
            "/apps/App/deployments/Staging/release",
            files={"package": ("a.js", big)},
            data={"packageInfo": json.dumps({"appVersion": "1.0.0"})},
        )
    upload = emu.requests[-1]
    assert upload.status == 201
    assert len(upload.body) == REQUEST_BODY_LIMIT
    assert upload.body_size is not None
    assert upload.body_size > len(big)
    assert upload.body_truncated


async def test_sizes_are_configurable() -> None:
    emu = CodePushEmulator(request_log_size=2, request_body_limit=4)
    async with client_of(emu) as client:
        for name in ("A", "B", "C"):
            await client.post(f"/apps?n={name}", json={"name": name})
    assert [(r.query, r.status) for r in emu.requests] == [("n=B", 201), ("n=C", 201)]
    assert len(emu.store.apps) == 3  # the first was served: only its record is gone
    assert isinstance(emu.requests, list)  # compares and slices as before
    assert emu.requests[1:] == [emu.requests[-1]]
    second, third = emu.requests
    assert (second.body, third.body) == (b'{"na', b'{"na')
    assert third.body_size == len(b'{"name":"C"}')
    with pytest.raises(ValueError, match="4 of the body's 12 bytes"):
        third.json()


async def test_none_keeps_everything() -> None:
    emu = CodePushEmulator(request_log_size=None, request_body_limit=None)
    assert emu.requests.maxlen is None
    big = b"x" * (2 * REQUEST_BODY_LIMIT)
    async with client_of(emu) as client:
        await client.post("/apps", json={"name": "App"})
        await client.post(
            "/apps/App/deployments/Staging/release",
            files={"package": ("a.js", big)},
            data={"packageInfo": json.dumps({"appVersion": "1.0.0"})},
        )
    assert [r.status for r in emu.requests] == [201, 201]
    assert emu.requests[0].json() == {"name": "App"}
    upload = emu.requests[1]
    assert big in upload.body
    assert (upload.body_size, upload.body_truncated) == (len(upload.body), False)


async def test_zero_records_nothing() -> None:
    emu = CodePushEmulator(request_log_size=0, request_body_limit=0)
    async with client_of(emu) as client:
        assert (await client.post("/apps", json={"name": "A"})).status_code == 201
    assert emu.requests == []


def test_a_record_built_by_hand_counts_its_body() -> None:
    record = RecordedRequest("GET", "/", "", httpx.Headers(), b"{}")
    assert (record.body_size, record.body_truncated, record.json()) == (2, False, {})


@pytest.mark.parametrize("value", [-1, 1.5, "10", True])
@pytest.mark.parametrize("option", ["request_log_size", "request_body_limit"])
def test_bad_sizes_are_refused(option: str, value: object) -> None:
    with pytest.raises(ValueError, match=option):
        CodePushEmulator(**{option: value})  # type: ignore[arg-type]


def test_the_command_line_takes_the_sizes() -> None:
    parser = _parser()
    defaults = emulator_from(parser.parse_args([]))
    assert defaults.requests.maxlen == REQUEST_LOG_SIZE
    assert defaults.app.body_limit == REQUEST_BODY_LIMIT  # type: ignore[attr-defined]
    chosen = emulator_from(
        parser.parse_args(["--request-log-size", "3", "--request-body-limit", "0"])
    )
    assert chosen.requests.maxlen == 3
    assert chosen.app.body_limit == 0  # type: ignore[attr-defined]
    with emulator_cli("--request-log-size", "-1") as proc:
        assert proc.wait(timeout=30) == 2
        assert proc.stderr is not None
        assert "must not be negative" in proc.stderr.read()
