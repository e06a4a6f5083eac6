"""Bad input raises a clear ValueError before any request is sent."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from codepush_async import AsyncCodePush, PackageInfo
from tests._backend import httpx
from tests.conftest import Recorder

pytestmark = pytest.mark.anyio

BAD_CALLS: list[tuple[str, Callable[[AsyncCodePush], Awaitable[Any]], str]] = [
    ("empty app name", lambda cp: cp.apps.create(""), "name must not be empty"),
    ("blank app name", lambda cp: cp.apps.get("   "), "name must not be empty"),
    ("non-string app name", lambda cp: cp.apps.get(42), "name must be a string, got int"),
    ("None app", lambda cp: cp.deployments.list(None), "app must be a string, got NoneType"),
    ("control char", lambda cp: cp.apps.get("a\nb"), "name must not contain control"),
    ("new name empty", lambda cp: cp.apps.rename("a", ""), "new_name must not be empty"),
    ("bad email", lambda cp: cp.collaborators.add("a", "not-an-email"), "email must be an e-mail"),
    ("transfer email", lambda cp: cp.apps.transfer("a", "x@"), "email must be an e-mail"),
    ("rollout 0", lambda cp: cp.releases.patch("a", "b", rollout=0), "rollout must be from 1 to 100"),
    ("rollout 101", lambda cp: cp.releases.promote("a", "b", "c", rollout=101),
     "rollout must be from 1 to 100"),
    ("rollout float", lambda cp: cp.releases.patch("a", "b", rollout=50.0),
     "rollout must be an integer"),
    ("rollout bool", lambda cp: cp.releases.patch("a", "b", rollout=True),
     "rollout must be an integer"),
    ("rollout str", lambda cp: cp.releases.patch("a", "b", rollout="50"),
     "rollout must be an integer"),
    ("is_mandatory str", lambda cp: cp.releases.patch("a", "b", is_mandatory="yes"),
     "is_mandatory must be True, False or None"),
    ("is_disabled int", lambda cp: cp.releases.promote("a", "b", "c", is_disabled=0),
     "is_disabled must be True, False or None"),
    ("empty patch", lambda cp: cp.releases.patch("a", "b", "v1"), "nothing to change"),
    ("empty label", lambda cp: cp.releases.patch("a", "b", "", rollout=5),
     "label must not be empty"),
    ("rollback target", lambda cp: cp.releases.rollback("a", "b", ""),
     "target_release must not be empty"),
    ("ttl zero on create", lambda cp: cp.tokens.create("ci", ttl=0), "ttl must be > 0"),
    ("ttl negative", lambda cp: cp.tokens.update("ci", ttl=-1), "ttl must be >= 0"),
    ("ttl str", lambda cp: cp.tokens.create("ci", ttl="1d"), "ttl must be milliseconds"),
    ("empty token update", lambda cp: cp.tokens.update("ci"), "nothing to change"),
    ("manual flag", lambda cp: cp.apps.create("a", manually_provision_deployments="yes"),
     "manually_provision_deployments must be True, False or None"),
    ("os type", lambda cp: cp.apps.create("a", os=1), "os must be a string or None"),
    ("flat metadata type", lambda cp: cp.promote("a", "b", "c", {"rollout": 5}),
     "update_metadata must be a PackageInfo"),
    ("flat label clash", lambda cp: cp.patch_release("a", "b", "v1", PackageInfo(label="v2")),
     "differs from label"),
    ("deployment key empty", lambda cp: cp.deployments.create("a", "b", key=""),
     "key must not be empty"),
]


@pytest.mark.parametrize(("label", "call", "message"), BAD_CALLS, ids=[c[0] for c in BAD_CALLS])
async def test_bad_input_raises_before_any_request(
    cp: AsyncCodePush, recorder: Recorder, label: str, call: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        await call(cp)
    assert recorder.requests == []


async def test_ttl_accepts_timedelta(cp: AsyncCodePush, recorder: Recorder) -> None:
    recorder.reply(201, json_body={"accessKey": {"name": "secret", "friendlyName": "ci"}})
    await cp.tokens.create("ci", ttl=timedelta(days=1))
    assert recorder.last.content == b'{"friendlyName":"ci","ttl":86400000}'


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "access_key must not be empty"),
        (None, "access_key must be a string, got NoneType"),
        ("abc def", "access_key must not contain whitespace"),
        ("abc\r\nX-Evil: 1", "access_key must not contain whitespace"),
    ],
)
def test_bad_access_key(key: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AsyncCodePush(key, "http://localhost:3000")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "server_url must be a non-empty URL"),
        ("localhost:3000", "http\\(s\\) URL with a host"),
        ("ftp://example.com", "http\\(s\\) URL with a host"),
        ("https://example.com/?a=1", "must not carry a query"),
    ],
)
def test_bad_server_url(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AsyncCodePush("k3y_Secret-0123456789", url)


def test_unknown_dialect() -> None:
    with pytest.raises(ValueError, match="dialect must be one of 'classic'"):
        AsyncCodePush("k3y_Secret-0123456789", dialect="v3")


def test_http_client_and_transport_are_exclusive() -> None:
    with pytest.raises(ValueError, match="either http_client or transport"):
        AsyncCodePush(
            "k3y_Secret-0123456789",
            http_client=httpx.AsyncClient(),
            transport=httpx.MockTransport(lambda r: httpx.Response(200)),
        )
