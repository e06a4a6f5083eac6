"""The client's options are checked when it is built: a bad one is refused naming it.

Headers, the server URL, the access key, timeouts, clock, transport, proxy, retry policy,
dialect and the package size limit.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from codepush_async import AsyncCodePush, RetryPolicy, Timeouts
from tests._backend import httpx
from tests.conftest import ACCESS_KEY, SERVER, Recorder


def _plain_id(value: object) -> str:
    """A test id pytest leaves as it is (printable ASCII, no backslash), so mutmut's
    second in-process collection finds the same ids as its first."""
    return ascii(value)[:40].replace("\\", "/")


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


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "server_url must be a non-empty URL"),
        ("localhost:3000", "http\\(s\\) URL with a host"),
        ("ftp://example.com", "http\\(s\\) URL with a host"),
        ("https://example.com/?a=1", "must not carry a query"),
    ],
    ids=["empty", "no-scheme", "ftp", "query"],
)
def test_bad_server_url(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AsyncCodePush("k3y_Secret-0123456789", url)


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


def test_http_client_and_transport_are_exclusive() -> None:
    with pytest.raises(ValueError, match="either http_client or transport"):
        AsyncCodePush(
            "k3y_Secret-0123456789", SERVER,
            http_client=httpx.AsyncClient(),
            transport=httpx.MockTransport(lambda r: httpx.Response(200)),
        )


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

BAD_KEY = (
    "access_key must not contain whitespace, control or non-ASCII characters "
    "(it is sent in the Authorization header)"
)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "access_key must not be empty"),
        ("key\x00with-nul", BAD_KEY),
        ("key\x7fwith-del", BAD_KEY),
        ("key with-space", BAD_KEY),
        ("ключ", BAD_KEY),
        (12345, "access_key must be a string, got int"),
    ],
    ids=["empty", "nul", "del", "space", "non-ascii", "int"],
)
def test_access_key_checks(key: Any, message: str) -> None:
    with pytest.raises(ValueError, match="access_key") as caught:
        AsyncCodePush(key, SERVER)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "access_key must not be empty"),
        (3.5, "access_key must be a string, got float"),
        ("abc def", "access_key must not contain whitespace"),
        ("abc\r\nX-Evil: 1", "access_key must not contain whitespace"),
    ],
    ids=["empty", "float", "space", "header-injection"],
)
def test_bad_access_key(key: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AsyncCodePush(key, "http://localhost:3000")


@pytest.mark.parametrize("key", [
    "k\u00e9y-s3cr3t", "\u043a\u043b\u044e\u0447-s3cr3t", "s3cr3t\u200bx", "s3cr3t\U0001f511",
], ids=["latin", "cyrillic", "zero-width", "emoji"])
def test_access_key_that_cannot_go_in_a_header(key: str) -> None:
    with pytest.raises(ValueError, match="access_key") as info:
        AsyncCodePush(key, SERVER)
    for text in (str(info.value), repr(info.value)):
        assert key not in text
        assert "s3cr3t" not in text


@pytest.mark.parametrize("key", ["!", "k~y", "A-z_0.9"])
def test_printable_keys_are_accepted(key: str) -> None:
    AsyncCodePush(key, SERVER)


# --- dialect, package size limit -----------------------------------------------------------


def test_unknown_dialect() -> None:
    with pytest.raises(ValueError, match="dialect must be one of 'classic'"):
        AsyncCodePush("k3y_Secret-0123456789", SERVER, dialect="v3")


@pytest.mark.parametrize("size", [True, 1.5, 0, -1, "1"])
def test_max_package_size_must_be_a_positive_integer(size: Any) -> None:
    expected = f"max_package_size must be a positive number of bytes, got {size!r}"
    with pytest.raises(ValueError, match="max_package_size") as caught:
        AsyncCodePush(ACCESS_KEY, SERVER, max_package_size=size)
    assert str(caught.value) == expected
    with pytest.raises(ValueError, match="max_package_size") as caught:
        AsyncCodePush(ACCESS_KEY, SERVER).with_options(max_package_size=size)
    assert str(caught.value) == expected
