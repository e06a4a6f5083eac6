"""Serving on a real loopback port: the background helpers and ``python -m``."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from codepush_async.emulator import CodePushEmulator

from ._helpers import MSG_INVALID, OWNER_EMAIL, auth, emulator_cli

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_serve_in_a_thread() -> None:
    emu = CodePushEmulator()
    key = emu.create_account(OWNER_EMAIL)
    with emu.serve() as url, httpx.Client(base_url=url, headers=auth(key)) as client:
        assert url.startswith("http://127.0.0.1:")
        assert client.get("/authenticated").json() == {"authenticated": True}
        assert client.post("/apps", json={"name": "My App"}).status_code == 201
        released = client.post(
            "/apps/My%20App/deployments/Staging/release",
            files={"package": ("a.js", b"served")},
            data={"packageInfo": json.dumps({"appVersion": "1.0.0"})},
        )
        blob_url = released.json()["package"]["blobUrl"]
        assert blob_url.startswith(url + "/blobs/")
        assert httpx.get(blob_url).content == b"served"
        emu.drop_next(after_handler=True)
        with pytest.raises(httpx.RemoteProtocolError):
            client.post("/apps", json={"name": "Dropped"})
        names = [a["name"] for a in client.get("/apps").json()["apps"]]
        assert names == ["Dropped", "My App"]
        emu.fail_next(503, retry_after=1)
        assert client.get("/apps").status_code == 503


@pytest.mark.anyio
async def test_serving_async() -> None:
    emu = CodePushEmulator()
    async with emu.serving() as url, httpx.AsyncClient(base_url=url) as client:
        response = await client.get("/account")
        assert (response.status_code, response.text) == (401, MSG_INVALID)
        emu.drop_next()
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get("/account")


def test_python_dash_m_prints_a_key() -> None:
    with emulator_cli("--email", "me@x.io") as proc:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        account = proc.stdout.readline()
        key_line = proc.stdout.readline()
        assert "listening on http://127.0.0.1:" in banner, proc.stderr and proc.stderr.read()
        url = banner.rsplit(" ", 1)[1].strip()
        assert account.strip() == "Account: me@x.io"
        key = key_line.split("Access key:", 1)[1].strip()
        response = httpx.get(url + "/account", headers=auth(key))
        assert response.json()["account"]["email"] == "me@x.io"
