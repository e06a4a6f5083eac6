"""The emulator's ``/api/v1`` dialect (docs/v1-wire.md): authentication, tokens, the error
envelope, routing, rate limits, faults and serving. Apps and releases: test_emu_v1_resources."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from codepush_async.emulator import CodePushEmulator, ManualClock

from ._helpers import OTHER_EMAIL, OWNER_EMAIL, auth, emulator_cli

pytestmark = pytest.mark.anyio

API = "/api/v1"
BASE_URL = "http://emulator"
DAY_MS = 24 * 60 * 60 * 1000
REPO_ROOT = Path(__file__).resolve().parents[2]
LIMIT_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")


def assert_error(
    response: httpx.Response,
    status: int,
    code: str,
    message: str | None = None,
    *,
    parameter: str | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """Check a v1 error envelope (JSON, code, message, details) and return its ``error``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == code
    assert isinstance(error["message"], str)
    assert error["message"]
    if message is not None:
        assert error["message"] == message
    if parameter is not None:
        assert error["message"] == "The specified parameter is invalid"
        assert error["details"]["parameter"] == parameter
        if reason is not None:
            assert error["details"]["reason"] == reason
    else:
        assert "parameter" not in error["details"]
    return error


def _require_limit_headers(response: httpx.Response) -> None:
    missing = [name for name in LIMIT_HEADERS if name not in response.headers]
    assert not missing, f"{response.request.method} {response.request.url}: no {missing}"


async def _check_limit_headers(response: httpx.Response) -> None:
    _require_limit_headers(response)


def v1_client(emu: CodePushEmulator, token: str | None = None) -> httpx.AsyncClient:
    """A raw client of the in-process emulator that checks the rate-limit headers of every
    response it receives."""
    return httpx.AsyncClient(
        transport=emu.transport,
        base_url=BASE_URL,
        headers=auth(token) if token else {},
        event_hooks={"response": [_check_limit_headers]},
    )


@pytest.fixture
def v1emu(clock: ManualClock) -> CodePushEmulator:
    return CodePushEmulator("v1", clock=clock)


@pytest.fixture
def token(v1emu: CodePushEmulator) -> str:
    return v1emu.create_account(OWNER_EMAIL, "Owner")


@pytest.fixture
async def api(v1emu: CodePushEmulator, token: str) -> AsyncIterator[httpx.AsyncClient]:
    async with v1_client(v1emu, token) as client:
        yield client


# Authentication


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "Authentication required: send 'Authorization: Bearer <access token>'."),
        ({"Authorization": "Basic abc"}, "Authentication required"),
        ({"Authorization": "Bearer"}, "Authentication required"),
        ({"Authorization": "Bearer not-a-known-token-1234"}, "The access token is invalid."),
        ({"Authorization": "Bearer short"}, "The access token is invalid."),
        ({"Authorization": "Bearer bad/chars/in/token"}, "The access token is invalid."),
    ],
)
async def test_unauthenticated_requests_get_401(
    v1emu: CodePushEmulator, headers: dict[str, str], message: str
) -> None:
    async with v1_client(v1emu) as client:
        response = await client.get(f"{API}/apps", headers=headers)
    error = assert_error(response, 401, "Unauthorized")
    assert error["message"].startswith(message)
    assert error["details"] == {}


async def test_python_api_keys_are_bearer_tokens(v1emu: CodePushEmulator, token: str) -> None:
    second = v1emu.create_access_key(OWNER_EMAIL, friendly_name="second")
    async with v1_client(v1emu) as client:
        for secret in (token, second):
            response = await client.get(f"{API}/apps", headers=auth(secret))
            assert (response.status_code, response.json()) == (200, {"apps": []})


async def test_expired_token_is_refused(v1emu: CodePushEmulator, clock: ManualClock) -> None:
    v1emu.create_account(OWNER_EMAIL)
    short = v1emu.create_access_key(OWNER_EMAIL, friendly_name="short", ttl=1500)
    async with v1_client(v1emu, short) as client:
        clock.advance(1.499)
        assert (await client.get(f"{API}/apps")).status_code == 200
        clock.advance(0.001)
        assert_error(
            await client.get(f"{API}/apps"), 401, "Unauthorized", "The access token has expired."
        )


# Tokens


async def test_create_token(api: httpx.AsyncClient, clock: ManualClock) -> None:
    response = await api.post(f"{API}/auth/tokens", json={"friendlyName": "CI", "ttl": DAY_MS})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"accessToken", "friendlyName", "expires"}
    assert body["friendlyName"] == "CI"
    assert body["expires"] == "2023-11-15T22:13:20Z"  # ManualClock starts at 1_700_000_000
    assert clock() == 1_700_000_000
    listed = await api.get(f"{API}/apps", headers=auth(body["accessToken"]))
    assert listed.status_code == 200


async def test_token_ttl_defaults_to_60_days_and_expires(
    api: httpx.AsyncClient, clock: ManualClock
) -> None:
    default = (await api.post(f"{API}/auth/tokens", json={"friendlyName": "  long  "})).json()
    assert default["friendlyName"] == "long"
    assert default["expires"] == "2024-01-13T22:13:20Z"
    brief = (await api.post(f"{API}/auth/tokens", json={"friendlyName": "b", "ttl": 1})).json()
    assert brief["expires"] == "2023-11-14T22:13:20.001Z"
    clock.advance(0.001)
    expired = await api.get(f"{API}/apps", headers=auth(brief["accessToken"]))
    assert_error(expired, 401, "Unauthorized", "The access token has expired.")
    assert (await api.get(f"{API}/apps", headers=auth(default["accessToken"]))).status_code == 200


async def test_list_tokens_hides_secrets(api: httpx.AsyncClient, clock: ManualClock) -> None:
    clock.advance(60)
    created = await api.post(f"{API}/auth/tokens", json={"friendlyName": "ci", "ttl": 1000})
    response = await api.get(f"{API}/auth/tokens")
    assert response.status_code == 200
    assert response.json() == {
        "tokens": [
            {
                "friendlyName": "emulator-key-1",
                "createdTime": "2023-11-14T22:13:20Z",
                "expires": "2024-01-13T22:13:20Z",
            },
            {
                "friendlyName": "ci",
                "createdTime": "2023-11-14T22:14:20Z",
                "expires": "2023-11-14T22:14:21Z",
            },
        ]
    }
    assert created.json()["accessToken"] not in response.text


async def test_tokens_are_per_account(v1emu: CodePushEmulator, api: httpx.AsyncClient) -> None:
    other = v1emu.create_account(OTHER_EMAIL)
    async with v1_client(v1emu, other) as client:
        tokens = (await client.get(f"{API}/auth/tokens")).json()["tokens"]
        assert [t["friendlyName"] for t in tokens] == ["emulator-key-2"]
        assert_error(await client.delete(f"{API}/auth/tokens/emulator-key-1"), 404, "NotFound")


async def test_revoke_token(api: httpx.AsyncClient) -> None:
    created = (await api.post(f"{API}/auth/tokens", json={"friendlyName": "My CLI Token"})).json()
    response = await api.delete(f"{API}/auth/tokens/My%20CLI%20Token")
    assert (response.status_code, response.content) == (204, b"")
    names = [t["friendlyName"] for t in (await api.get(f"{API}/auth/tokens")).json()["tokens"]]
    assert names == ["emulator-key-1"]
    revoked = await api.get(f"{API}/apps", headers=auth(created["accessToken"]))
    assert_error(revoked, 401, "Unauthorized", "The access token is invalid.")
    again = await api.delete(f"{API}/auth/tokens/My%20CLI%20Token")
    assert_error(again, 404, "NotFound", 'Token "My CLI Token" does not exist.')


async def test_revoking_the_token_in_use(api: httpx.AsyncClient) -> None:
    assert (await api.delete(f"{API}/auth/tokens/emulator-key-1")).status_code == 204
    assert_error(await api.get(f"{API}/auth/tokens"), 401, "Unauthorized")


@pytest.mark.parametrize(
    ("body", "parameter", "reason"),
    [
        ({}, "friendlyName", "Field is required"),
        ({"ttl": 1000}, "friendlyName", "Field is required"),
        ({"friendlyName": ""}, "friendlyName", "Field is invalid"),
        ({"friendlyName": "   "}, "friendlyName", "Field is invalid"),
        ({"friendlyName": 5}, "friendlyName", "Field is invalid"),
        ({"friendlyName": "x", "ttl": 0}, "ttl", "Field is invalid"),
        ({"friendlyName": "x", "ttl": -5}, "ttl", "Field is invalid"),
        ({"friendlyName": "x", "ttl": 1.5}, "ttl", "Field is invalid"),
        ({"friendlyName": "x", "ttl": "1000"}, "ttl", "Field is invalid"),
        ({"friendlyName": "x", "ttl": True}, "ttl", "Field is invalid"),
        ({"friendlyName": "x", "ttl": 10**17}, "ttl", "Field is invalid"),
    ],
)
async def test_create_token_validation(
    api: httpx.AsyncClient, body: dict[str, Any], parameter: str, reason: str
) -> None:
    response = await api.post(f"{API}/auth/tokens", json=body)
    assert_error(response, 400, "InvalidParameter", parameter=parameter, reason=reason)


async def test_duplicate_token_name_conflicts(api: httpx.AsyncClient) -> None:
    assert (await api.post(f"{API}/auth/tokens", json={"friendlyName": "ci"})).status_code == 201
    response = await api.post(f"{API}/auth/tokens", json={"friendlyName": "ci"})
    assert_error(response, 409, "Conflict", 'The access key "ci" already exists.')


# Routing, bodies and the envelope


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/nope"),
        ("GET", "/api/v1"),
        ("GET", "/api/v1/apps/A"),  # no "get one app" route in v1
        ("POST", "/api/v1/apps/A/deployments/Staging/promote/Production"),
        ("POST", "/api/v1/apps/A/deployments/Staging/rollback"),
        ("GET", "/api/v1/apps/A/deployments/Staging/metrics"),
        ("GET", "/api/v1/account"),
        ("PATCH", "/api/v1/auth/tokens/ci"),
        ("GET", "/apps"),  # the classic root is not served in v1
        ("GET", "/api/v10/apps"),
        ("GET", "/"),
    ],
)
async def test_unknown_routes_are_404(api: httpx.AsyncClient, method: str, path: str) -> None:
    response = await api.request(method, path)
    error = assert_error(response, 404, "NotFound", f"There is no {method} {path} endpoint.")
    assert error["details"] == {}


async def test_routes_ignore_case_and_trailing_slash(api: httpx.AsyncClient) -> None:
    assert (await api.get("/API/V1/Apps/")).json() == {"apps": []}


async def test_head_is_answered_like_get_without_body(api: httpx.AsyncClient) -> None:
    response = await api.head(f"{API}/apps")
    assert (response.status_code, response.content) == (200, b"")


async def test_malformed_json_is_400(api: httpx.AsyncClient) -> None:
    response = await api.post(
        f"{API}/apps", content=b'{"name": ', headers={"content-type": "application/json"}
    )
    assert_error(
        response,
        400,
        "InvalidParameter",
        parameter="body",
        reason="The request body is not valid JSON.",
    )


@pytest.mark.parametrize(
    ("content", "content_type", "reason"),
    [
        (b"[1, 2]", "application/json", "The request body must be a JSON object."),
        (b"null", "application/json", "The request body must be a JSON object."),
        (b'{"ttl": NaN}', "application/json", "The request body is not valid JSON."),
        (b"\xff\xfe", "application/json", "The request body is not valid JSON."),
        (b"name=A", "application/x-www-form-urlencoded", "must be JSON (application/json)"),
        (b'{"name": "A"}', "text/plain", "must be JSON (application/json)"),
    ],
)
async def test_bodies_must_be_json_objects(
    api: httpx.AsyncClient, content: bytes, content_type: str, reason: str
) -> None:
    response = await api.post(
        f"{API}/apps", content=content, headers={"content-type": content_type}
    )
    error = assert_error(response, 400, "InvalidParameter", parameter="body")
    assert reason in error["details"]["reason"]


async def test_json_without_content_type_and_vendor_json_are_accepted(
    api: httpx.AsyncClient,
) -> None:
    plain = await api.post(f"{API}/apps", content=b'{"name": "A"}')
    vendor = await api.post(
        f"{API}/apps",
        content=b'{"name": "B"}',
        headers={"content-type": "application/vnd.api+json; charset=utf-8"},
    )
    assert (plain.status_code, vendor.status_code) == (201, 201)


async def test_oversized_json_body_is_413(api: httpx.AsyncClient) -> None:
    response = await api.patch(
        f"{API}/apps/A/deployments/Staging/releases/v1", json={"description": "x" * 110_000}
    )
    assert_error(response, 413, "PayloadTooLarge")


async def test_undecodable_path_parameter_is_400(api: httpx.AsyncClient) -> None:
    response = await api.delete(f"{API}/auth/tokens/%E0%A4%A")
    assert_error(response, 400, "InvalidParameter", parameter="path")


async def test_unexpected_errors_are_500_envelopes(
    v1emu: CodePushEmulator, api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(account_id: str) -> list[object]:
        raise RuntimeError("boom")

    monkeypatch.setattr(v1emu.store, "apps_of", broken)
    response = await api.get(f"{API}/apps")
    assert_error(response, 500, "InternalError", "An internal server error occurred.")


# Rate limits


async def test_default_limit_is_1000_per_hour(api: httpx.AsyncClient, clock: ManualClock) -> None:
    response = await api.get(f"{API}/apps")
    assert response.headers["x-ratelimit-limit"] == "1000"
    assert response.headers["x-ratelimit-remaining"] == "999"
    assert response.headers["x-ratelimit-reset"] == str(int(clock()) + 3600)
    assert "retry-after" not in response.headers


async def test_every_answer_carries_the_headers_and_counts(api: httpx.AsyncClient) -> None:
    answers = [
        await api.post(f"{API}/apps", json={"name": "A"}),  # 201
        await api.get(f"{API}/apps"),  # 200
        await api.post(f"{API}/apps", json={"name": "A"}),  # 409
        await api.post(f"{API}/apps", json={}),  # 400
        await api.get(f"{API}/apps/Nope/deployments"),  # 404
        await api.get(f"{API}/nowhere"),  # 404 route
        await api.delete(f"{API}/apps/A"),  # 204
    ]
    assert [r.status_code for r in answers] == [201, 200, 409, 400, 404, 404, 204]
    remaining = [int(r.headers["x-ratelimit-remaining"]) for r in answers]
    assert remaining == list(range(999, 992, -1))


async def test_429_with_retry_after_when_exceeded(clock: ManualClock) -> None:
    emu = CodePushEmulator("v1", clock=clock, rate_limit=3, rate_limit_window=60)
    token = emu.create_account(OWNER_EMAIL)
    async with v1_client(emu, token) as client:
        remaining = [(await client.get(f"{API}/apps")).headers["x-ratelimit-remaining"]]
        remaining.append(
            (await client.post(f"{API}/apps", json={})).headers["x-ratelimit-remaining"]
        )
        remaining.append((await client.get(f"{API}/auth/tokens")).headers["x-ratelimit-remaining"])
        assert remaining == ["2", "1", "0"]
        limited = await client.post(f"{API}/apps", json={"name": "Never"})
        assert_error(limited, 429, "TooManyRequests", "Too many requests, please try again later.")
        assert limited.headers["retry-after"] == "60"
        assert limited.headers["x-ratelimit-limit"] == "3"
        assert limited.headers["x-ratelimit-remaining"] == "0"
        assert limited.headers["x-ratelimit-reset"] == str(int(clock()) + 60)
        clock.advance(20.5)
        again = await client.get(f"{API}/apps")
        assert (again.status_code, again.headers["retry-after"]) == (429, "40")
        clock.advance(39.5)
        fresh = await client.get(f"{API}/apps")
        assert fresh.json() == {"apps": []}  # the refused create never ran
        assert fresh.headers["x-ratelimit-remaining"] == "2"
        assert fresh.headers["x-ratelimit-reset"] == str(int(clock()) + 60)


async def test_reset_is_epoch_seconds_rounded_up() -> None:
    clock = ManualClock(1_700_000_000.25)
    emu = CodePushEmulator("v1", clock=clock, rate_limit_window=10.5)
    token = emu.create_account(OWNER_EMAIL)
    async with v1_client(emu, token) as client:
        response = await client.get(f"{API}/apps")
    reset = response.headers["x-ratelimit-reset"]
    assert reset == str(math.ceil(1_700_000_000.25 + 10.5)) == "1700000011"
    assert response.headers["x-ratelimit-limit"] == "1000"  # the window alone was explicit


async def test_each_token_has_its_own_budget(clock: ManualClock) -> None:
    emu = CodePushEmulator("v1", clock=clock, rate_limit=1)
    first = emu.create_account(OWNER_EMAIL)
    second = emu.create_access_key(OWNER_EMAIL, friendly_name="second")
    async with v1_client(emu) as client:
        assert (await client.get(f"{API}/apps", headers=auth(first))).status_code == 200
        assert (await client.get(f"{API}/apps", headers=auth(first))).status_code == 429
        assert (await client.get(f"{API}/apps", headers=auth(second))).status_code == 200
        emu.reset_rate_limits()
        assert (await client.get(f"{API}/apps", headers=auth(first))).status_code == 200


async def test_unauthenticated_requests_have_a_smaller_budget(clock: ManualClock) -> None:
    emu = CodePushEmulator("v1", clock=clock)
    token = emu.create_account(OWNER_EMAIL)
    async with v1_client(emu) as client:
        statuses = [(await client.get(f"{API}/apps")).status_code for _ in range(61)]
        assert statuses == [401] * 60 + [429]
        limited = await client.get(f"{API}/apps", headers={"Authorization": "Bearer nope"})
        assert_error(limited, 429, "TooManyRequests")
        assert limited.headers["x-ratelimit-limit"] == "60"
        assert limited.headers["retry-after"] == "3600"
        authorized = await client.get(f"{API}/apps", headers=auth(token))
        assert authorized.headers["x-ratelimit-remaining"] == "999"


async def test_explicit_limit_caps_the_anonymous_budget(clock: ManualClock) -> None:
    emu = CodePushEmulator("v1", clock=clock, rate_limit=2)
    async with v1_client(emu) as client:
        statuses = [(await client.get(f"{API}/apps")).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]


async def test_rate_limit_none_disables_limiting(clock: ManualClock) -> None:
    emu = CodePushEmulator("v1", clock=clock, rate_limit=None)
    token = emu.create_account(OWNER_EMAIL)
    async with httpx.AsyncClient(
        transport=emu.transport, base_url=BASE_URL, headers=auth(token)
    ) as client:
        response = await client.get(f"{API}/apps")
    assert response.status_code == 200
    assert not any(name in response.headers for name in LIMIT_HEADERS)


async def test_classic_defaults_are_unchanged(clock: ManualClock) -> None:
    classic = CodePushEmulator(clock=clock)
    key = classic.create_account(OWNER_EMAIL)
    async with httpx.AsyncClient(
        transport=classic.transport, base_url=BASE_URL, headers=auth(key)
    ) as client:
        response = await client.get("/authenticated")
    assert response.headers["x-ratelimit-limit"] == "100"
    assert response.headers["x-ratelimit-reset"] == str(int(clock()) + 900)


def test_supported_dialects() -> None:
    assert CodePushEmulator("v1").dialect == "v1"
    with pytest.raises(
        ValueError, match="unsupported emulator dialect 'v3'; supported: classic, v1"
    ):
        CodePushEmulator("v3")


# Faults, recording, serving


async def test_canned_faults_answer_with_envelopes(v1emu: CodePushEmulator, token: str) -> None:
    v1emu.fail_next(503)
    v1emu.fail_next(429, retry_after=7)
    v1emu.fail_next(418, body="teapot", headers={"Content-Type": "text/plain"})
    async with httpx.AsyncClient(
        transport=v1emu.transport, base_url=BASE_URL, headers=auth(token)
    ) as client:
        unavailable = await client.get(f"{API}/apps")
        limited = await client.get(f"{API}/apps")
        custom = await client.get(f"{API}/apps")
        normal = await client.get(f"{API}/apps")
    assert_error(
        unavailable,
        503,
        "ServiceUnavailable",
        "The CodePush server temporarily timed out. Please try again.",
    )
    assert_error(limited, 429, "TooManyRequests", "Too many requests, please try again later.")
    assert limited.headers["retry-after"] == "7"
    assert (custom.status_code, custom.text, custom.headers["content-type"]) == (
        418,
        "teapot",
        "text/plain",
    )
    assert normal.status_code == 200
    assert [r.fault for r in v1emu.requests] == ["respond", "respond", "respond", None]
    assert [r.path for r in v1emu.requests] == [f"{API}/apps"] * 4


async def test_dropped_connection_after_the_handler(
    v1emu: CodePushEmulator, api: httpx.AsyncClient
) -> None:
    v1emu.drop_next(after_handler=True, method="POST")
    with pytest.raises(httpx.RemoteProtocolError):
        await api.post(f"{API}/apps", json={"name": "Acted"})
    names = [a["name"] for a in (await api.get(f"{API}/apps")).json()["apps"]]
    assert names == ["Acted"]
    record = v1emu.requests[0]
    assert (record.handled, record.delivered, record.status) == (True, False, 201)
    assert record.json() == {"name": "Acted"}


def test_serve_v1_in_a_thread() -> None:
    emu = CodePushEmulator("v1")
    token = emu.create_account(OWNER_EMAIL)
    with emu.serve() as url, httpx.Client(base_url=url + API, headers=auth(token)) as client:
        assert client.post("/apps", json={"name": "Served"}).status_code == 201
        released = client.post(
            "/apps/Served/deployments/Staging/release",
            files={"package": ("a.js", b"served")},
            data={"packageInfo": '{"appVersion": "1.0.0"}'},
        )
        blob_url = released.json()["release"]["blobUrl"]
        assert blob_url.startswith(url + "/blobs/")
        assert httpx.get(blob_url).content == b"served"
        response = client.get("/apps")
        _require_limit_headers(response)
        assert response.headers["x-ratelimit-remaining"] == "997"


def test_python_dash_m_serves_v1() -> None:
    with emulator_cli("--dialect", "v1") as proc:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        assert "(v1) listening on http://127.0.0.1:" in banner, proc.stderr and proc.stderr.read()
        url = banner.rsplit(" ", 1)[1].strip()
        assert proc.stdout.readline().strip() == "Account: dev@example.com"
        key = proc.stdout.readline().split("Access key:", 1)[1].strip()
        assert proc.stdout.readline().strip() == f"API base: {url}/api/v1"
        response = httpx.get(f"{url}/api/v1/auth/tokens", headers=auth(key))
        assert response.status_code == 200
        assert response.headers["x-ratelimit-limit"] == "1000"
