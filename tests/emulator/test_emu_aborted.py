"""A client that goes away before its request body ends: the served emulator records the
request as aborted and never hands the part that arrived to a route handler."""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import anyio
import httpx
import pytest

from codepush_async import AsyncCodePush, PackageChangedError
from codepush_async._release.multipart import CHUNK_SIZE
from codepush_async.emulator import CodePushEmulator, RecordedRequest

from ._helpers import OWNER_EMAIL, auth

RELEASE = "/apps/App/deployments/Staging/release"


def wait_for(found: Callable[[], RecordedRequest | None]) -> RecordedRequest:
    """The server thread records a disconnect in its own time: wait for it, 10 s at most."""
    deadline = time.monotonic() + 10
    while (record := found()) is None:
        assert time.monotonic() < deadline, "the emulator never recorded the request"
        time.sleep(0.005)
    return record


def aborted(emu: CodePushEmulator, method: str, path: str) -> Callable[[], RecordedRequest | None]:
    def find() -> RecordedRequest | None:
        return next((r for r in emu.requests if (r.method, r.path) == (method, path)), None)

    return find


def send_half(url: str, key: str, method: str, path: str, content_type: str, body: bytes) -> None:
    """Announce ``body`` in full, send its first half, and close the connection."""
    address = urlsplit(url)
    assert address.hostname is not None
    assert address.port is not None
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {address.netloc}\r\n"
        f"Authorization: Bearer {key}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode("ascii")
    with socket.create_connection((address.hostname, address.port)) as sock:
        sock.sendall(head + body[: len(body) // 2])


def test_a_json_body_cut_short_is_recorded_and_never_handled() -> None:
    emu = CodePushEmulator()
    key = emu.create_account(OWNER_EMAIL)
    rule = emu.fail_next(503)
    body = json.dumps({"name": "Half"}).encode()
    with emu.serve() as url:
        send_half(url, key, "POST", "/apps", "application/json", body)
        record = wait_for(aborted(emu, "POST", "/apps"))
        assert (record.aborted, record.handled, record.delivered) == (True, False, False)
        assert (record.status, record.fault) == (None, None)
        assert record.body == body[: len(body) // 2]
        with httpx.Client(base_url=url, headers=auth(key)) as client:
            assert client.get("/apps").status_code == 503  # the fault went to the next request
            assert client.get("/apps").json() == {"apps": []}
    assert rule not in emu.faults


def test_a_release_body_cut_short_stores_nothing_and_leaves_no_temp_file() -> None:
    emu = CodePushEmulator()
    key = emu.create_account(OWNER_EMAIL)
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="packageInfo"\r\n\r\n'
        '{"appVersion": "1.0.0"}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="package"; filename="a.js"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + os.urandom(64 * 1024) + f"\r\n--{boundary}--\r\n".encode()
    with emu.serve() as url, httpx.Client(base_url=url, headers=auth(key)) as client:
        assert client.post("/apps", json={"name": "App"}).status_code == 201
        send_half(url, key, "POST", RELEASE, f"multipart/form-data; boundary={boundary}", body)
        record = wait_for(aborted(emu, "POST", RELEASE))
        assert (record.aborted, record.handled) == (True, False)
        history = client.get("/apps/App/deployments/Staging/history")
        assert history.json() == {"history": []}


@pytest.mark.anyio
async def test_an_sdk_release_abandoned_mid_body_is_recorded_as_aborted(tmp_path: Path) -> None:
    bundle = tmp_path / "main.jsbundle"
    bundle.write_bytes(os.urandom(2 * CHUNK_SIZE + 100))
    emu = CodePushEmulator()
    calls = 0

    def grow_once_streaming(sent: int, total: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:  # after the first chunk went out
            with bundle.open("ab") as handle:
                handle.write(b"appended by a build still running")

    async with emu.serving() as url, AsyncCodePush(emu.create_account(OWNER_EMAIL), url) as cp:
        await cp.apps.create("App")
        with pytest.raises(PackageChangedError):
            await cp.releases.release("App", "Staging", bundle, "1.0.0",
                                      on_progress=grow_once_streaming)
        # Waited in a thread: the loop must run for a backend to close the connection.
        record = await anyio.to_thread.run_sync(wait_for, aborted(emu, "POST", RELEASE))
        assert (record.aborted, record.handled, record.status) == (True, False, None)
        assert await cp.releases.history("App", "Staging") == []
