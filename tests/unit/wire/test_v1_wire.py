"""The ``/api/v1`` dialect on the wire (docs/v1-wire.md), plus derived and refused calls."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timezone
from typing import Any

import pytest

from codepush_async import (
    AccessKey,
    App,
    AsyncCodePush,
    BadRequestError,
    CollaboratorProperties,
    ConflictError,
    DeploymentReleasedEvent,
    FieldError,
    NotFoundError,
    RateLimitError,
    UnsupportedOperationError,
    UpdateMetrics,
    WebhookEvent,
    WebhookRelease,
    parse_webhook,
)
from tests._backend import httpx
from tests.conftest import ACCESS_KEY, SERVER, FakeClock, Recorder

pytestmark = pytest.mark.anyio

APP_V1 = {"name": "MyApp-iOS", "platform": "ios", "deployments": ["Production", "Staging"],
          "collaborators": [{"email": "user@example.com", "permission": "Owner"}]}
RELEASE_V1 = {"label": "v1", "appVersion": "1.0.0", "description": "Bug fixes", "isMandatory": False,
              "packageHash": "9c0d",
              "rollout": 100, "size": 1024000, "uploadTime": 1640995200000,
              "metrics": {"totalActive": 1000, "downloaded": 950, "installed": 900, "failed": 5}}


@pytest.fixture
async def v1(recorder: Recorder, clock: FakeClock) -> AsyncIterator[AsyncCodePush]:
    async with AsyncCodePush(ACCESS_KEY, SERVER, dialect="v1", retry=None, clock=clock,
                             transport=httpx.MockTransport(recorder)) as client:
        yield client


def sent(recorder: Recorder) -> list[tuple[str, str, bytes]]:
    return [(r.method, r.url.raw_path.decode(), r.content) for r in recorder.requests]


CASES: list[tuple[str, Callable[[AsyncCodePush], Awaitable[Any]], int, Any,
                  tuple[str, str, bytes], Any]] = [
    ("tokens.create", lambda cp: cp.tokens.create("My CLI Token", ttl=86400000), 201,
     {"accessToken": "abc123_secret", "friendlyName": "My CLI Token",
      "expires": "2024-01-01T00:00:00Z"},
     ("POST", "/api/v1/auth/tokens", b'{"friendlyName":"My CLI Token","ttl":86400000}'),
     AccessKey(name="My CLI Token", key="abc123_secret",
               expires=datetime(2024, 1, 1, tzinfo=timezone.utc))),
    ("tokens.list", lambda cp: cp.tokens.list(), 200,
     {"tokens": [{"friendlyName": "ci", "expires": "2024-01-01T00:00:00Z"}]},
     ("GET", "/api/v1/auth/tokens", b""),
     [AccessKey(name="ci", expires=datetime(2024, 1, 1, tzinfo=timezone.utc))]),
    ("tokens.remove", lambda cp: cp.tokens.remove("My CLI Token"), 204, "",
     ("DELETE", "/api/v1/auth/tokens/My%20CLI%20Token", b""), None),
    ("apps.list", lambda cp: cp.apps.list(), 200, {"apps": [APP_V1]},
     ("GET", "/api/v1/apps", b""),
     [App(name="MyApp-iOS", platform="ios", deployments=("Production", "Staging"),
          collaborators={"user@example.com": CollaboratorProperties("Owner")})]),
    ("apps.create", lambda cp: cp.apps.create("MyApp-iOS", platform="ios"), 201,
     {"app": {k: v for k, v in APP_V1.items() if k != "collaborators"}},
     ("POST", "/api/v1/apps", b'{"name":"MyApp-iOS","platform":"ios"}'),
     App(name="MyApp-iOS", platform="ios", deployments=("Production", "Staging"))),
    ("apps.rename", lambda cp: cp.apps.rename("MyApp-iOS", "MyApp-iOS-Renamed"), 200,
     {"app": {"name": "MyApp-iOS-Renamed"}},
     ("PATCH", "/api/v1/apps/MyApp-iOS", b'{"name":"MyApp-iOS-Renamed"}'),
     App(name="MyApp-iOS-Renamed")),
    ("apps.remove", lambda cp: cp.apps.remove("MyApp-iOS"), 204, "",
     ("DELETE", "/api/v1/apps/MyApp-iOS", b""), None),
    ("collaborators.add", lambda cp: cp.collaborators.add("A", "user@example.com"), 201,
     {"collaborator": {"email": "user@example.com", "permission": "Collaborator"}},
     ("POST", "/api/v1/apps/A/collaborators",
      b'{"email":"user@example.com","permission":"Collaborator"}'), None),
    ("collaborators.list", lambda cp: cp.collaborators.list("A"), 200,
     {"collaborators": [{"email": "user@example.com", "permission": "Collaborator"}]},
     ("GET", "/api/v1/apps/A/collaborators", b""),
     {"user@example.com": CollaboratorProperties("Collaborator")}),
    ("collaborators.remove", lambda cp: cp.collaborators.remove("A", "user@example.com"), 204,
     "", ("DELETE", "/api/v1/apps/A/collaborators/user%40example.com", b""), None),
    ("deployments.create", lambda cp: cp.deployments.create("A", "Staging"), 201,
     {"deployment": {"name": "Staging", "key": "deployment-key-123", "package": None}},
     ("POST", "/api/v1/apps/A/deployments", b'{"name":"Staging"}'), None),
    ("deployments.remove", lambda cp: cp.deployments.remove("A", "Staging"), 204, "",
     ("DELETE", "/api/v1/apps/A/deployments/Staging", b""), None),
    ("releases.history", lambda cp: cp.releases.history("A", "Production"), 200,
     {"releases": [RELEASE_V1]},
     ("GET", "/api/v1/apps/A/deployments/Production/releases", b""), None),
    ("releases.patch", lambda cp: cp.releases.patch("A", "Production", "v1", rollout=50,
                                                    is_mandatory=True), 200,
     {"release": {**RELEASE_V1, "rollout": 50, "isMandatory": True}},
     ("PATCH", "/api/v1/apps/A/deployments/Production/releases/v1",
      b'{"isMandatory":true,"rollout":50}'), None),
]
# Reads a case makes before its request: a release write reads the history first.
BEFORE = {"releases.patch": ("/api/v1/apps/A/deployments/Production/releases",
                             {"releases": [RELEASE_V1]})}


@pytest.mark.parametrize(("name", "call", "status", "reply", "request_", "expected"), CASES,
                         ids=[c[0] for c in CASES])
async def test_v1_operation_on_the_wire(
    v1: AsyncCodePush, recorder: Recorder, name: str, call: Any, status: int, reply: Any,
    request_: tuple[str, str, bytes], expected: Any,
) -> None:
    before = [BEFORE[name]] if name in BEFORE else []
    for _, answer in before:
        recorder.reply(200, json_body=answer)
    if isinstance(reply, str):
        recorder.reply(status, text=reply)
    else:
        recorder.reply(status, json_body=reply)

    result = await call(v1)

    assert sent(recorder) == [*(("GET", path, b"") for path, _ in before), request_]
    assert recorder.last.headers["authorization"] == f"Bearer {ACCESS_KEY}"
    if expected is not None:
        assert result == expected


async def test_release_upload_goes_to_the_v1_route(v1: AsyncCodePush, recorder: Recorder) -> None:
    recorder.reply_history(key="releases")
    recorder.reply_release(RELEASE_V1, key="release")
    package = await v1.releases.release("A", "Production", b"bundle", "1.0.0", rollout=100)
    assert package.label == "v1"
    assert recorder.requests[0].url.raw_path == b"/api/v1/apps/A/deployments/Production/releases"
    assert recorder.last.url.raw_path == b"/api/v1/apps/A/deployments/Production/release"
    assert recorder.last.content.endswith(
        b'{"appVersion":"1.0.0","rollout":100}\r\n'
        + f"--{recorder.last.headers['content-type'].split('boundary=')[1]}--\r\n".encode()
    )


async def test_one_app_deployment_and_token_are_found_in_their_lists(
    v1: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(200, json_body={"apps": [APP_V1]})
    recorder.reply(200, json_body={"deployments": [{"name": "Staging", "key": "k"}]})
    recorder.reply(200, json_body={"tokens": [{"friendlyName": "ci"}]})
    recorder.reply(200, json_body={"apps": []})

    assert (await v1.apps.get("MyApp-iOS")).platform == "ios"
    assert (await v1.deployments.get("A", "Staging")).key == "k"
    assert (await v1.tokens.get("ci")).name == "ci"
    with pytest.raises(NotFoundError, match='App "Nope" does not exist'):
        await v1.apps.get("Nope")

    assert [path for _, path, _ in sent(recorder)] == [
        "/api/v1/apps", "/api/v1/apps/A/deployments", "/api/v1/auth/tokens", "/api/v1/apps"]


async def test_metrics_come_from_each_release(v1: AsyncCodePush, recorder: Recorder) -> None:
    recorder.reply(200, json_body={"releases": [RELEASE_V1, {"label": "v2"}]})
    metrics = await v1.deployments.metrics("A", "Production")
    assert metrics == {"v1": UpdateMetrics(active=1000, downloaded=950, installed=900, failed=5)}


async def test_patch_without_label_patches_the_latest(v1: AsyncCodePush, recorder: Recorder) -> None:
    recorder.reply(200, json_body={"releases": [RELEASE_V1, {**RELEASE_V1, "label": "v2",
                                                             "uploadTime": 1640995300000}]})
    recorder.reply(200, json_body={"release": {**RELEASE_V1, "label": "v2"}})

    await v1.releases.patch("A", "Production", description="now")

    assert sent(recorder) == [  # one read of the history: it names the latest, and proves
        ("GET", "/api/v1/apps/A/deployments/Production/releases", b""),
        ("PATCH", "/api/v1/apps/A/deployments/Production/releases/v2", b'{"description":"now"}'),
    ]


@pytest.mark.parametrize(
    ("call", "what"),
    [
        (lambda cp: cp.releases.promote("A", "Staging", "Production"), "releases.promote"),
        (lambda cp: cp.releases.rollback("A", "Production"), "releases.rollback"),
        (lambda cp: cp.releases.rollback("A", "Production", "v1"), "releases.rollback_to"),
        (lambda cp: cp.releases.clear_history("A", "Production"), "releases.clear_history"),
        (lambda cp: cp.apps.transfer("A", "x@example.com"), "apps.transfer"),
        (lambda cp: cp.account.get(), "account.get"),
        (lambda cp: cp.account.is_authenticated(), "account.authenticated"),
        (lambda cp: cp.tokens.sessions(), "tokens.sessions"),
        (lambda cp: cp.tokens.remove_session("mac"), "tokens.remove_session"),
        (lambda cp: cp.tokens.update("ci", ttl=5), "tokens.update"),
    ],
)
async def test_unsupported_calls_fail_before_any_request(
    v1: AsyncCodePush, recorder: Recorder, call: Any, what: str
) -> None:
    with pytest.raises(UnsupportedOperationError, match=rf"{what} is not supported by the 'v1'"):
        await call(v1)
    assert recorder.requests == []


async def test_error_envelope_gives_message_code_and_field(
    v1: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(400, json_body={"error": {
        "code": "InvalidParameter", "message": "The specified parameter is invalid",
        "details": {"parameter": "appName", "reason": "Name already exists"}}})
    recorder.reply(409, json_body={"error": {"code": "Conflict", "message": "App exists"}})

    with pytest.raises(BadRequestError) as bad:
        await v1.apps.create("x")
    with pytest.raises(ConflictError) as conflict:
        await v1.apps.create("x")

    assert bad.value.message == "The specified parameter is invalid"
    assert bad.value.code == "InvalidParameter"
    assert bad.value.field_errors == (FieldError("appName", "Name already exists"),)
    assert (conflict.value.message, conflict.value.code) == ("App exists", "Conflict")


async def test_one_rate_limit_budget_for_every_call(
    recorder: Recorder, clock: FakeClock
) -> None:
    reset = int(clock.time) + 120
    recorder.reply(200, json_body={"apps": []}, headers={
        "x-ratelimit-limit": "1000", "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": str(reset)})
    recorder.reply(200, json_body={"tokens": []})
    async with AsyncCodePush(ACCESS_KEY, SERVER, dialect="v1", clock=clock,
                             transport=httpx.MockTransport(recorder)) as cp:
        await cp.apps.list()
        await cp.tokens.list()  # another endpoint, the same hourly budget
    assert clock.sleeps == [120.0]


async def test_429_envelope_is_a_rate_limit_error(v1: AsyncCodePush, recorder: Recorder) -> None:
    recorder.reply(429, json_body={"error": {"code": "TooManyRequests", "message": "slow down"}},
                   headers={"retry-after": "30"})
    with pytest.raises(RateLimitError) as caught:
        await v1.apps.list()
    assert (caught.value.retry_after, caught.value.code) == (30.0, "TooManyRequests")


def test_webhook_release_event() -> None:
    event = parse_webhook(
        b'{"event": "deployment.released", "app": "MyApp-iOS", "deployment": "Production", '
        b'"release": {"label": "v1", "appVersion": "1.0.0", "description": "Bug fixes"}, '
        b'"timestamp": "2024-01-01T00:00:00Z"}'
    )
    assert isinstance(event, DeploymentReleasedEvent)
    assert event == DeploymentReleasedEvent(
        event="deployment.released", app="MyApp-iOS", deployment="Production",
        release=WebhookRelease("v1", "1.0.0", "Bug fixes"),
        timestamp=datetime(2024, 1, 1, tzinfo=timezone.utc),
    )


def test_unknown_webhook_event_is_generic() -> None:
    event = parse_webhook({"event": "deployment.deleted", "app": "A", "extra": [1]})
    assert type(event) is WebhookEvent
    assert (event.event, event.app, event.release) == ("deployment.deleted", "A", None)
    assert event.payload["extra"] == [1]


@pytest.mark.parametrize(
    ("body", "message"),
    [(b"not json", "not JSON"), (b"[1]", "string 'event'"), ({"app": "A"}, "string 'event'"),
     ({"event": "x", "timestamp": "yesterday"}, "'timestamp' is not valid")],
)
def test_bad_webhook_bodies(body: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_webhook(body)
