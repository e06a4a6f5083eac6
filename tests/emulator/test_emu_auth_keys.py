"""Authentication, account and access-key endpoints."""

from __future__ import annotations

import httpx
import pytest

from codepush_async.emulator import CodePushEmulator, ManualClock

from ._helpers import MSG_EXPIRED, MSG_INVALID, OWNER_EMAIL, auth

pytestmark = pytest.mark.anyio
DAY_MS = 24 * 60 * 60 * 1000


async def test_authenticated(client: httpx.AsyncClient) -> None:
    response = await client.get("/authenticated")
    assert response.status_code == 200
    assert response.json() == {"authenticated": True}


@pytest.mark.parametrize(
    "header",
    [None, "Bearer short", "Bearer has!bad#chars-000000", "Bearer " + "a" * 101, "Bearer a b"],
)
async def test_bad_credentials_are_401_invalid(emu: CodePushEmulator, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    async with httpx.AsyncClient(transport=emu.transport, base_url="http://e") as c:
        response = await c.get("/apps", headers=headers)
    assert response.status_code == 401
    assert response.text == MSG_INVALID
    assert response.headers["content-type"].startswith("text/html")


async def test_unknown_key_is_401(emu: CodePushEmulator) -> None:
    emu.create_account(OWNER_EMAIL)
    async with httpx.AsyncClient(transport=emu.transport, base_url="http://e") as c:
        response = await c.get("/account", headers=auth("A" * 40))
    assert (response.status_code, response.text) == (401, MSG_INVALID)


async def test_access_token_query_parameter(emu: CodePushEmulator, key: str) -> None:
    async with httpx.AsyncClient(transport=emu.transport, base_url="http://e") as c:
        response = await c.get("/account", params={"access_token": key})
    assert response.status_code == 200


async def test_account(client: httpx.AsyncClient) -> None:
    response = await client.get("/account")
    assert response.json() == {
        "account": {"name": "Owner", "email": OWNER_EMAIL, "linkedProviders": []}
    }


async def test_create_access_key(client: httpx.AsyncClient, clock: ManualClock) -> None:
    response = await client.post("/accessKeys", json={"friendlyName": "  CI key  "})
    assert response.status_code == 201
    assert response.headers["location"] == "/accessKeys/CI%20key"
    created = response.json()["accessKey"]
    now_ms = int(clock() * 1000)
    assert created["friendlyName"] == created["description"] == "CI key"
    assert created["createdBy"] == "127.0.0.1"
    assert created["createdTime"] == now_ms
    assert created["expires"] == now_ms + 60 * DAY_MS
    assert 10 <= len(created["name"]) <= 100
    check = await client.get("/authenticated", headers=auth(created["name"]))
    assert check.status_code == 200


async def test_create_access_key_options(client: httpx.AsyncClient, clock: ManualClock) -> None:
    secret = "my-own-secret_0123456789"
    response = await client.post(
        "/accessKeys",
        json={"description": "legacy", "ttl": "5000", "createdBy": "laptop", "name": secret},
    )
    created = response.json()["accessKey"]
    assert created["name"] == secret
    assert created["friendlyName"] == "legacy"
    assert created["createdBy"] == "laptop"
    assert created["expires"] == int(clock() * 1000) + 5000


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, [{"field": "friendlyName", "message": "Field is required"}]),
        ({"friendlyName": ""}, [{"field": "friendlyName", "message": "Field is invalid"}]),
        ({"friendlyName": "k", "ttl": 0}, [{"field": "ttl", "message": "Field is invalid"}]),
        ({"friendlyName": "k", "ttl": "abc"}, [{"field": "ttl", "message": "Field is invalid"}]),
        ({"friendlyName": "k", "ttl": -5}, [{"field": "ttl", "message": "Field is invalid"}]),
        (
            {"friendlyName": "k", "name": "short"},
            [{"field": "name", "message": "Field is invalid"}],
        ),
    ],
)
async def test_create_access_key_validation(
    client: httpx.AsyncClient, body: dict[str, object], errors: list[dict[str, str]]
) -> None:
    response = await client.post("/accessKeys", json=body)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == errors


async def test_duplicate_access_key(client: httpx.AsyncClient) -> None:
    assert (await client.post("/accessKeys", json={"friendlyName": "dup"})).status_code == 201
    response = await client.post("/accessKeys", json={"friendlyName": "dup"})
    assert response.status_code == 409
    assert response.text == 'The access key "dup" already exists.'


async def test_list_get_patch_delete_access_keys(
    emu: CodePushEmulator, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    clock.advance(1)
    await client.post("/accessKeys", json={"friendlyName": "second"})
    listed = (await client.get("/accessKeys")).json()["accessKeys"]
    assert [k["friendlyName"] for k in listed] == ["emulator-key-1", "second"]
    assert all(k["name"] == "(hidden)" for k in listed)
    assert all("isSession" not in k for k in listed)

    one = (await client.get("/accessKeys/second")).json()["accessKey"]
    assert "name" not in one
    assert one["friendlyName"] == "second"
    missing = await client.get("/accessKeys/nope")
    assert (missing.status_code, missing.text) == (404, 'Access key "nope" does not exist.')

    renamed = await client.patch("/accessKeys/second", json={"friendlyName": "renamed"})
    assert renamed.status_code == 200
    body = renamed.json()["accessKey"]
    assert body["friendlyName"] == body["description"] == "renamed"
    assert "name" not in body
    clash = await client.patch("/accessKeys/renamed", json={"friendlyName": "emulator-key-1"})
    assert (clash.status_code, clash.text) == (
        409,
        'The access key "emulator-key-1" already exists.',
    )
    unknown = await client.patch("/accessKeys/nope", json={"friendlyName": "x"})
    assert (unknown.status_code, unknown.text) == (404, 'The access key "nope" does not exist.')
    invalid = await client.patch("/accessKeys/renamed", json={"ttl": -1})
    assert invalid.status_code == 400
    assert invalid.json() == [{"field": "ttl", "message": "Field is invalid"}]

    deleted = await client.delete("/accessKeys/renamed")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert (await client.get("/accessKeys/renamed")).status_code == 404
    again = await client.delete("/accessKeys/renamed")
    assert (again.status_code, again.text) == (404, 'Access key "renamed" does not exist.')


async def test_key_expires_with_the_clock(client: httpx.AsyncClient, clock: ManualClock) -> None:
    secret = (await client.post("/accessKeys", json={"friendlyName": "t", "ttl": 1000})).json()[
        "accessKey"
    ]["name"]
    clock.advance(0.999)
    assert (await client.get("/account", headers=auth(secret))).status_code == 200
    clock.advance(0.001)
    expired = await client.get("/account", headers=auth(secret))
    assert (expired.status_code, expired.text) == (401, MSG_EXPIRED)


async def test_patch_ttl_zero_expires_now(client: httpx.AsyncClient) -> None:
    secret = (await client.post("/accessKeys", json={"friendlyName": "t"})).json()["accessKey"][
        "name"
    ]
    response = await client.patch("/accessKeys/t", json={"ttl": 0})
    assert response.status_code == 200
    assert (await client.get("/account", headers=auth(secret))).text == MSG_EXPIRED


async def test_default_key_ttl_is_sixty_days(
    client: httpx.AsyncClient, clock: ManualClock, key: str
) -> None:
    clock.advance(60 * 24 * 3600 - 1)
    assert (await client.get("/account")).status_code == 200
    clock.advance(1)
    assert (await client.get("/account")).status_code == 401


async def test_sessions(emu: CodePushEmulator, client: httpx.AsyncClient) -> None:
    laptop = emu.create_session(OWNER_EMAIL, "laptop")
    emu.create_session(OWNER_EMAIL, "laptop")
    emu.create_session(OWNER_EMAIL, "desktop")
    assert (await client.get("/authenticated", headers=auth(laptop))).status_code == 200
    sessions = [
        k for k in (await client.get("/accessKeys")).json()["accessKeys"] if "isSession" in k
    ]
    assert [(k["createdBy"], k["isSession"]) for k in sessions] == [
        ("laptop", True),
        ("laptop", True),
        ("desktop", True),
    ]
    assert (await client.delete("/sessions/laptop")).status_code == 204
    remaining = [k["createdBy"] for k in (await client.get("/accessKeys")).json()["accessKeys"]]
    assert "laptop" not in remaining
    assert "desktop" in remaining
    again = await client.delete("/sessions/laptop")
    assert (again.status_code, again.text) == (
        404,
        'There are no sessions associated with "laptop."',
    )
    assert (await client.get("/authenticated", headers=auth(laptop))).status_code == 401


def test_python_api_errors(emu: CodePushEmulator) -> None:
    with pytest.raises(ValueError, match="create_account"):
        emu.create_access_key("nobody@example.com")
    emu.create_account(OWNER_EMAIL)
    second = emu.create_account(OWNER_EMAIL.upper())
    assert second
    with pytest.raises(ValueError, match="already exists"):
        emu.create_access_key(OWNER_EMAIL, friendly_name="emulator-key-1")


def test_unknown_dialect() -> None:
    with pytest.raises(ValueError, match="unsupported emulator dialect 'v2'"):
        CodePushEmulator("v2")


def test_manual_clock() -> None:
    clock = ManualClock(10)
    assert clock.advance(5) == 15
    clock.set(100)
    assert clock() == 100
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)
