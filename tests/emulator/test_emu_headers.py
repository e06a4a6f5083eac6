"""Every header the emulator sends is valid HTTP, whatever the names in it, on a port and
in-process alike: ``Location`` carries each name as ``encodeURIComponent`` would."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from urllib.parse import unquote

import h11
import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.types import Receive, Scope, Send

from codepush_async.emulator import CodePushEmulator, FaultKind, FaultRule
from codepush_async.emulator._faults import FaultBook
from codepush_async.emulator._in_process import EmulatorTransport
from codepush_async.emulator._middleware import EmulatorMiddleware, RequestLog
from codepush_async.emulator._node.headers import encode_uri_component, invalid_header, location
from codepush_async.emulator._serve import BackgroundServer

from ._helpers import OWNER_EMAIL, auth, emulator_cli

pytestmark = pytest.mark.anyio

# name -> its encodeURIComponent, as a JavaScript engine gives it
ENCODED = {
    "trail ": "trail%20",
    " lead": "%20lead",
    "Café ✓": "Caf%C3%A9%20%E2%9C%93",
    "日本語": "%E6%97%A5%E6%9C%AC%E8%AA%9E",
    "🚀": "%F0%9F%9A%80",
    "100%": "100%25",
    "a%2Fb": "a%252Fb",
    "a+b": "a%2Bb",
    "a#b": "a%23b",
    'say "hi"': "say%20%22hi%22",
    "it's (ok)*!~-_.": "it's%20(ok)*!~-_.",
    "<&>=;,@$[]": "%3C%26%3E%3D%3B%2C%40%24%5B%5D",
}


@pytest.fixture(params=["inprocess", "served"])
async def http(request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
    """A raw client of a fresh emulator, in-process or on a port, with the owner's key."""
    emu = CodePushEmulator()
    headers = auth(emu.create_account(OWNER_EMAIL))
    if request.param == "inprocess":
        async with httpx.AsyncClient(
            transport=emu.transport, base_url="http://emulator", headers=headers
        ) as client:
            yield client
        return
    async with emu.serving() as url, httpx.AsyncClient(base_url=url, headers=headers) as client:
        yield client


def test_encode_uri_component_matches_javascript() -> None:
    for name, encoded in ENCODED.items():
        assert encode_uri_component(name) == encoded
    assert location("apps", "a/b", "deployments", "c d") == "/apps/a%2Fb/deployments/c%20d"
    assert location("accessKeys", "\ud800") == "/accessKeys/%ED%A0%80"  # never raises


@given(st.lists(st.text(), min_size=1, max_size=4))
def test_location_is_always_a_valid_header(segments: list[str]) -> None:
    """For any names, h11 accepts the header and each segment decodes back to its name."""
    value = location(*segments)
    h11.Response(status_code=201, headers=[("Location", value)])
    assert invalid_header(b"location", value.encode("ascii")) is None
    encoded = value.split("/")[1:]
    assert [unquote(part, errors="surrogatepass") for part in encoded] == segments


async def test_location_of_every_write(http: httpx.AsyncClient) -> None:
    """Create app, deployment and key, release, promote and rollback: each Location is the
    encoded path, identical in-process and served."""
    for name, encoded in ENCODED.items():
        app = await http.post("/apps", json={"name": name})
        assert (app.status_code, app.headers["location"]) == (201, f"/apps/{encoded}")
        path = f"/apps/{encoded}/deployments"
        dep = await http.post(path, json={"name": name})
        assert (dep.status_code, dep.headers["location"]) == (201, f"{path}/{encoded}")
        key = await http.post("/accessKeys", json={"friendlyName": f"k{name}", "ttl": 60000})
        assert key.status_code == 201, key.text
        assert key.headers["location"] == "/accessKeys/" + encode_uri_component(f"k{name}".strip())
        for content in (b"one", b"two"):
            released = await http.post(
                f"{path}/{encoded}/release",
                files={"package": ("a.js", content)},
                data={"packageInfo": json.dumps({"appVersion": "1.0.0"})},
            )
            assert released.status_code == 201, released.text
            assert released.headers["location"] == f"{path}/{encoded}"
        promoted = await http.post(f"{path}/{encoded}/promote/Production")
        assert (promoted.status_code, promoted.headers["location"]) == (201, f"{path}/Production")
        rolled = await http.post(f"{path}/{encoded}/rollback/v1")
        assert (rolled.status_code, rolled.headers["location"]) == (201, f"{path}/{encoded}")


def test_python_dash_m_answers_a_name_ending_in_a_space() -> None:
    """The reported failure: the command line dropped the connection (h11 refused Location)."""
    with emulator_cli() as proc:
        assert proc.stdout is not None
        url = proc.stdout.readline().rsplit(" ", 1)[1].strip()
        proc.stdout.readline()
        key = proc.stdout.readline().split("Access key:", 1)[1].strip()
        with httpx.Client(base_url=url, headers=auth(key)) as client:
            created = client.post("/apps", json={"name": "trail "})
            assert (created.status_code, created.headers["location"]) == (201, "/apps/trail%20")
            qa = client.post("/apps/trail%20/deployments", json={"name": "QA "})
            assert (qa.status_code, qa.headers["location"]) == (
                201,
                "/apps/trail%20/deployments/QA%20",
            )


def _answering(header: tuple[bytes, bytes]) -> EmulatorMiddleware:
    """The emulator's outer layer around a handler that sends ``header``."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 201, "headers": [header]})
        await send({"type": "http.response.body", "body": b"created"})

    return EmulatorMiddleware(app, FaultBook(), RequestLog())


BAD_HEADERS = [
    (b"location", b"/apps/trail "),
    (b"location", b" /apps/lead"),
    (b"x-note", b"line\r\nbreak"),
    (b"x-nul", b"a\x00b"),
    (b"bad name", b"value"),
    (b"", b"value"),
]


@pytest.mark.parametrize("header", BAD_HEADERS, ids=range(len(BAD_HEADERS)))
async def test_an_invalid_header_becomes_a_500_in_both_modes(
    header: tuple[bytes, bytes], caplog: pytest.LogCaptureFixture
) -> None:
    """A handler bug that would make h11 drop the connection on a port answers 500, logged,
    in-process and served alike (so the in-process suite sees what a port would)."""
    app = _answering(header)
    with caplog.at_level(logging.ERROR, logger="codepush_async.emulator"):
        async with httpx.AsyncClient(transport=EmulatorTransport(app)) as client:
            inprocess = await client.get("http://emulator/")
        server = BackgroundServer(app)
        server.start()
        try:
            server.wait_started()
            async with httpx.AsyncClient() as client:
                served = await client.get(server.url + "/")
        finally:
            server.stop()
    for response in (inprocess, served):
        assert response.status_code == 500
        assert "refused to send an illegal" in response.text
    assert "refused to send" in caplog.text
    assert invalid_header(*header) is not None


def test_valid_headers_pass() -> None:
    for name, value in [(b"location", b"/apps/a%20b"), (b"x-empty", b""), (b"x-y", b"a \tb")]:
        assert invalid_header(name, value) is None
        h11.Response(status_code=200, headers=[(name, value)])


@pytest.mark.parametrize(
    "headers",
    [{"X-Note": "trailing "}, {"X-Note": "line\nbreak"}, {"X-Note": "✓"}, {"Bad Name": "v"}],
    ids=["trailing space", "newline", "not latin-1", "bad name"],
)
def test_fault_headers_that_cannot_be_sent_are_refused_when_armed(
    headers: dict[str, str],
) -> None:
    emu = CodePushEmulator()
    with pytest.raises(ValueError, match="header"):
        emu.fail_next(503, headers=headers)
    with pytest.raises(ValueError, match="header"):
        emu.add_fault(FaultRule(FaultKind.RESPOND, headers=headers))
    assert emu.faults == []
