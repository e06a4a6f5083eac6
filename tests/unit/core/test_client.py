"""Client lifecycle, configuration and the things it must never leak."""

from __future__ import annotations

import logging

import pytest

from codepush_async import AsyncCodePush, CodePushError
from tests._backend import httpx
from tests.conftest import ACCESS_KEY, Recorder

pytestmark = pytest.mark.anyio


def test_repr_never_shows_the_key() -> None:
    cp = AsyncCodePush(ACCESS_KEY, "http://localhost:3000")
    assert ACCESS_KEY not in repr(cp)
    assert repr(cp) == "AsyncCodePush(server_url='http://localhost:3000', dialect='classic')"
    assert ACCESS_KEY not in str(vars(cp.apps))
    assert cp.ERROR_NOT_FOUND == 404


async def test_server_url_path_prefix_is_kept(recorder: Recorder) -> None:
    recorder.reply(200, json_body={"apps": []})
    async with AsyncCodePush(
        ACCESS_KEY, "https://example.com/codepush/", transport=httpx.MockTransport(recorder)
    ) as cp:
        await cp.apps.list()
    assert str(recorder.last.url) == "https://example.com/codepush/apps"


async def test_caller_headers_are_sent_beside_auth(recorder: Recorder) -> None:
    recorder.reply(200, json_body={"apps": []})
    async with AsyncCodePush(
        ACCESS_KEY,
        "https://example.com",
        transport=httpx.MockTransport(recorder),
        headers={"X-Tenant": "blue"},
    ) as cp:
        await cp.apps.list()
    assert recorder.last.headers["x-tenant"] == "blue"
    assert recorder.last.headers.get_list("authorization") == [f"Bearer {ACCESS_KEY}"]


async def test_caller_supplied_http_client_is_used_and_left_open(recorder: Recorder) -> None:
    recorder.reply(200, json_body={"apps": []})
    http_client = httpx.AsyncClient(transport=httpx.MockTransport(recorder))
    async with AsyncCodePush(ACCESS_KEY, "https://example.com", http_client=http_client) as cp:
        assert await cp.apps.list() == []
    assert not http_client.is_closed
    await http_client.aclose()


async def test_closed_client_refuses_calls(recorder: Recorder) -> None:
    cp = AsyncCodePush(ACCESS_KEY, "https://example.com", transport=httpx.MockTransport(recorder))
    await cp.aclose()
    with pytest.raises(CodePushError, match="closed"):
        await cp.apps.list()
    assert recorder.requests == []


async def test_one_pooled_client_serves_every_call(recorder: Recorder) -> None:
    for _ in range(3):
        recorder.reply(200, json_body={"apps": []})
    async with AsyncCodePush(
        ACCESS_KEY, "https://example.com", transport=httpx.MockTransport(recorder)
    ) as cp:
        first = cp._requester.state.http._session._client
        await cp.apps.list()
        await cp.get_apps()
        await cp.apps.list()
        assert cp._requester.state.http._session._client is first
    assert first.is_closed


async def test_debug_log_names_the_call_but_not_the_key(
    cp: AsyncCodePush, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    recorder.reply(404, text='App "a b" does not exist.')
    with caplog.at_level(logging.DEBUG, logger="codepush_async"), pytest.raises(CodePushError):
        await cp.apps.get("a b")
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "codepush_async")
    assert "GET /apps/a%20b -> 404" in logged
    assert ACCESS_KEY not in logged
