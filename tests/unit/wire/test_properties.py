"""Property: whatever a server answers, every operation returns a sound value or raises a
``CodePushError``; never another exception, a hang, or a malformed answer taken as success.

Each example answers every request of one call (probes and read-backs included) with
the same drawn status, headers and body, on either dialect and any flavor.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from codepush_async import AccessKey, AsyncCodePush, CodePushError, Deployment, Package, RetryPolicy
from tests._backend import httpx
from tests.conftest import ACCESS_KEY, SERVER, FakeClock

Call = Callable[[AsyncCodePush], Awaitable[Any]]

OPERATIONS: dict[str, Call] = {
    "account.get": lambda cp: cp.account.get(),
    "account.is_authenticated": lambda cp: cp.account.is_authenticated(),
    "apps.create": lambda cp: cp.apps.create("A", os="iOS", platform="React-Native"),
    "apps.get": lambda cp: cp.apps.get("A"),
    "apps.list": lambda cp: cp.apps.list(),
    "apps.rename": lambda cp: cp.apps.rename("A", "B"),
    "apps.remove": lambda cp: cp.apps.remove("A"),
    "apps.transfer": lambda cp: cp.apps.transfer("A", "a@b.c"),
    "collaborators.add": lambda cp: cp.collaborators.add("A", "a@b.c"),
    "collaborators.list": lambda cp: cp.collaborators.list("A"),
    "collaborators.remove": lambda cp: cp.collaborators.remove("A", "a@b.c"),
    "deployments.create": lambda cp: cp.deployments.create("A", "QA"),
    "deployments.get": lambda cp: cp.deployments.get("A", "QA"),
    "deployments.list": lambda cp: cp.deployments.list("A"),
    "deployments.rename": lambda cp: cp.deployments.rename("A", "QA", "QB"),
    "deployments.remove": lambda cp: cp.deployments.remove("A", "QA"),
    "deployments.metrics": lambda cp: cp.deployments.metrics("A", "QA"),
    "releases.release": lambda cp: cp.releases.release("A", "QA", b"bundle", "1.0.0"),
    "releases.history": lambda cp: cp.releases.history("A", "QA"),
    "releases.clear_history": lambda cp: cp.releases.clear_history("A", "QA"),
    "releases.patch": lambda cp: cp.releases.patch("A", "QA", "v1", rollout=5),
    "releases.patch_latest": lambda cp: cp.releases.patch("A", "QA", description="d"),
    "releases.promote": lambda cp: cp.releases.promote("A", "QA", "Prod"),
    "releases.rollback": lambda cp: cp.releases.rollback("A", "QA"),
    "releases.rollback_to": lambda cp: cp.releases.rollback("A", "QA", "v1"),
    "tokens.create": lambda cp: cp.tokens.create("ci"),
    "tokens.get": lambda cp: cp.tokens.get("ci"),
    "tokens.list": lambda cp: cp.tokens.list(include_sessions=True),
    "tokens.update": lambda cp: cp.tokens.update("ci", ttl=5),
    "tokens.remove": lambda cp: cp.tokens.remove("ci"),
    "tokens.sessions": lambda cp: cp.tokens.sessions(),
    "tokens.remove_session": lambda cp: cp.tokens.remove_session("m"),
}

WIRE_KEYS = [
    "label", "packageHash", "appVersion", "name", "key", "friendlyName", "accessToken",
    "deployments", "collaborators", "email", "permission", "isCurrentAccount", "package",
    "uploadTime", "rollout", "size", "isMandatory", "isDisabled", "diffPackageMap",
    "createdTime", "expires", "isSession", "createdBy", "metrics", "active", "downloaded",
    "installed", "failed", "totalActive", "isFulfilled", "releases", "history", "app", "apps",
    "account", "accessKey", "accessKeys", "release", "linkedProviders", "description",
    "releaseMethod", "blobUrl", "id", "os", "platform", "msg", "error", "code", "message",
    "details", "authenticated", "tokens", "deployment", "v1", "1.0.0",
]
ENVELOPES = sorted({
    key for key in WIRE_KEYS
    if key in {"account", "authenticated", "accessKeys", "accessKey", "apps", "app",
               "collaborators", "deployments", "deployment", "metrics", "package", "history",
               "tokens", "release", "releases", "error"}
})
SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
    | st.sampled_from(["v1", "v2", "1.0.0", "h", "QA", "A", "ci", "a@b.c", "(hidden)", "Owner",
                       "2023-11-14T22:13:20Z", "Not Found"])
)
JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(WIRE_KEYS) | st.text(max_size=4), children, max_size=6),
    max_leaves=24,
)
BODIES = st.one_of(
    JSON.map(lambda v: json.dumps(v).encode()),
    st.builds(lambda k, v: json.dumps({k: v}).encode(), st.sampled_from(ENVELOPES), JSON),
    st.binary(max_size=48),
    st.sampled_from([b"[" * 5000, b'{"a":' * 3000, b"ok", b'{"msg": "succeed"}', b"Not Found",
                     b"", b"null", b'{"app": {"name": "A"', b"\xff\xfe\x00"]),
)
HEADER_VALUES = st.one_of(
    st.sampled_from(["0", "-1", "1", "1e20", "inf", "-inf", "nan", "NaN", "1e400", "",
                     "1700000060000", "1700000060", "1699999000", "gzip", "deflate",
                     "Fri, 31 Dec 9999 23:59:59 GMT", "Mon, 01 Jan 0001 00:00:00 GMT",
                     "Tue, 14 Nov 2023 22:13:20 GMT", "soon", "application/json"]),
    st.integers(-(10**20), 10**20).map(str),
    st.floats().map(str),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=16),
)
HEADERS = st.dictionaries(
    st.sampled_from(["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset",
                     "retry-after", "date", "content-type", "content-encoding"]),
    HEADER_VALUES,
    max_size=7,
)
STATUSES = st.sampled_from(
    [200, 200, 200, 200, 201, 204, 400, 401, 403, 404, 406, 409, 413, 429, 500, 502, 503]
)
MAX_REQUESTS = 40
EXAMPLES = 40


def _sound(operation: str, result: Any) -> None:
    """What a success must carry: nothing a malformed answer could fake."""
    items = result if isinstance(result, list) else [result]
    for item in items:
        if isinstance(item, Package) and operation != "deployments.get":
            assert isinstance(item.package_hash, str), (operation, item)
            if operation not in ("releases.rollback", "releases.rollback_to"):
                assert isinstance(item.label, str), (operation, item)
        if isinstance(item, Deployment):
            assert isinstance(item.name, str)
            assert isinstance(item.key, str)
        if isinstance(item, AccessKey):
            assert isinstance(item.name, str)
            if operation == "tokens.create":
                assert isinstance(item.key, str)


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    status=STATUSES,
    headers=HEADERS,
    body=BODIES,
    dialect=st.sampled_from(["classic", "v1"]),
    flavor=st.sampled_from(["auto", "official", "community"]),
    retry=st.sampled_from([None, RetryPolicy(max_attempts=3)]),
)
# Known families, tried on every operation whatever the draws.
@example(status=200, headers={}, body=b"[" * 5000, dialect="classic", flavor="official",
         retry=None)
@example(status=200, headers={"content-encoding": "gzip"}, body=b"{}", dialect="classic",
         flavor="official", retry=None)
@example(status=429, headers={"x-ratelimit-limit": "inf", "x-ratelimit-reset": "1e20"},
         body=b"", dialect="classic", flavor="official", retry=None)
@example(status=200, headers={"x-ratelimit-limit": "0", "x-ratelimit-remaining": "0",
                              "x-ratelimit-reset": "1700000001"},
         body=b"{}", dialect="classic", flavor="official", retry=RetryPolicy(max_attempts=3))
def test_any_answer_gives_a_sound_value_or_an_sdk_error(
    operation: str, status: int, headers: dict[str, str], body: bytes, dialect: str,
    flavor: str, retry: RetryPolicy | None,
) -> None:
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        request.read()
        sent.append(f"{request.method} {request.url.path}")
        assert len(sent) <= MAX_REQUESTS, sent
        return httpx.Response(status, headers=headers, stream=httpx.ByteStream(body))

    async def main() -> Any:
        with anyio.fail_after(10):  # a guard against a hang; the clock is fake
            async with AsyncCodePush(
                ACCESS_KEY, SERVER, dialect=dialect, flavor=flavor, retry=retry,
                clock=FakeClock(), transport=httpx.MockTransport(answer),
            ) as cp:
                return await OPERATIONS[operation](cp)

    try:
        result = anyio.run(main)
    except CodePushError:
        return
    _sound(operation, result)
