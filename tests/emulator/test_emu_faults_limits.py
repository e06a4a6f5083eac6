"""Fault hooks, the request log, rate limiting and malformed input."""

from __future__ import annotations

import time

import httpx
import pytest

from codepush_async.emulator import CodePushEmulator, FaultKind, FaultRule, ManualClock

from ._helpers import MSG_INVALID, OWNER_EMAIL, auth, create_app, release

pytestmark = pytest.mark.anyio
TOO_MANY = "Too many requests, please try again later."


async def app_names(client: httpx.AsyncClient) -> list[str]:
    return [a["name"] for a in (await client.get("/apps")).json()["apps"]]


# Faults


async def test_fail_next_skips_the_handler(
    emu: CodePushEmulator, client: httpx.AsyncClient
) -> None:
    rule = emu.fail_next(503)
    response = await client.post("/apps", json={"name": "A"})
    assert (response.status_code, response.text) == (
        503,
        "The CodePush server temporarily timed out. Please try again.",
    )
    assert rule.hits == 1
    assert rule.remaining == 0
    assert emu.faults == []
    assert await app_names(client) == []
    record = emu.requests[0]
    assert (record.method, record.status, record.handled, record.fault) == (
        "POST",
        503,
        False,
        "respond",
    )


async def test_fail_next_options(emu: CodePushEmulator, client: httpx.AsyncClient) -> None:
    emu.fail_next(429, retry_after=7, times=2, method="post", path="/apps")
    limited = await client.post("/apps", json={"name": "A"})
    assert (limited.status_code, limited.text) == (429, TOO_MANY)
    assert limited.headers["retry-after"] == "7"
    assert (await client.get("/apps")).status_code == 200
    assert (await client.post("/apps", json={"name": "A"})).status_code == 429
    assert (await client.post("/apps", json={"name": "A"})).status_code == 201


async def test_fail_next_custom_body_and_unlimited(
    emu: CodePushEmulator, client: httpx.AsyncClient
) -> None:
    emu.fail_next(
        500, body=b'{"x":1}', headers={"Content-Type": "application/json"}, times=None, path="/ap"
    )
    for _ in range(3):
        response = await client.get("/apps")
        assert response.status_code == 500
        assert response.json() == {"x": 1}
    assert (await client.get("/account")).status_code == 200
    emu.clear_faults()
    assert (await client.get("/apps")).status_code == 200


async def test_path_filter_matches_decoded_paths(
    emu: CodePushEmulator, client: httpx.AsyncClient
) -> None:
    await create_app(client, "My App")
    emu.fail_next(502, path="/apps/My App/deployments")
    assert (await client.get("/apps/My%20App")).status_code == 200
    assert (await client.get("/apps/My%20App/deployments")).status_code == 502


async def test_drop_before_handler(emu: CodePushEmulator, client: httpx.AsyncClient) -> None:
    emu.drop_next(method="POST")
    with pytest.raises(httpx.ConnectError):
        await client.post("/apps", json={"name": "A"})
    assert await app_names(client) == []
    assert emu.requests[0].handled is False
    assert emu.requests[0].status is None


async def test_drop_after_handler(emu: CodePushEmulator, client: httpx.AsyncClient) -> None:
    emu.drop_next(after_handler=True)
    with pytest.raises(httpx.RemoteProtocolError):
        await client.post("/apps", json={"name": "A"})
    assert await app_names(client) == ["A"]
    writes = [r for r in emu.requests if r.method == "POST"]
    assert len(writes) == 1
    assert (writes[0].handled, writes[0].delivered, writes[0].status) == (True, False, 201)
    assert writes[0].json() == {"name": "A"}


async def test_delay_beyond_timeout_raises_at_once(
    emu: CodePushEmulator, client: httpx.AsyncClient
) -> None:
    emu.delay_next(30)
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        await client.post("/apps", json={"name": "Slow"}, timeout=1.0)
    assert time.monotonic() - started < 0.5
    assert await app_names(client) == ["Slow"]
    emu.delay_next(30, before_handler=True)
    with pytest.raises(httpx.ReadTimeout):
        await client.post("/apps", json={"name": "Never"}, timeout=1.0)
    assert await app_names(client) == ["Slow"]


async def test_short_delay_really_waits(emu: CodePushEmulator, client: httpx.AsyncClient) -> None:
    emu.delay_next(0.001)
    assert (await client.get("/apps")).status_code == 200
    emu.delay_next(0.001, before_handler=True)
    assert (await client.get("/apps")).status_code == 200
    emu.delay_next(0.001)
    assert (await client.get("/apps", timeout=None)).status_code == 200


def test_fault_rule_validation(emu: CodePushEmulator) -> None:
    with pytest.raises(ValueError, match="times"):
        emu.add_fault(FaultRule(FaultKind.RESPOND, times=0))
    with pytest.raises(ValueError, match="negative"):
        emu.delay_next(-1)


async def test_request_log(emu: CodePushEmulator, client: httpx.AsyncClient, key: str) -> None:
    await client.post("/apps?x=1", json={"name": "A b"})
    await client.get("/apps/A%20b")
    first, second = emu.requests
    assert (first.method, first.path, first.query, first.status) == ("POST", "/apps", "x=1", 201)
    assert first.headers["authorization"] == f"Bearer {key}"
    assert first.body == b'{"name":"A b"}'
    assert (second.path, second.decoded_path) == ("/apps/A%20b", "/apps/A b")
    emu.clear_requests()
    assert emu.requests == []


# Rate limiting


async def test_rate_limit_on_authenticated(clock: ManualClock) -> None:
    emu = CodePushEmulator(clock=clock, rate_limit=3)
    key = emu.create_account(OWNER_EMAIL)
    async with httpx.AsyncClient(
        transport=emu.transport, base_url="http://e", headers=auth(key)
    ) as c:
        reset = str(int(clock()) + 900)
        remaining = []
        for _ in range(3):
            response = await c.get("/authenticated")
            assert response.status_code == 200
            assert response.headers["x-ratelimit-limit"] == "3"
            assert response.headers["x-ratelimit-reset"] == reset
            remaining.append(response.headers["x-ratelimit-remaining"])
        assert remaining == ["2", "1", "0"]
        limited = await c.get("/authenticated")
        assert (limited.status_code, limited.text) == (429, TOO_MANY)
        assert limited.headers["retry-after"] == "900"
        assert limited.headers["x-ratelimit-remaining"] == "0"
        clock.advance(99.5)
        assert (await c.get("/authenticated")).headers["retry-after"] == "801"
        unauthenticated = await c.get("/authenticated", headers={"Authorization": ""})
        assert unauthenticated.status_code == 429
        clock.advance(800.5)
        fresh = await c.get("/authenticated", headers={"Authorization": "Bearer nope"})
        assert (fresh.status_code, fresh.text) == (401, MSG_INVALID)
        assert fresh.headers["x-ratelimit-remaining"] == "2"
        assert "x-ratelimit-limit" not in (await c.get("/apps")).headers
        emu.reset_rate_limits()
        assert (await c.get("/authenticated")).headers["x-ratelimit-remaining"] == "2"


async def test_rate_limit_on_release(clock: ManualClock) -> None:
    emu = CodePushEmulator(clock=clock, rate_limit=2, rate_limit_window=60)
    key = emu.create_account(OWNER_EMAIL)
    async with httpx.AsyncClient(
        transport=emu.transport, base_url="http://e", headers=auth(key)
    ) as c:
        await create_app(c, "App")
        unauthenticated = await c.post(
            "/apps/App/deployments/Staging/release", headers={"Authorization": ""}
        )
        assert unauthenticated.status_code == 401
        assert "x-ratelimit-limit" not in unauthenticated.headers
        failed = await release(c, "App", "Staging", b"x", None)
        assert failed.status_code == 400
        assert failed.headers["x-ratelimit-remaining"] == "1"
        ok = await release(c, "App", "Staging", b"x", {"appVersion": "1.0.0"})
        assert ok.status_code == 201
        assert ok.headers["x-ratelimit-remaining"] == "0"
        limited = await release(c, "App", "Staging", b"y", {"appVersion": "1.0.0"})
        assert (limited.status_code, limited.text) == (429, TOO_MANY)
        assert limited.headers["retry-after"] == "60"
        separate_counter = await c.get("/authenticated")
        assert separate_counter.headers["x-ratelimit-remaining"] == "1"
        clock.advance(60)
        assert (
            await release(c, "App", "Staging", b"y", {"appVersion": "1.0.0"})
        ).status_code == 201


async def test_rate_limit_disabled(clock: ManualClock) -> None:
    emu = CodePushEmulator(clock=clock, rate_limit=None)
    key = emu.create_account(OWNER_EMAIL)
    async with httpx.AsyncClient(
        transport=emu.transport, base_url="http://e", headers=auth(key)
    ) as c:
        response = await c.get("/authenticated")
    assert response.status_code == 200
    assert "x-ratelimit-limit" not in response.headers


# Malformed input and routing


async def test_malformed_json_counts_as_empty(client: httpx.AsyncClient) -> None:
    for content in (b"{not json", b"[1, 2]", b'"text"', b"", b"NaN"):
        response = await client.post(
            "/apps", content=content, headers={"Content-Type": "application/json"}
        )
        assert (response.status_code, response.text) == (
            400,
            '[{"field":"name","message":"Field is required"}]',
        )
    plain = await client.post(
        "/apps", content=b'{"name":"x"}', headers={"Content-Type": "text/plain"}
    )
    assert plain.status_code == 400
    form = await client.post("/apps", data={"name": "form"})
    assert form.status_code == 201


async def test_json_body_limit(client: httpx.AsyncClient) -> None:
    big = await client.post("/apps", json={"name": "x" * 10_300})
    assert (big.status_code, big.text) == (413, "request entity too large")
    fits = await client.post("/apps", json={"name": "y" * 900})
    assert fits.status_code == 201


async def test_unknown_routes_and_methods(emu: CodePushEmulator, client: httpx.AsyncClient) -> None:
    unknown = await client.get("/nope?a=1")
    assert unknown.status_code == 404
    assert "<pre>Cannot GET /nope?a=1</pre>" in unknown.text
    wrong_method = await client.put("/apps", json={})
    assert wrong_method.status_code == 404
    assert "Cannot PUT /apps" in wrong_method.text
    async with httpx.AsyncClient(transport=emu.transport, base_url="http://e") as anonymous:
        assert (await anonymous.get("/nope")).status_code == 401
        welcome = await anonymous.get("/")
        assert (welcome.status_code, welcome.text) == (200, "Welcome to the CodePush REST API!")
        preflight = await anonymous.options("/apps")
        assert preflight.status_code == 204
        assert preflight.headers["access-control-expose-headers"] == "Location"


async def test_express_path_matching(client: httpx.AsyncClient) -> None:
    await create_app(client, "App")
    assert (await client.get("/APPS")).status_code == 200
    assert (await client.get("/apps/")).status_code == 200
    assert (await client.get("/apps/App/Deployments/")).status_code == 200
    bad = await client.get("/apps/%E0%A4%A")
    assert (bad.status_code, bad.text) == (400, "Failed to decode param '%E0%A4%A'")
    head = await client.head("/apps")
    assert (head.status_code, head.content) == (200, b"")
    slash = await client.get("/apps/a%2Fb")
    assert (slash.status_code, slash.text) == (404, 'App "a/b" does not exist.')


async def test_error_text_is_html_escaped(client: httpx.AsyncClient) -> None:
    await create_app(client, "a&b")
    response = await client.post("/apps", json={"name": "a&b"})
    assert response.text == "An app named 'a&amp;b' already exists."
