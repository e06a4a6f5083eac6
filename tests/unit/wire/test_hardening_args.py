"""Bad arguments are refused with an error naming them, before any request is sent.

The path-parameter table and property run over every operation of both dialects:
whatever the name, the request goes to the operation's own route.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codepush_async import AsyncCodePush, RetryPolicy, Timeouts
from codepush_async._core.transport import HttpSession
from codepush_async._wire.codec import build_request
from codepush_async._wire.dialects import DIALECTS
from codepush_async._wire.semver import is_valid_range
from tests._backend import BACKEND, httpx
from tests.conftest import ACCESS_KEY, SERVER, Recorder

# --- path parameters ------------------------------------------------------------------

PATH_OPERATIONS = [
    (dialect.name, operation)
    for dialect in DIALECTS.values()
    for operation, route in sorted(dialect.routes.items())
    if "{" in route.path
]
DOT_SEGMENTS = ["", ".", ".."]
# Names that look dangerous but are one segment once encoded (they must go through as-is).
ODD_NAMES = [
    "...", ". ", " .", "..a", "a..", "%2e", "%2e%2e", ".%2e", "%2E%2E", "a/../b", "../x", "./",
    "/", "//", "?", "#", "?x=1", "#frag", "\\", "..\\..", "%", "%25", "%2F", " ", "a b", "trail ",
    ";", ".;", "..;", "é", "名前", "\u202e", "\ufeff..", "+", "&", "@", ":", "a:b", "~", "*",
]
_HTTP = HttpSession(SERVER, backend=BACKEND)


def _params_of(dialect: str, operation: str) -> list[str]:
    path = DIALECTS[dialect].routes[operation].path
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def _assert_routed(dialect_name: str, operation: str, values: dict[str, str]) -> None:
    """The URL httpx would send has the route's shape, each value exactly one segment."""
    dialect = DIALECTS[dialect_name]
    route = dialect.routes[operation]
    bad = [name for name, value in values.items() if value in DOT_SEGMENTS]
    if bad:
        with pytest.raises(ValueError, match=f"^({'|'.join(bad)}) must not be") as info:
            build_request(dialect, operation, values)
        assert "route" in str(info.value)
        return
    request = build_request(dialect, operation, values)
    assert not any(value in DOT_SEGMENTS for value in values.values()), values
    raw = httpx.Request(route.method, _HTTP.url_for(request.path)).url.raw_path
    segments = raw.decode("ascii").split("/")
    template = (dialect.base_path + route.path).split("/")
    assert len(segments) == len(template), (raw, template)
    for sent, expected in zip(segments, template, strict=True):
        if expected.startswith("{"):
            assert sent not in (".", ".."), raw
            assert unquote(sent, errors="strict") == values[expected[1:-1]]
        else:
            assert sent == expected, raw


def test_path_table_every_operation_every_dialect() -> None:
    """Each parameter of each operation, given each dot segment and odd name."""
    tried = 0
    for dialect, operation in PATH_OPERATIONS:
        for param in _params_of(dialect, operation):
            for value in DOT_SEGMENTS + ODD_NAMES:
                values = dict.fromkeys(_params_of(dialect, operation), "ok")
                values[param] = value
                _assert_routed(dialect, operation, values)
                tried += 1
    assert tried == sum(len(_params_of(*op)) for op in PATH_OPERATIONS) * len(DOT_SEGMENTS + ODD_NAMES)


@pytest.mark.parametrize(("dialect", "operation"), PATH_OPERATIONS)
@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_no_name_redirects_an_operation(dialect: str, operation: str, data: st.DataObject) -> None:
    names = st.one_of(st.sampled_from(DOT_SEGMENTS + ODD_NAMES), st.text(), st.text("./%\\?#"))
    values = {param: data.draw(names, label=param) for param in _params_of(dialect, operation)}
    _assert_routed(dialect, operation, values)



async def _no_request(
    recorder: Recorder, call: Callable[[AsyncCodePush], Awaitable[Any]], **options: Any
) -> ValueError:
    async with AsyncCodePush(
        ACCESS_KEY, SERVER, transport=httpx.MockTransport(recorder), retry=None, **options
    ) as cp:
        with pytest.raises(ValueError, match="must") as info:
            await call(cp)
    assert recorder.requests == []
    return info.value


DOT_CALLS: list[tuple[str, Callable[[AsyncCodePush], Awaitable[Any]], str]] = [
    ("remove deployment ..", lambda cp: cp.deployments.remove("A", ".."), "name"),
    ("get app ..", lambda cp: cp.apps.get(".."), "name"),
    ("remove app .", lambda cp: cp.apps.remove("."), "name"),
    ("clear history .", lambda cp: cp.releases.clear_history("A", "."), "deployment"),
    ("rollback to ..", lambda cp: cp.releases.rollback("A", "P", ".."), "target_release"),
    ("promote to ..", lambda cp: cp.releases.promote("A", "S", ".."), "destination"),
    ("remove key ..", lambda cp: cp.tokens.remove(".."), "name"),
    ("patch label .", lambda cp: cp.releases.patch("A", "P", ".", rollout=5), "label"),
    ("remove session ..", lambda cp: cp.tokens.remove_session(".."), "machine_name"),
    ("metrics of ..", lambda cp: cp.deployments.metrics("..", "P"), "app"),
]


@pytest.mark.anyio
@pytest.mark.parametrize("flavor", ["auto", "community"])
@pytest.mark.parametrize(("what", "call", "arg"), DOT_CALLS, ids=[c[0] for c in DOT_CALLS])
async def test_dot_segments_refused_before_any_request(
    recorder: Recorder, what: str, call: Callable[[AsyncCodePush], Awaitable[Any]], arg: str,
    flavor: str,
) -> None:
    error = await _no_request(recorder, call, flavor=flavor)
    assert str(error).startswith(arg), error


@pytest.mark.anyio
@pytest.mark.parametrize("flavor", ["auto", "community"])
@pytest.mark.parametrize("target", ["", " ", "..", 5])
async def test_rollback_target_checked_before_the_flavor_probe(
    recorder: Recorder, flavor: str, target: Any
) -> None:
    error = await _no_request(recorder, lambda cp: cp.releases.rollback("A", "P", target),
                              flavor=flavor)
    assert "target_release" in str(error)


# --- headers= ----------------------------------------------------------------------------

RESERVED = ["Authorization", "authorization", "AUTHORIZATION", "aUtHoRiZaTiOn", "Host", "host",
            "Content-Length", "content-length", "Content-Type", "CONTENT-TYPE",
            "Transfer-Encoding", "transfer-encoding", "Accept", "accept", "Content-Encoding",
            "X-CodePush-SDK-Version"]
BAD_HEADERS: list[tuple[Any, type[Exception]]] = [
    *[({name: "x"}, ValueError) for name in RESERVED],
    ({"X-A": "1\r\nX-Evil: 2"}, ValueError),
    ({"X-A": "1\nX-Evil: 2"}, ValueError),
    ({"X-A": "1\r"}, ValueError),
    ({"X-A": "a\x00b"}, ValueError),
    ({"X-A": "a\x7fb"}, ValueError),
    ({"X-A": "a\x1bb"}, ValueError),
    ({"X-A": "caf\u00e9"}, ValueError),
    ({"X-A": " padded"}, ValueError),
    ({"X-A\r\nX-Evil": "1"}, ValueError),
    ({"X A": "1"}, ValueError),
    ({"X-A:": "1"}, ValueError),
    ({"": "1"}, ValueError),
    ({"X-\u00e9": "1"}, ValueError),
    ({"X-A": "1", "x-a": "2"}, ValueError),
    ({b"X-A": "1"}, TypeError),
    ({1: "1"}, TypeError),
    ({"X-A": 1}, TypeError),
    ({"X-A": b"1"}, TypeError),
    ({"X-A": None}, TypeError),
    ([("X-A", "1")], TypeError),
    ("X-A: 1", TypeError),
    (42, TypeError),
]


def _plain_id(value: object) -> str:
    """A test id pytest leaves as it is (printable ASCII, no backslash), so mutmut's
    second in-process collection finds the same ids as its first."""
    return ascii(value)[:40].replace("\\", "/")


@pytest.mark.parametrize(("headers", "error"), BAD_HEADERS, ids=[_plain_id(h) for h, _ in BAD_HEADERS])
def test_bad_headers_are_refused_naming_headers(headers: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="headers"):
        AsyncCodePush(ACCESS_KEY, SERVER, headers=headers)


HEADER_MESSAGES: list[tuple[Any, str]] = [
    ([("X-A", "1")], "headers must be a mapping of str to str, got list"),
    ({1: "1"}, "headers keys must be str, got int"),
    ({"X A": "1"}, "headers has an invalid header name 'X A' (letters, digits and "
                   "!#$%&'*+-.^_`|~ only; no spaces, colons or control characters)"),
    ({"X-A": b"1"}, "headers['X-A'] must be a str, got bytes"),
    ({"X-A": "1\r\n"}, "headers['X-A'] must be visible ASCII with inner spaces only "
                       "(no CR, LF or other control characters, no leading or trailing space)"),
    ({"Host": "x"}, "headers must not set 'Host': the SDK sets it for every request"),
    ({"X-A": "1", "x-a": "2"}, "headers names 'x-a' twice (header names ignore case)"),
]


@pytest.mark.parametrize(("headers", "message"), HEADER_MESSAGES,
                         ids=[_plain_id(h) for h, _ in HEADER_MESSAGES])
def test_a_refused_header_says_which_and_why(headers: Any, message: str) -> None:
    with pytest.raises((TypeError, ValueError)) as caught:
        AsyncCodePush(ACCESS_KEY, SERVER, headers=headers)
    assert str(caught.value) == message


@pytest.mark.anyio
async def test_user_agent_may_be_replaced_and_is_sent_once(recorder: Recorder) -> None:
    recorder.reply(200, json_body={"apps": []})
    async with AsyncCodePush(
        ACCESS_KEY, SERVER, transport=httpx.MockTransport(recorder),
        headers={"user-agent": "release-bot/2", "X-Tenant": "blue\tgreen"},
    ) as cp:
        await cp.apps.list()
    sent = recorder.last.headers
    assert sent.get_list("user-agent") == ["release-bot/2"]
    assert sent.get_list("authorization") == [f"Bearer {ACCESS_KEY}"]
    assert sent["x-tenant"] == "blue\tgreen"


# --- server_url, timeouts, clock, transport, proxy, retry --------------------------------


@pytest.mark.parametrize("url", [
    "http://user:s3cr3t-pw@codepush.example.com",
    "https://s3cr3t-pw@codepush.example.com/base",
    "http://:s3cr3t-pw@127.0.0.1:3000",
    "ftp://u:s3cr3t-pw@host",
    "http://u:s3cr3t-pw@",
])
def test_server_url_with_user_info_is_refused_without_echoing_it(url: str) -> None:
    with pytest.raises(ValueError, match="server_url must not carry user info") as info:
        AsyncCodePush(ACCESS_KEY, url)
    assert "s3cr3t-pw" not in str(info.value)
    assert "s3cr3t-pw" not in repr(info.value)


NON_FINITE = [math.nan, math.inf, -math.inf, -1, -0.5]


def test_timeout_must_be_finite_and_positive() -> None:
    for value in NON_FINITE:
        with pytest.raises(ValueError, match="timeout"):
            AsyncCodePush(ACCESS_KEY, SERVER, timeout=value)
        for field in ("connect", "read", "write", "pool", "min_upload_rate"):
            with pytest.raises(ValueError, match=f"Timeouts.{field}"):
                Timeouts(**{field: value})


class _NowOnly:
    def now(self) -> float:
        return 0.0


@pytest.mark.parametrize("clock", [object(), 5, "clock", _NowOnly(), True])
def test_clock_that_is_not_a_clock(clock: Any) -> None:
    with pytest.raises(TypeError, match="clock must be a Clock"):
        AsyncCodePush(ACCESS_KEY, SERVER, clock=clock)


@pytest.mark.parametrize(("options", "name"), [
    ({"transport": httpx.HTTPTransport()}, "transport"),
    ({"transport": "http"}, "transport"),
    ({"transport": object()}, "transport"),
    ({"http_client": httpx.Client()}, "http_client"),
    ({"http_client": "client"}, "http_client"),
    ({"http_client": httpx.AsyncHTTPTransport()}, "http_client"),
    ({"proxy": 8080}, "proxy"),
    ({"proxy": ["http://proxy"]}, "proxy"),
])
def test_transport_client_and_proxy_of_the_wrong_type(options: dict[str, Any], name: str) -> None:
    with pytest.raises(TypeError, match=name):
        AsyncCodePush(ACCESS_KEY, SERVER, **options)


@pytest.mark.parametrize("proxy", ["ftp://proxy:21", "proxy.example.com:8080", "::"])
def test_proxy_that_is_not_a_proxy_url(proxy: str) -> None:
    with pytest.raises(ValueError, match="proxy must be"):
        AsyncCodePush(ACCESS_KEY, SERVER, proxy=proxy)


@pytest.mark.parametrize(("field", "value"), [
    ("initial_backoff", math.inf), ("initial_backoff", math.nan), ("max_backoff", math.inf),
    ("multiplier", math.nan), ("jitter", math.nan), ("max_wait", math.inf),
    ("max_wait", math.nan), ("retry_statuses", "429"), ("retry_statuses", [429.0]),
    ("retry_statuses", [True]), ("retry_statuses", [600]), ("retry_statuses", 429),
    ("random", None), ("random", 0.5),
])
def test_retry_policy_fields_of_the_wrong_type_or_range(field: str, value: Any) -> None:
    with pytest.raises(ValueError, match=f"RetryPolicy.{field}"):
        RetryPolicy(**{field: value})


# --- the access key ----------------------------------------------------------------------


@pytest.mark.parametrize("key", [
    "k\u00e9y-s3cr3t", "\u043a\u043b\u044e\u0447-s3cr3t", "s3cr3t\u200bx", "s3cr3t\U0001f511",
])
def test_access_key_that_cannot_go_in_a_header(key: str) -> None:
    with pytest.raises(ValueError, match="access_key") as info:
        AsyncCodePush(key, SERVER)
    for text in (str(info.value), repr(info.value)):
        assert key not in text
        assert "s3cr3t" not in text


# --- target_binary_version against node-semver ------------------------------------------
# node-semver 7.8.6 (the official server's `semver.validRange`) refuses all of these;
# most come from a grammar fuzz comparing both over ~24,000 candidate ranges.
NODE_REFUSES = [
    " >*.123", " >=v1.0.X-X.01+10.beta.1", " X.1", " X.2.x-alpha", " x.123.123",
    " x.2.0-X.a", " ~>v1.X.2+0.0.X\t<x.X.2+01", "*.0", "*.0.10-beta.1",
    "*.1.2--.10  -  v1.*.X-0a.rc.01", "*.x.123--v1.2.1a", "0.10.123-01", "1.*.X-1-2.00",
    "1.2.3 - 1.2.3-01", "1.2.3-00", "1.2.3-01", "1.2.3-01 - 2", "1.2.3-a.00", "1.2.3-rc.01",
    "1.x.2", "1.\u0662.3", "10.0.*  *.*.10-1-2+rc.01.0a", "10.x.1-007", "123.123.10-007",
    "2.X.2", "<*.123", "<=x.10", "<X.123.x", "<X.2.2+1-2 =v0.2.0", "= =1.2.3",
    "=0.X.0-1.007+1", "==1.2.3", "==X.1", "=v1.X.0+10.rc.01", "=x.1", "> = 1.2",
    ">10.x.123+alpha.01", ">= 123.X.2-0a.01", ">= 2.x.10", ">=*.1.0--.01", ">=*.1.x-0",
    ">=*||>=X.0.1-a", ">=123.X.0-rc.0", "X.2", "v*.X.0+a", "v1.*.123", "v1.x.123",
    "v2.*.123+rc.01.x", "vX.123.X-x", "vx.2", "x.0.2", "x.1", "x.10",
    "x.123.*-rc.01.0+1-2.a", "\u0661.2.3",
]
# ... and accepts these, which must stay accepted.
NODE_ACCEPTS = [
    " >= X", " >=10", " ~v1.123.1-1.rc.0", "*", "*.x.X-1a.10", "1.2.3", "1.2.3 - 2.3.4 || 5",
    "1.2.3+00", "1.2.3+01.a", "1.2.3-0", "1.2.3-0a", "1.2.3-10", "1.2.3-a.0",
    "1.2.3-rc.1+b.01", "1.2.x", "1.2.x-a", "1.x.x-rc.1", "10.*", "10.1", "123  -  *",
    "<2.1.123+1-2.01", "<=v1.2", "<X", "= 1.2.3", "> 1 < 2", ">0.10.10", ">= 1.10.123",
    ">= 123.10.x", ">= 2 ^1.2.10 =v0.2", ">= 2.x.X", ">= x", ">=1.0.0 <2.0.0", ">=123  <=*",
    ">==1", ">=v1.*.x-beta.1", "^1.2.0", "^1.x.*", "^=1.2.3", "^X", "x.x.x-a", "~*.x.x",
    "~1.2.x-a", "~=1.2.3", "~>=1.2",
]


def test_semver_refuses_what_node_semver_refuses() -> None:
    wrongly_accepted = [r for r in NODE_REFUSES if is_valid_range(r)]
    assert wrongly_accepted == []
    wrongly_refused = [r for r in NODE_ACCEPTS if not is_valid_range(r)]
    assert wrongly_refused == []


@pytest.mark.anyio
@pytest.mark.parametrize("version", ["1.2.3-01", "1.x.2", "==1.2.3", "1.2.3-rc.007"])
async def test_release_with_a_range_the_server_refuses_sends_nothing(
    recorder: Recorder, version: str
) -> None:
    error = await _no_request(
        recorder, lambda cp: cp.releases.release("A", "P", b"bundle", version), flavor="auto"
    )
    assert "target_binary_version" in str(error)
