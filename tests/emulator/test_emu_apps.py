"""Apps, ownership, collaborators, transfer and deployments."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from codepush_async.emulator import CodePushEmulator

from ._helpers import OTHER_EMAIL, OWNER_EMAIL, OWNER_ONLY, THIRD_EMAIL, auth, create_app, release

pytestmark = pytest.mark.anyio
UNREGISTERED = "The specified e-mail address doesn't represent a registered user"


@pytest.fixture
async def other(emu: CodePushEmulator) -> AsyncIterator[httpx.AsyncClient]:
    key = emu.create_account(OTHER_EMAIL, "Other")
    async with httpx.AsyncClient(
        transport=emu.transport, base_url="http://emulator", headers=auth(key)
    ) as c:
        yield c


async def test_create_app(client: httpx.AsyncClient) -> None:
    response = await create_app(client, "My App", os="iOS", platform="React-Native")
    assert response.headers["location"] == "/apps/My%20App"
    assert response.json() == {
        "app": {
            "name": "My App",
            "collaborators": {OWNER_EMAIL: {"permission": "Owner"}},
            "deployments": ["Production", "Staging"],
        }
    }
    got = await client.get("/apps/My%20App")
    assert got.json()["app"]["collaborators"] == {
        OWNER_EMAIL: {"isCurrentAccount": True, "permission": "Owner"}
    }


async def test_create_app_manual_deployments(client: httpx.AsyncClient) -> None:
    response = await create_app(client, "Manual", manuallyProvisionDeployments=True)
    assert response.json()["app"]["deployments"] is None
    assert (await client.get("/apps/Manual")).json()["app"]["deployments"] == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, '[{"field":"name","message":"Field is required"}]'),
        ({"name": "a:b"}, '[{"field":"name","message":"Field is invalid"}]'),
        ({"name": "a/b"}, '[{"field":"name","message":"Field is invalid"}]'),
        ({"name": ""}, '[{"field":"name","message":"Field is invalid"}]'),
        ({"name": 5}, '[{"field":"name","message":"Field is invalid"}]'),
    ],
)
async def test_create_app_validation(
    client: httpx.AsyncClient, body: dict[str, object], message: str
) -> None:
    response = await client.post("/apps", json=body)
    assert (response.status_code, response.text) == (400, message)
    assert response.headers["content-type"].startswith("text/html")


async def test_app_conflicts_and_not_found(client: httpx.AsyncClient) -> None:
    await create_app(client, "a#b")
    dup = await client.post("/apps", json={"name": "a#b"})
    assert (dup.status_code, dup.text) == (409, "An app named 'a#b' already exists.")
    assert (await client.get("/apps/a%23b")).json()["app"]["name"] == "a#b"
    missing = await client.get("/apps/Nope")
    assert (missing.status_code, missing.text) == (404, 'App "Nope" does not exist.')


async def test_rename_and_delete_app(client: httpx.AsyncClient) -> None:
    await create_app(client, "One")
    await create_app(client, "Two")
    clash = await client.patch("/apps/One", json={"name": "Two"})
    assert (clash.status_code, clash.text) == (409, "An app named 'Two' already exists.")
    bad = await client.patch("/apps/One", json={"name": "x?y"})
    assert bad.status_code == 400
    renamed = await client.patch("/apps/One", json={"name": "Uno"})
    assert renamed.json()["app"]["name"] == "Uno"
    unchanged = await client.patch("/apps/Uno", json={})
    assert unchanged.json()["app"]["name"] == "Uno"
    assert (await client.patch("/apps/One", json={"name": "x"})).status_code == 404
    deleted = await client.delete("/apps/Uno")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert (await client.get("/apps/Uno")).status_code == 404
    names = [a["name"] for a in (await client.get("/apps")).json()["apps"]]
    assert names == ["Two"]


async def test_apps_are_private(client: httpx.AsyncClient, other: httpx.AsyncClient) -> None:
    await create_app(client, "Mine")
    assert (await other.get("/apps")).json() == {"apps": []}
    assert (await other.get("/apps/Mine")).status_code == 404


async def test_collaborators(client: httpx.AsyncClient, other: httpx.AsyncClient) -> None:
    await create_app(client, "Team")
    unknown = await client.post("/apps/Team/collaborators/ghost@example.com")
    assert (unknown.status_code, unknown.text) == (404, UNREGISTERED)
    added = await client.post(f"/apps/Team/collaborators/{OTHER_EMAIL.upper()}")
    assert (added.status_code, added.text) == (201, "Created")
    assert added.headers["content-type"].startswith("text/plain")
    again = await client.post(f"/apps/Team/collaborators/{OTHER_EMAIL}")
    assert (again.status_code, again.text) == (
        409,
        "The given account is already a collaborator for this app.",
    )
    seen_by_other = await other.get("/apps/Team/collaborators")
    assert seen_by_other.json() == {
        "collaborators": {
            OTHER_EMAIL: {"isCurrentAccount": True, "permission": "Collaborator"},
            OWNER_EMAIL: {"permission": "Owner"},
        }
    }
    for call in (
        other.patch("/apps/Team", json={"name": "Mine"}),
        other.delete("/apps/Team"),
        other.post("/apps/Team/deployments", json={"name": "QA"}),
        other.delete("/apps/Team/deployments/Staging"),
        other.delete("/apps/Team/deployments/Staging/history"),
        other.post(f"/apps/Team/collaborators/{THIRD_EMAIL}"),
        other.post(f"/apps/Team/transfer/{OTHER_EMAIL}"),
        other.delete(f"/apps/Team/collaborators/{OWNER_EMAIL}"),
    ):
        response = await call
        assert (response.status_code, response.text) == (403, OWNER_ONLY)
    released = await release(other, "Team", "Staging", b"js", {"appVersion": "1.0.0"})
    assert released.status_code == 201
    assert released.json()["package"]["releasedBy"] == OTHER_EMAIL

    owner_removal = await client.delete(f"/apps/Team/collaborators/{OWNER_EMAIL}")
    assert (owner_removal.status_code, owner_removal.text) == (
        409,
        "Cannot remove the owner of the app from collaborator list.",
    )
    not_member = await client.delete("/apps/Team/collaborators/ghost@example.com")
    assert (not_member.status_code, not_member.text) == (
        404,
        "The given email is not a collaborator for this app.",
    )
    leave = await other.delete(f"/apps/Team/collaborators/{OTHER_EMAIL}")
    assert leave.status_code == 204
    assert (await other.get("/apps/Team")).status_code == 404


async def test_prototype_emails_rejected(client: httpx.AsyncClient) -> None:
    await create_app(client, "App")
    for path in ("/apps/App/collaborators/__proto__", "/apps/App/transfer/constructor"):
        response = await client.post(path)
        assert (response.status_code, response.text) == (400, "Invalid email parameter")


async def test_transfer(
    emu: CodePushEmulator, client: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    await create_app(client, "Gift")
    unknown = await client.post("/apps/Gift/transfer/ghost@example.com")
    assert (unknown.status_code, unknown.text) == (404, UNREGISTERED)
    to_self = await client.post(f"/apps/Gift/transfer/{OWNER_EMAIL}")
    assert (to_self.status_code, to_self.text) == (409, "The given account already owns the app.")
    await create_app(other, "Gift")
    clash = await client.post(f"/apps/Gift/transfer/{OTHER_EMAIL}")
    assert clash.status_code == 409
    assert clash.text == (
        'Cannot transfer ownership. An app with name "Gift" already exists for the given '
        "collaborator."
    )
    await create_app(client, "Box")
    done = await client.post(f"/apps/Box/transfer/{OTHER_EMAIL}")
    assert (done.status_code, done.text) == (201, "Created")
    collaborators = (await other.get("/apps/Box")).json()["app"]["collaborators"]
    assert collaborators == {
        OTHER_EMAIL: {"isCurrentAccount": True, "permission": "Owner"},
        OWNER_EMAIL: {"permission": "Collaborator"},
    }
    assert (await client.delete("/apps/Box")).status_code == 403


async def test_clashing_names_are_owner_qualified(
    client: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    await create_app(client, "Shared")
    await create_app(other, "Shared", manuallyProvisionDeployments=True)
    await client.post(f"/apps/Shared/collaborators/{OTHER_EMAIL}")
    apps = (await other.get("/apps")).json()["apps"]
    assert sorted(a["name"] for a in apps) == ["Shared", f"{OWNER_EMAIL}:Shared"]
    qualified = await other.get("/apps/owner%40example.com%3AShared")
    assert qualified.status_code == 200
    assert qualified.json()["app"]["name"] == f"{OWNER_EMAIL}:Shared"
    assert qualified.json()["app"]["deployments"] == ["Production", "Staging"]
    plain = await other.get("/apps/Shared")
    assert plain.json()["app"]["deployments"] == []
    deployments = await other.get(f"/apps/{OWNER_EMAIL}:Shared/deployments")
    assert [d["name"] for d in deployments.json()["deployments"]] == ["Production", "Staging"]
    assert [a["name"] for a in (await client.get("/apps")).json()["apps"]] == ["Shared"]


async def test_deployments(client: httpx.AsyncClient) -> None:
    await create_app(client, "App")
    missing_name = await client.post("/apps/App/deployments", json={})
    assert (missing_name.status_code, missing_name.text) == (
        400,
        '[{"field":"name","message":"Field is required"}]',
    )
    bad_key = await client.post("/apps/App/deployments", json={"name": "QA", "key": "short"})
    assert bad_key.text == '[{"field":"key","message":"Field is invalid"}]'
    created = await client.post(
        "/apps/App/deployments", json={"name": "Alpha", "key": "custom-deployment-key-1"}
    )
    assert created.status_code == 201
    assert created.headers["location"] == "/apps/App/deployments/Alpha"
    assert created.json() == {"deployment": {"name": "Alpha", "key": "custom-deployment-key-1"}}
    dup = await client.post("/apps/App/deployments", json={"name": "Alpha"})
    assert (dup.status_code, dup.text) == (409, "A deployment named 'Alpha' already exists.")
    listed = (await client.get("/apps/App/deployments")).json()["deployments"]
    assert [d["name"] for d in listed] == ["Alpha", "Production", "Staging"]
    assert all(d["package"] is None and d["key"] and d["id"] for d in listed)
    one = await client.get("/apps/App/deployments/Alpha")
    assert one.json() == {
        "deployment": {"name": "Alpha", "key": "custom-deployment-key-1", "package": None}
    }
    missing = await client.get("/apps/App/deployments/Nope")
    assert (missing.status_code, missing.text) == (404, 'Deployment "Nope" does not exist.')
    clash = await client.patch("/apps/App/deployments/Alpha", json={"name": "Staging"})
    assert (clash.status_code, clash.text) == (409, "A deployment named 'Staging' already exists.")
    renamed = await client.patch("/apps/App/deployments/Alpha", json={"name": "Beta"})
    assert renamed.json()["deployment"]["name"] == "Beta"
    assert (await client.patch("/apps/App/deployments/Alpha", json={})).status_code == 404
    assert (await client.delete("/apps/App/deployments/Beta")).status_code == 204
    app = (await client.get("/apps/App")).json()["app"]
    assert app["deployments"] == ["Production", "Staging"]


async def test_deployment_key_python_api(emu: CodePushEmulator, client: httpx.AsyncClient) -> None:
    await create_app(client, "App")
    listed = (await client.get("/apps/App/deployments/Staging")).json()["deployment"]
    assert emu.deployment_key("App", "Staging") == listed["key"]
    with pytest.raises(ValueError, match="no app"):
        emu.deployment_key("Nope", "Staging")
