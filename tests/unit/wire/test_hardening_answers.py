"""Malformed or hostile answers give SDK errors only, and never pass as a success."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any

import anyio
import pytest

from codepush_async import (
    APIConnectionError,
    AsyncCodePush,
    CodePushError,
    RateLimitError,
    ResponseDecodeError,
    RetryPolicy,
    ServerError,
    WebhookEvent,
    parse_webhook,
)
from tests._backend import httpx
from tests.conftest import ACCESS_KEY, SERVER, FakeClock, Recorder

pytestmark = pytest.mark.anyio

Call = Callable[[AsyncCodePush], Awaitable[Any]]
PACKAGE = {"label": "v1", "appVersion": "1.0.0", "packageHash": "9c0d"}


def raw(recorder: Recorder, status: int, content: bytes, **headers: str) -> None:
    recorder._replies.append(httpx.Response(status, headers=headers, stream=httpx.ByteStream(content)))


# --- bodies that are not JSON the SDK can read -------------------------------------------


class _CutShort(httpx.AsyncByteStream):
    """A body the peer stops sending halfway."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"apps": [{"name": "A"'
        raise httpx.RemoteProtocolError("peer closed connection without sending complete body")


async def test_deep_nesting_bad_encoding_and_truncation_give_typed_errors(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    cases: list[tuple[Callable[[], None], type[CodePushError]]] = [
        (lambda: raw(recorder, 200, b"[" * 100_000), ResponseDecodeError),
        (lambda: raw(recorder, 200, b'{"apps": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
         ResponseDecodeError),
        (lambda: raw(recorder, 500, b"[" * 100_000), ServerError),
        (lambda: raw(recorder, 200, b'{"apps": []}', **{"content-encoding": "gzip"}),
         ResponseDecodeError),
        (lambda: raw(recorder, 200, b'{"apps": []}', **{"content-encoding": "deflate"}),
         ResponseDecodeError),
        (lambda: raw(recorder, 503, b"busy", **{"content-encoding": "gzip"}), CodePushError),
        (lambda: raw(recorder, 200, b'{"apps": [{"name": "A"'), ResponseDecodeError),
        (lambda: recorder._replies.append(httpx.Response(200, stream=_CutShort())),
         APIConnectionError),
    ]
    for script, expected in cases:
        script()
        with pytest.raises(expected):
            await cp.apps.list()
    assert len(recorder.requests) == len(cases)
    await _body_cut_short_on_a_real_connection()


async def _body_cut_short_on_a_real_connection() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"apps\": [")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with AsyncCodePush(ACCESS_KEY, f"http://127.0.0.1:{port}", retry=None) as cp:
            with pytest.raises(APIConnectionError) as info:
                await cp.apps.list()
        assert info.value.request_sent
    finally:
        server.close()
        await server.wait_closed()


async def test_a_caller_client_following_a_redirect_loop(clock: FakeClock) -> None:
    hops: list[str] = []

    def loop(request: httpx.Request) -> httpx.Response:
        hops.append(request.url.path)
        return httpx.Response(302, headers={"location": str(request.url)})

    http_client = httpx.AsyncClient(transport=httpx.MockTransport(loop), follow_redirects=True)
    async with http_client, AsyncCodePush(
        ACCESS_KEY, SERVER, http_client=http_client, retry=None, clock=clock, flavor="official"
    ) as cp:
        with pytest.raises(APIConnectionError, match="TooManyRedirects"):
            await cp.apps.list()
        with pytest.raises(APIConnectionError):  # a write: sent, so its outcome is unknown
            await cp.apps.create("A")
    assert len(hops) == 2 * 21


# --- hostile rate-limit headers ----------------------------------------------------------


def _hostile_limits(now: float) -> list[dict[str, str]]:
    soon = str(int(now) + 60)
    return [
        {"x-ratelimit-limit": "0", "x-ratelimit-remaining": "0", "x-ratelimit-reset": soon},
        {"x-ratelimit-limit": "-1", "x-ratelimit-remaining": "0", "x-ratelimit-reset": soon},
        {"x-ratelimit-limit": "10", "x-ratelimit-remaining": "0",
         "x-ratelimit-reset": str(int(now + 60) * 1000)},  # epoch milliseconds
        {"x-ratelimit-limit": "10", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1e20"},
        {"x-ratelimit-limit": "10", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1e400"},
        {"x-ratelimit-limit": "10", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "inf"},
        {"x-ratelimit-limit": "10", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "NaN"},
        {"x-ratelimit-limit": "10", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "-5"},
        {"x-ratelimit-limit": "inf", "x-ratelimit-remaining": "0", "x-ratelimit-reset": soon},
        {"x-ratelimit-limit": "1e20", "x-ratelimit-remaining": "0", "x-ratelimit-reset": soon},
        {"x-ratelimit-limit": "10", "x-ratelimit-remaining": "NaN", "x-ratelimit-reset": soon},
        {"x-ratelimit-limit": "10", "x-ratelimit-remaining": "-3", "x-ratelimit-reset": soon},
        {"x-ratelimit-limit": "2", "x-ratelimit-remaining": "1e20", "x-ratelimit-reset": soon},
        {"x-ratelimit-limit": "10", "x-ratelimit-remaining": "0", "x-ratelimit-reset": soon,
         "date": "Fri, 31 Dec 9999 23:59:59 GMT"},
        {"x-ratelimit-limit": "10", "x-ratelimit-remaining": "0", "x-ratelimit-reset": soon,
         "date": "Mon, 01 Jan 0001 00:00:00 GMT"},
        {"x-ratelimit-limit": "10", "x-ratelimit-remaining": "0", "x-ratelimit-reset": soon,
         "date": "Tue, 99 Foo 2023 99:99:99 GMT"},
    ]


async def test_hostile_rate_limit_headers_never_hang_or_raise(recorder: Recorder) -> None:
    """Each header set on one answer, then a second call: it goes, after at most max_wait."""
    for headers in _hostile_limits(1_700_000_000.0):
        clock = FakeClock()
        async with AsyncCodePush(
            ACCESS_KEY, SERVER, transport=httpx.MockTransport(recorder), retry=None, clock=clock,
            flavor="official",
        ) as cp:
            recorder.reply(200, json_body={"apps": []}, headers=headers)
            recorder.reply(200, json_body={"apps": []})
            with anyio.fail_after(5):  # a guard against a hang, not a wait
                await cp.apps.list()
                assert await cp.apps.list() == []
        assert all(0 <= s <= RetryPolicy().max_wait for s in clock.sleeps), (headers, clock.sleeps)
        assert not recorder._replies


async def test_a_reset_in_epoch_milliseconds_is_waited_for(
    cp: AsyncCodePush, recorder: Recorder, clock: FakeClock
) -> None:
    reset_ms = int(clock.time + 60) * 1000
    recorder.reply(200, json_body={"apps": []}, headers={
        "x-ratelimit-limit": "10", "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": str(reset_ms)})
    recorder.reply(200, json_body={"apps": []})
    await cp.apps.list()
    await cp.apps.list()
    assert clock.sleeps == [60.0]


HOSTILE_429 = [
    {"retry-after": "1e20"},
    {"retry-after": "inf"},
    {"retry-after": "NaN"},
    {"retry-after": "-5"},
    {"retry-after": str(10 * 365 * 86400)},
    {"retry-after": "Fri, 31 Dec 9999 23:59:59 GMT"},
    {"x-ratelimit-limit": "inf", "x-ratelimit-remaining": "NaN", "x-ratelimit-reset": "1e20"},
    {"x-ratelimit-limit": "1e400", "x-ratelimit-remaining": "-inf", "x-ratelimit-reset": "inf"},
    {"x-ratelimit-reset": "1700000060000"},
    {"x-ratelimit-reset": "-1e300", "date": "Fri, 31 Dec 9999 23:59:59 GMT"},
    {"retry-after": "soon", "date": "nonsense"},
]


async def test_a_429_with_hostile_headers_is_a_sane_rate_limit_error(recorder: Recorder) -> None:
    for headers in HOSTILE_429:
        clock = FakeClock()
        async with AsyncCodePush(
            ACCESS_KEY, SERVER, transport=httpx.MockTransport(recorder), clock=clock,
            flavor="official",
        ) as cp:
            for _ in range(RetryPolicy().max_attempts):
                recorder.reply(429, text="Too many requests", headers=headers)
            with anyio.fail_after(5), pytest.raises(RateLimitError) as info:
                await cp.apps.list()
            recorder._replies.clear()
        error = info.value
        assert error.retry_after is None or 0 <= error.retry_after <= 86_400, headers
        assert error.retry_after is None or math.isfinite(error.retry_after)
        assert error.limit is None or isinstance(error.limit, int)
        assert error.remaining is None or isinstance(error.remaining, int)
        assert error.reset_at is None or isinstance(error.reset_at, datetime)
        assert all(s <= RetryPolicy().max_wait for s in clock.sleeps), (headers, clock.sleeps)


# --- values of the wrong JSON type, and fields the server always sends ------------------

WRONG_SHAPES: list[tuple[str, Call, Any, str]] = [
    ("package a string", lambda cp: cp.releases.rollback("A", "P"), {"package": "x"}, "$.package"),
    ("package a list", lambda cp: cp.releases.rollback("A", "P"), {"package": []}, "$.package"),
    ("package null", lambda cp: cp.releases.rollback("A", "P"), {"package": None}, "$.package"),
    ("history entry a string", lambda cp: cp.releases.history("A", "P"),
     {"history": [PACKAGE, "x"]}, "$.history"),
    ("collaborators a string", lambda cp: cp.collaborators.list("A"),
     {"collaborators": "x"}, "$.collaborators"),
    ("collaborators list entry without email", lambda cp: cp.collaborators.list("A"),
     {"collaborators": [{"email": "a@b.c", "permission": "Owner"}, {"permission": "Owner"}]},
     "$.collaborators"),
    ("collaborators list entry a number", lambda cp: cp.collaborators.list("A"),
     {"collaborators": [7]}, "$.collaborators"),
    ("metrics a string", lambda cp: cp.deployments.metrics("A", "P"), {"metrics": "x"},
     "$.metrics"),
    ("metrics a list", lambda cp: cp.deployments.metrics("A", "P"), {"metrics": [1]},
     "$.metrics"),
    ("metrics entry a string", lambda cp: cp.deployments.metrics("A", "P"),
     {"metrics": {"v1": "x"}}, "$.metrics"),
    ("deployment package a string", lambda cp: cp.deployments.get("A", "P"),
     {"deployment": {"name": "P", "key": "k", "package": "x"}}, "package"),
    ("account a string", lambda cp: cp.account.get(), {"account": "x"}, "$.account"),
    ("app collaborators a list of strings", lambda cp: cp.apps.get("A"),
     {"app": {"name": "A", "collaborators": "x"}}, "collaborators"),
    ("diff map a list", lambda cp: cp.releases.history("A", "P"),
     {"history": [{**PACKAGE, "diffPackageMap": [1]}]}, "diff_package_map"),
    ("size infinite", lambda cp: cp.releases.history("A", "P"),
     {"history": [{**PACKAGE, "size": math.inf}]}, "size"),
    ("upload time out of range", lambda cp: cp.releases.history("A", "P"),
     {"history": [{**PACKAGE, "uploadTime": 1e300}]}, "upload_time"),
    ("promote answered 204", lambda cp: cp.releases.promote("A", "S", "P"), None, "$.package"),
    ("account answered 204", lambda cp: cp.account.get(), None, "$.account"),
    # Fields the official server always sends.
    ("release without packageHash", lambda cp: cp.releases.release("A", "P", b"zip", "1.0.0"),
     {"package": {"label": "v1", "appVersion": "1.0.0"}}, "$.package.packageHash"),
    ("release without label", lambda cp: cp.releases.release("A", "P", b"zip", "1.0.0"),
     {"package": {"packageHash": "h", "appVersion": "1.0.0"}}, "$.package.label"),
    ("promote without packageHash", lambda cp: cp.releases.promote("A", "S", "P"),
     {"package": {"label": "v2"}}, "$.package.packageHash"),
    ("patch without label", lambda cp: cp.releases.patch("A", "P", "v1", rollout=5),
     {"package": {"packageHash": "h"}}, "$.package.label"),
    ("rollback without packageHash", lambda cp: cp.releases.rollback("A", "P"),
     {"package": {"label": "v3"}}, "$.package.packageHash"),
    ("history entry without label", lambda cp: cp.releases.history("A", "P"),
     {"history": [PACKAGE, {"packageHash": "h"}]}, "$.history[1].label"),
    ("new key without its secret", lambda cp: cp.tokens.create("ci"),
     {"accessKey": {"friendlyName": "ci"}}, "$.accessKey.name"),
    ("deployments without keys", lambda cp: cp.deployments.list("A"),
     {"deployments": [{"name": "Staging"}]}, "$.deployments[0].key"),
    ("deployment without key", lambda cp: cp.deployments.create("A", "QA"),
     {"deployment": {"name": "QA"}}, "$.deployment.key"),
    ("account without email", lambda cp: cp.account.get(), {"account": {}}, "$.account.email"),
]
# The history reads a release write makes before it (a promote: the source's, then the
# destination's); their answers are good, so the write's own answer is the one decoded.
HISTORY_READS = {
    "package a string": 1, "package a list": 1, "package null": 1, "promote answered 204": 2,
    "release without packageHash": 1, "release without label": 1,
    "promote without packageHash": 2, "patch without label": 1,
    "rollback without packageHash": 1,
}


async def test_wrong_shapes_and_missing_fields_are_decode_errors_naming_the_field(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    for what, call, body, field in WRONG_SHAPES:
        for _ in range(HISTORY_READS.get(what, 0)):
            recorder.reply_history([PACKAGE])
        if body is None:
            recorder.reply(204)
        else:
            recorder.reply(200, json_body=body)
        with pytest.raises(ResponseDecodeError) as info:
            await call(cp)
        assert field in info.value.field, (what, info.value.field, info.value.message)
        assert not recorder._replies, what
        if what in HISTORY_READS:  # the write's own answer failed, not a read before it
            assert recorder.last.method in ("POST", "PATCH"), what


async def test_the_official_rollback_answer_needs_no_label(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply_history([PACKAGE])
    recorder.reply(200, json_body={"package": {"packageHash": "h", "appVersion": "1.0.0"}})
    package = await cp.releases.rollback("A", "P")
    assert package.package_hash == "h"
    assert package.label is None
    recorder.reply_history([PACKAGE])
    recorder.reply(200, json_body={"package": "x"})
    with pytest.raises(ResponseDecodeError):
        await cp.releases.rollback("A", "P")


# --- parse_webhook -----------------------------------------------------------------------

RELEASED = {"event": "deployment.released", "app": "A", "deployment": "Production",
            "release": {"label": "v1", "appVersion": "1.0.0"}}
NOT_EVENTS: list[Any] = [
    None, 0, 1.5, True, "text", [], [RELEASED], b"", b"\xff\xfe", b"null", b"[]", b"42",
    b'"event"', "[" * 100_000, b"{" * 50_000, '{"event": 1}', {"event": None}, {},
    {**RELEASED, "release": [1]}, {**RELEASED, "release": "v1"}, {**RELEASED, "release": {}},
    {**RELEASED, "release": {"label": 5}}, {**RELEASED, "app": 5}, {**RELEASED, "app": None},
    {**RELEASED, "deployment": ["P"]}, {"event": "deployment.released"},
    {**RELEASED, "timestamp": 1e300}, {**RELEASED, "timestamp": "yesterday"},
    {**RELEASED, "timestamp": True}, {"event": "x", "release": [1]},
]


def test_parse_webhook_gives_value_error_or_an_event_for_anything() -> None:
    for body in NOT_EVENTS:
        with pytest.raises(ValueError, match="webhook"):
            parse_webhook(body)
    assert isinstance(parse_webhook({"event": "app.created", "app": "A"}), WebhookEvent)
    event = parse_webhook(RELEASED)
    assert event.release is not None
    assert event.release.label == "v1"


def test_a_webhook_body_nested_too_deeply_says_so() -> None:
    with pytest.raises(ValueError, match=r"^webhook body is not JSON: JSON nested too deeply$"):
        parse_webhook(b"[" * 100_000)
