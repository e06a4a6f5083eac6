"""The emulator's ``/api/v1`` apps, deployments, collaborators and releases (docs/v1-wire.md),
on the classic dialect's business rules. Every response is checked for rate-limit headers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from codepush_async.emulator import CodePushEmulator, ManualClock, package_hash

from ._helpers import OTHER_EMAIL, OWNER_EMAIL, OWNER_ONLY, THIRD_EMAIL, make_zip
from .test_emu_v1 import API, assert_error, v1_client

pytestmark = pytest.mark.anyio

RELEASE_FIELDS = {
    "label",
    "appVersion",
    "description",
    "isMandatory",
    "isDisabled",
    "rollout",
    "size",
    "uploadTime",
    "packageHash",
    "blobUrl",
    "releaseMethod",
}
START_MS = 1_700_000_000_000


@pytest.fixture
def v1emu(clock: ManualClock) -> CodePushEmulator:
    emu = CodePushEmulator("v1", clock=clock, max_package_size=1024)
    emu.create_account(OTHER_EMAIL)
    emu.create_account(THIRD_EMAIL)
    return emu


@pytest.fixture
async def api(v1emu: CodePushEmulator) -> AsyncIterator[httpx.AsyncClient]:
    async with v1_client(v1emu, v1emu.create_account(OWNER_EMAIL)) as client:
        yield client


@pytest.fixture
async def other(v1emu: CodePushEmulator) -> AsyncIterator[httpx.AsyncClient]:
    async with v1_client(v1emu, v1emu.create_access_key(OTHER_EMAIL)) as client:
        yield client


async def create_app(api: httpx.AsyncClient, name: str = "A", **extra: Any) -> dict[str, Any]:
    response = await api.post(f"{API}/apps", json={"name": name, **extra})
    assert response.status_code == 201, response.text
    return dict(response.json()["app"])


async def share(api: httpx.AsyncClient, app: str = "A", email: str = OTHER_EMAIL) -> None:
    response = await api.post(f"{API}/apps/{app}/collaborators", json={"email": email})
    assert response.status_code == 201, response.text


async def release(
    api: httpx.AsyncClient,
    data: bytes = b"bundle",
    info: dict[str, Any] | str | None = None,
    *,
    app: str = "A",
    deployment: str = "Staging",
) -> httpx.Response:
    info = {"appVersion": "1.0.0"} if info is None else info
    return await api.post(
        f"{API}/apps/{app}/deployments/{deployment}/release",
        files={"package": ("bundle.zip", data, "application/zip")},
        data={"packageInfo": info if isinstance(info, str) else json.dumps(info)},
    )


async def released(api: httpx.AsyncClient, data: bytes, **info: Any) -> dict[str, Any]:
    response = await release(api, data, {"appVersion": "1.0.0", **info})
    assert response.status_code == 201, response.text
    return dict(response.json()["release"])


async def releases(api: httpx.AsyncClient, deployment: str = "Staging") -> list[dict[str, Any]]:
    response = await api.get(f"{API}/apps/A/deployments/{deployment}/releases")
    assert response.status_code == 200, response.text
    return list(response.json()["releases"])


# Apps


async def test_create_and_list_apps(api: httpx.AsyncClient) -> None:
    assert (await api.get(f"{API}/apps")).json() == {"apps": []}
    response = await api.post(f"{API}/apps", json={"name": "MyApp-iOS", "platform": "ios"})
    expected = {
        "name": "MyApp-iOS",
        "platform": "ios",
        "deployments": ["Production", "Staging"],
        "collaborators": [{"email": OWNER_EMAIL, "permission": "Owner"}],
    }
    assert (response.status_code, response.json()) == (201, {"app": expected})
    await create_app(api, "Android")
    listed = (await api.get(f"{API}/apps")).json()["apps"]
    assert [a["name"] for a in listed] == ["Android", "MyApp-iOS"]
    assert listed[0]["platform"] is None
    assert listed[1] == expected


async def test_duplicate_app_conflicts(api: httpx.AsyncClient) -> None:
    await create_app(api)
    response = await api.post(f"{API}/apps", json={"name": "A", "platform": "android"})
    assert_error(response, 409, "Conflict", "An app named 'A' already exists.")


@pytest.mark.parametrize(
    ("body", "parameter", "reason"),
    [
        ({}, "name", "Field is required"),
        ({"platform": "ios"}, "name", "Field is required"),
        ({"name": ""}, "name", "Field is invalid"),
        ({"name": "a/b"}, "name", "Field is invalid"),
        ({"name": "a:b"}, "name", "Field is invalid"),
        ({"name": 7}, "name", "Field is invalid"),
        ({"name": "A", "platform": 3}, "platform", "Field is invalid"),
        ({"name": "A", "platform": ""}, "platform", "Field is invalid"),
    ],
)
async def test_create_app_validation(
    api: httpx.AsyncClient, body: dict[str, Any], parameter: str, reason: str
) -> None:
    response = await api.post(f"{API}/apps", json=body)
    assert_error(response, 400, "InvalidParameter", parameter=parameter, reason=reason)


async def test_members_see_shared_apps_and_owner_qualifies_clashes(
    api: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    await create_app(api, "A", platform="ios")
    await create_app(other, "A", platform="android")
    await share(api)
    listed = {a["name"]: a for a in (await other.get(f"{API}/apps")).json()["apps"]}
    assert {name: a["platform"] for name, a in listed.items()} == {
        "A": "android",
        f"{OWNER_EMAIL}:A": "ios",
    }
    assert listed[f"{OWNER_EMAIL}:A"]["collaborators"] == [
        {"email": OTHER_EMAIL, "permission": "Collaborator"},
        {"email": OWNER_EMAIL, "permission": "Owner"},
    ]
    shared = await other.get(f"{API}/apps/{OWNER_EMAIL}:A/deployments")
    assert shared.status_code == 200


async def test_rename_app(api: httpx.AsyncClient) -> None:
    await create_app(api, "A", platform="ios")
    await create_app(api, "B")
    response = await api.patch(f"{API}/apps/A", json={"name": "Renamed"})
    assert response.status_code == 200
    assert response.json()["app"] == {
        "name": "Renamed",
        "platform": "ios",
        "deployments": ["Production", "Staging"],
        "collaborators": [{"email": OWNER_EMAIL, "permission": "Owner"}],
    }
    assert [a["name"] for a in (await api.get(f"{API}/apps")).json()["apps"]] == ["B", "Renamed"]
    same = await api.patch(f"{API}/apps/B", json={"name": "B"})
    assert (same.status_code, same.json()["app"]["name"]) == (200, "B")


async def test_rename_app_errors(api: httpx.AsyncClient, other: httpx.AsyncClient) -> None:
    await create_app(api, "A")
    await create_app(api, "B")
    await share(api)
    assert_error(
        await api.patch(f"{API}/apps/A", json={"name": "B"}),
        409,
        "Conflict",
        "An app named 'B' already exists.",
    )
    assert_error(
        await api.patch(f"{API}/apps/A", json={}),
        400,
        "InvalidParameter",
        parameter="name",
        reason="Field is required",
    )
    assert_error(
        await api.patch(f"{API}/apps/A", json={"name": "x/y"}),
        400,
        "InvalidParameter",
        parameter="name",
        reason="Field is invalid",
    )
    assert_error(
        await api.patch(f"{API}/apps/Nope", json={"name": "C"}),
        404,
        "NotFound",
        'App "Nope" does not exist.',
    )
    assert_error(
        await other.patch(f"{API}/apps/A", json={"name": "C"}), 403, "Forbidden", OWNER_ONLY
    )


async def test_delete_app(api: httpx.AsyncClient, other: httpx.AsyncClient) -> None:
    await create_app(api, "A")
    await share(api)
    assert_error(await other.delete(f"{API}/apps/A"), 403, "Forbidden", OWNER_ONLY)
    response = await api.delete(f"{API}/apps/A")
    assert (response.status_code, response.content) == (204, b"")
    assert (await api.get(f"{API}/apps")).json() == {"apps": []}
    assert_error(await api.delete(f"{API}/apps/A"), 404, "NotFound", 'App "A" does not exist.')


async def test_strangers_cannot_see_an_app(
    api: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    await create_app(api, "A")
    assert (await other.get(f"{API}/apps")).json() == {"apps": []}
    for response in (
        await other.get(f"{API}/apps/A/deployments"),
        await other.get(f"{API}/apps/A/collaborators"),
        await other.get(f"{API}/apps/A/deployments/Staging/releases"),
    ):
        assert_error(response, 404, "NotFound", 'App "A" does not exist.')


# Deployments


async def test_deployments_list_sorted_with_current_release(
    api: httpx.AsyncClient, v1emu: CodePushEmulator
) -> None:
    await create_app(api)
    created = await api.post(f"{API}/apps/A/deployments", json={"name": "beta"})
    assert created.status_code == 201
    key = created.json()["deployment"]["key"]
    assert created.json() == {"deployment": {"name": "beta", "key": key, "package": None}}
    current = await released(api, b"one")
    response = await api.get(f"{API}/apps/A/deployments")
    assert response.status_code == 200
    assert response.json() == {
        "deployments": [
            {"name": "beta", "key": key, "package": None},
            {
                "name": "Production",
                "key": v1emu.deployment_key("A", "Production"),
                "package": None,
            },
            {"name": "Staging", "key": v1emu.deployment_key("A", "Staging"), "package": current},
        ]
    }


async def test_deployment_errors(api: httpx.AsyncClient, other: httpx.AsyncClient) -> None:
    await create_app(api)
    await share(api)
    assert_error(
        await api.post(f"{API}/apps/A/deployments", json={"name": "Staging"}),
        409,
        "Conflict",
        "A deployment named 'Staging' already exists.",
    )
    assert_error(
        await api.post(f"{API}/apps/A/deployments", json={}),
        400,
        "InvalidParameter",
        parameter="name",
        reason="Field is required",
    )
    assert_error(
        await api.post(f"{API}/apps/Nope/deployments", json={"name": "QA"}),
        404,
        "NotFound",
        'App "Nope" does not exist.',
    )
    assert_error(
        await other.post(f"{API}/apps/A/deployments", json={"name": "QA"}),
        403,
        "Forbidden",
        OWNER_ONLY,
    )
    assert (await other.get(f"{API}/apps/A/deployments")).status_code == 200


async def test_rename_deployment(api: httpx.AsyncClient, other: httpx.AsyncClient) -> None:
    await create_app(api)
    await share(api)
    response = await api.patch(f"{API}/apps/A/deployments/Staging", json={"name": "QA"})
    assert response.status_code == 200
    assert response.json()["deployment"]["name"] == "QA"
    assert response.json()["deployment"]["package"] is None
    assert_error(
        await api.patch(f"{API}/apps/A/deployments/QA", json={"name": "Production"}),
        409,
        "Conflict",
        "A deployment named 'Production' already exists.",
    )
    assert_error(
        await api.patch(f"{API}/apps/A/deployments/Staging", json={"name": "X"}),
        404,
        "NotFound",
        'Deployment "Staging" does not exist.',
    )
    assert_error(
        await api.patch(f"{API}/apps/A/deployments/QA", json={"name": "a?b"}),
        400,
        "InvalidParameter",
        parameter="name",
    )
    assert_error(
        await other.patch(f"{API}/apps/A/deployments/QA", json={"name": "Y"}),
        403,
        "Forbidden",
        OWNER_ONLY,
    )


async def test_delete_deployment(api: httpx.AsyncClient, other: httpx.AsyncClient) -> None:
    await create_app(api)
    await share(api)
    assert_error(await other.delete(f"{API}/apps/A/deployments/Staging"), 403, "Forbidden")
    response = await api.delete(f"{API}/apps/A/deployments/Staging")
    assert (response.status_code, response.content) == (204, b"")
    names = [d["name"] for d in (await api.get(f"{API}/apps/A/deployments")).json()["deployments"]]
    assert names == ["Production"]
    assert_error(
        await api.delete(f"{API}/apps/A/deployments/Staging"),
        404,
        "NotFound",
        'Deployment "Staging" does not exist.',
    )


# Collaborators


async def test_collaborators_add_list_remove(
    api: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    await create_app(api)
    owner_only = [{"email": OWNER_EMAIL, "permission": "Owner"}]
    assert (await api.get(f"{API}/apps/A/collaborators")).json() == {"collaborators": owner_only}
    added = await api.post(
        f"{API}/apps/A/collaborators", json={"email": OTHER_EMAIL, "permission": "Collaborator"}
    )
    assert (added.status_code, added.json()) == (
        201,
        {"collaborator": {"email": OTHER_EMAIL, "permission": "Collaborator"}},
    )
    members = {
        "collaborators": [
            {"email": OTHER_EMAIL, "permission": "Collaborator"},
            {"email": OWNER_EMAIL, "permission": "Owner"},
        ]
    }
    assert (await api.get(f"{API}/apps/A/collaborators")).json() == members
    assert (await other.get(f"{API}/apps/A/collaborators")).json() == members
    removed = await api.delete(f"{API}/apps/A/collaborators/{OTHER_EMAIL}")
    assert (removed.status_code, removed.content) == (204, b"")
    assert (await api.get(f"{API}/apps/A/collaborators")).json() == {"collaborators": owner_only}
    assert_error(await other.get(f"{API}/apps/A/collaborators"), 404, "NotFound")


async def test_add_collaborator_uses_the_registered_address(api: httpx.AsyncClient) -> None:
    await create_app(api)
    added = await api.post(f"{API}/apps/A/collaborators", json={"email": OTHER_EMAIL.upper()})
    assert added.json()["collaborator"]["email"] == OTHER_EMAIL


async def test_add_collaborator_errors(api: httpx.AsyncClient, other: httpx.AsyncClient) -> None:
    await create_app(api)
    await share(api)
    assert_error(
        await api.post(f"{API}/apps/A/collaborators", json={"email": "nobody@example.com"}),
        404,
        "NotFound",
        "The specified e-mail address doesn't represent a registered user",
    )
    assert_error(
        await api.post(f"{API}/apps/A/collaborators", json={"email": OTHER_EMAIL}),
        409,
        "Conflict",
        "The given account is already a collaborator for this app.",
    )
    assert_error(
        await other.post(f"{API}/apps/A/collaborators", json={"email": THIRD_EMAIL}),
        403,
        "Forbidden",
        OWNER_ONLY,
    )
    assert_error(
        await api.post(f"{API}/apps/Nope/collaborators", json={"email": THIRD_EMAIL}),
        404,
        "NotFound",
        'App "Nope" does not exist.',
    )


@pytest.mark.parametrize(
    ("body", "parameter", "reason"),
    [
        ({}, "email", "Field is required"),
        ({"email": ""}, "email", "Field is invalid"),
        ({"email": ["a@b.c"]}, "email", "Field is invalid"),
        ({"email": THIRD_EMAIL, "permission": "Owner"}, "permission", "Field is invalid"),
        ({"email": THIRD_EMAIL, "permission": "admin"}, "permission", "Field is invalid"),
    ],
)
async def test_add_collaborator_validation(
    api: httpx.AsyncClient, body: dict[str, Any], parameter: str, reason: str
) -> None:
    await create_app(api)
    response = await api.post(f"{API}/apps/A/collaborators", json=body)
    assert_error(response, 400, "InvalidParameter", parameter=parameter, reason=reason)


async def test_remove_collaborator_rules(
    v1emu: CodePushEmulator, api: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    await create_app(api)
    await share(api, email=OTHER_EMAIL)
    await share(api, email=THIRD_EMAIL)
    assert_error(
        await api.delete(f"{API}/apps/A/collaborators/nobody@example.com"),
        404,
        "NotFound",
        "The given email is not a collaborator for this app.",
    )
    assert_error(
        await api.delete(f"{API}/apps/A/collaborators/{OWNER_EMAIL}"),
        409,
        "Conflict",
        "Cannot remove the owner of the app from collaborator list.",
    )
    assert_error(
        await other.delete(f"{API}/apps/A/collaborators/{THIRD_EMAIL}"),
        403,
        "Forbidden",
        OWNER_ONLY,
    )
    leaving = await other.delete(f"{API}/apps/A/collaborators/{OTHER_EMAIL}")
    assert leaving.status_code == 204
    emails = [
        c["email"] for c in (await api.get(f"{API}/apps/A/collaborators")).json()["collaborators"]
    ]
    assert emails == [OWNER_EMAIL, THIRD_EMAIL]


# Releases


async def test_release_answer(
    api: httpx.AsyncClient, v1emu: CodePushEmulator, clock: ManualClock
) -> None:
    await create_app(api)
    clock.advance(2)
    data = make_zip({"index.js": b"console.log(1)", "assets/a.png": b"\x89PNG"})
    response = await release(
        api,
        data,
        {"appVersion": "1.0.x", "description": "first", "isMandatory": True, "rollout": 25},
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"release"}
    answer = body["release"]
    assert set(answer) == RELEASE_FIELDS
    blob_url = answer.pop("blobUrl")
    assert answer == {
        "label": "v1",
        "appVersion": "1.0.x",
        "description": "first",
        "isMandatory": True,
        "isDisabled": False,
        "rollout": 25,
        "size": len(data),
        "uploadTime": START_MS + 2000,
        "packageHash": package_hash(data),
        "releaseMethod": "Upload",
    }
    async with httpx.AsyncClient(transport=v1emu.transport) as raw:
        download = await raw.get(blob_url)
    assert (download.status_code, download.content) == (200, data)


async def test_release_defaults(api: httpx.AsyncClient) -> None:
    await create_app(api)
    answer = await released(api, b"plain")
    assert {k: answer[k] for k in ("description", "isMandatory", "isDisabled", "rollout")} == {
        "description": None,
        "isMandatory": False,
        "isDisabled": False,
        "rollout": 100,
    }


async def test_identical_release_conflicts(api: httpx.AsyncClient) -> None:
    await create_app(api)
    await released(api, b"same")
    identical = await release(api, b"same", {"appVersion": "1.0.0"})
    assert_error(
        identical,
        409,
        "Conflict",
        "The uploaded package was not released because it is identical to the contents of the "
        "specified deployment's current release.",
    )
    other_version = await release(api, b"same", {"appVersion": "2.0.0"})
    assert other_version.status_code == 201
    assert [r["label"] for r in await releases(api)] == ["v1", "v2"]


async def test_identical_zip_content_conflicts_whatever_the_archive(
    api: httpx.AsyncClient,
) -> None:
    await create_app(api)
    await released(api, make_zip({"a.js": b"1", "b.js": b"2"}))
    reordered = make_zip({"b.js": b"2", "a.js": b"1"})
    assert_error(await release(api, reordered), 409, "Conflict")


async def test_unfinished_rollout_blocks_the_next_release(api: httpx.AsyncClient) -> None:
    await create_app(api)
    await released(api, b"one", rollout=50)
    assert_error(
        await release(api, b"two"),
        409,
        "Conflict",
        "Please update the previous release to 100% rollout before releasing a new package.",
    )
    patched = await api.patch(
        f"{API}/apps/A/deployments/Staging/releases/v1", json={"rollout": 100}
    )
    assert patched.json()["release"]["rollout"] == 100
    assert (await release(api, b"two")).status_code == 201


async def test_disabled_rollout_does_not_block(api: httpx.AsyncClient) -> None:
    await create_app(api)
    await released(api, b"one", rollout=50, isDisabled=True)
    second = await released(api, b"two")
    assert second["label"] == "v2"
    history = await releases(api)
    assert [(r["label"], r["rollout"], r["isDisabled"]) for r in history] == [
        ("v1", 100, True),  # a superseded release's rollout is cleared, as on the classic server
        ("v2", 100, False),
    ]


@pytest.mark.parametrize(
    ("info", "parameter", "reason"),
    [
        ({}, "appVersion", "Field is required"),
        ({"appVersion": "abc"}, "appVersion", "Field is invalid"),
        ({"appVersion": "1.0.0", "rollout": 0}, "rollout", "Field is invalid"),
        ({"appVersion": "1.0.0", "rollout": 101}, "rollout", "Field is invalid"),
        ({"appVersion": "1.0.0", "isMandatory": "yes"}, "isMandatory", "Field is invalid"),
        ({"appVersion": "1.0.0", "isDisabled": 1}, "isDisabled", "Field is invalid"),
        ({"appVersion": "1.0.0", "description": 5}, "description", "Field is invalid"),
        ("not json", "packageInfo", "Field must be a JSON object"),
        ("[1]", "packageInfo", "Field must be a JSON object"),
    ],
)
async def test_release_validation(
    api: httpx.AsyncClient, info: dict[str, Any] | str, parameter: str, reason: str
) -> None:
    await create_app(api)
    response = await release(api, b"x", info)
    assert_error(response, 400, "InvalidParameter", parameter=parameter, reason=reason)


async def test_release_needs_a_package_and_its_info(api: httpx.AsyncClient) -> None:
    await create_app(api)
    url = f"{API}/apps/A/deployments/Staging/release"
    no_file = await api.post(url, data={"packageInfo": '{"appVersion": "1.0.0"}'})
    wrong_field = await api.post(
        url, files={"bundle": ("b.js", b"x")}, data={"packageInfo": '{"appVersion": "1.0.0"}'}
    )
    as_json = await api.post(url, json={"appVersion": "1.0.0"})
    no_info = await api.post(url, files={"package": ("b.js", b"x")})
    for response in (no_file, wrong_field, as_json):
        assert_error(
            response,
            400,
            "InvalidParameter",
            parameter="package",
            reason="A deployment package must include a file.",
        )
    assert_error(
        no_info, 400, "InvalidParameter", parameter="packageInfo", reason="Field is required"
    )


async def test_release_too_large_is_413(api: httpx.AsyncClient) -> None:
    await create_app(api)
    assert_error(
        await release(api, b"x" * 1025),
        413,
        "PayloadTooLarge",
        "The uploaded file is larger than the size limit of 0.000976562 megabytes.",
    )


async def test_release_lookup_errors(api: httpx.AsyncClient) -> None:
    await create_app(api)
    assert_error(await release(api, app="Nope"), 404, "NotFound", 'App "Nope" does not exist.')
    assert_error(
        await release(api, deployment="Nope"),
        404,
        "NotFound",
        'Deployment "Nope" does not exist.',
    )
    assert_error(
        await api.get(f"{API}/apps/A/deployments/Nope/releases"),
        404,
        "NotFound",
        'Deployment "Nope" does not exist.',
    )


async def test_collaborators_may_release(api: httpx.AsyncClient, other: httpx.AsyncClient) -> None:
    await create_app(api)
    await share(api)
    assert (await release(other, b"by other")).status_code == 201
    assert [r["label"] for r in await releases(other)] == ["v1"]


async def test_releases_oldest_first_with_metrics(
    api: httpx.AsyncClient, v1emu: CodePushEmulator, clock: ManualClock
) -> None:
    await create_app(api)
    for number in range(3):
        clock.advance(1)
        await released(api, f"bundle {number}".encode(), description=f"r{number}")
    v1emu.record_metrics("A", "Staging", "v1", active=5, downloaded=7, installed=6, failed=1)
    v1emu.record_metrics("A", "Staging", "v1", active=-2)
    v1emu.record_metrics("A", "Staging", "v3", downloaded=1)
    v1emu.record_metrics("A", "Staging", "1.0.0", active=9)  # app-version counters stay out
    history = await releases(api)
    assert [(r["label"], r["description"], r["uploadTime"]) for r in history] == [
        ("v1", "r0", START_MS + 1000),
        ("v2", "r1", START_MS + 2000),
        ("v3", "r2", START_MS + 3000),
    ]
    assert all(set(r) == {*RELEASE_FIELDS, "metrics"} for r in history)
    assert [r["metrics"] for r in history] == [
        {"totalActive": 3, "downloaded": 7, "installed": 6, "failed": 1},
        {"totalActive": 0, "downloaded": 0, "installed": 0, "failed": 0},
        {"totalActive": 0, "downloaded": 1, "installed": 0, "failed": 0},
    ]
    assert await releases(api, "Production") == []


# Patch by label


async def test_patch_release_fields(api: httpx.AsyncClient) -> None:
    await create_app(api)
    first = await released(api, b"one", description="old")
    await released(api, b"two")
    response = await api.patch(
        f"{API}/apps/A/deployments/Staging/releases/v1",
        json={
            "isMandatory": True,
            "isDisabled": True,
            "description": "new",
            "appVersion": "1.x",
            "label": "v2",  # the path names the release; a body label is ignored
        },
    )
    assert response.status_code == 200
    assert response.json() == {
        "release": {
            **first,
            "isMandatory": True,
            "isDisabled": True,
            "description": "new",
            "appVersion": "1.x",
        }
    }
    history = await releases(api)
    assert history[0]["description"] == "new"
    assert history[1]["description"] is None


async def test_patch_rollout_rules(api: httpx.AsyncClient) -> None:
    await create_app(api)
    await released(api, b"one", rollout=20)
    url = f"{API}/apps/A/deployments/Staging/releases/v1"
    raised = await api.patch(url, json={"rollout": 60})
    assert (raised.status_code, raised.json()["release"]["rollout"]) == (200, 60)
    assert_error(
        await api.patch(url, json={"rollout": 60}),
        409,
        "Conflict",
        'Rollout value must be greater than "60", the existing value.',
    )
    assert_error(await api.patch(url, json={"rollout": 30}), 409, "Conflict")
    done = await api.patch(url, json={"rollout": 100})
    assert done.json()["release"]["rollout"] == 100
    assert_error(
        await api.patch(url, json={"rollout": 100}),
        409,
        "Conflict",
        "Cannot update rollout value for a completed rollout release.",
    )


async def test_patch_without_changes_answers_the_release(api: httpx.AsyncClient) -> None:
    await create_app(api)
    current = await released(api, b"one", description="same")
    url = f"{API}/apps/A/deployments/Staging/releases/v1"
    for body in ({}, {"description": "same", "isMandatory": False}):
        response = await api.patch(url, json=body)
        assert (response.status_code, response.json()) == (200, {"release": current})


async def test_patch_errors(api: httpx.AsyncClient, other: httpx.AsyncClient) -> None:
    await create_app(api)
    base = f"{API}/apps/A/deployments/Staging/releases"
    assert_error(
        await api.patch(f"{base}/v1", json={"isMandatory": True}),
        404,
        "NotFound",
        "Deployment has no releases.",
    )
    await released(api, b"one")
    assert_error(
        await api.patch(f"{base}/v9", json={"isMandatory": True}),
        404,
        "NotFound",
        "Release not found for given label.",
    )
    assert_error(
        await api.patch(f"{base}/latest", json={"isMandatory": True}),
        404,
        "NotFound",
        "Release not found for given label.",
    )
    for body, parameter in (
        ({"rollout": 0}, "rollout"),
        ({"rollout": "fifty"}, "rollout"),
        ({"appVersion": "nope"}, "appVersion"),
        ({"isDisabled": "no"}, "isDisabled"),
    ):
        response = await api.patch(f"{base}/v1", json=body)
        assert_error(response, 400, "InvalidParameter", parameter=parameter)
    assert_error(
        await api.patch(f"{API}/apps/A/deployments/Nope/releases/v1", json={}),
        404,
        "NotFound",
        'Deployment "Nope" does not exist.',
    )
    assert_error(
        await other.patch(f"{base}/v1", json={"isMandatory": True}),
        404,
        "NotFound",
        'App "A" does not exist.',
    )


async def test_collaborators_may_patch(api: httpx.AsyncClient, other: httpx.AsyncClient) -> None:
    await create_app(api)
    await share(api)
    await released(api, b"one")
    response = await other.patch(
        f"{API}/apps/{OWNER_EMAIL}:A/deployments/Staging/releases/v1", json={"isMandatory": True}
    )
    assert (response.status_code, response.json()["release"]["isMandatory"]) == (200, True)


async def test_blob_route_is_public_and_unlimited(
    api: httpx.AsyncClient, v1emu: CodePushEmulator
) -> None:
    await create_app(api)
    blob_url = (await released(api, b"payload"))["blobUrl"]
    async with httpx.AsyncClient(transport=v1emu.transport) as raw:
        download = await raw.get(blob_url)
        missing = await raw.get("http://emulator/blobs/nothing-here")
    assert (download.status_code, download.content) == (200, b"payload")
    assert "x-ratelimit-limit" not in download.headers
    assert_error(missing, 404, "NotFound", "Blob not found.")
