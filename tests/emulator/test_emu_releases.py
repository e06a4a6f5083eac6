"""Release, patch, promote, rollback, history, metrics and package downloads."""

from __future__ import annotations

import hashlib
import json
import zipfile
from typing import Any

import httpx
import pytest

from codepush_async.emulator import CodePushEmulator, ManualClock

from ._helpers import (
    OTHER_EMAIL,
    OWNER_EMAIL,
    OWNER_ONLY,
    auth,
    create_app,
    expected_zip_hash,
    make_zip,
    release,
)

pytestmark = pytest.mark.anyio
NO_FILE = "A deployment package must include a file."
FINISH_ROLLOUT = (
    "Please update the previous release to 100% rollout before releasing a new package."
)
IDENTICAL = (
    "The uploaded package was not released because it is identical to the contents of the "
    "specified deployment's current release."
)
IDENTICAL_PROMOTE = (
    "The uploaded package was not promoted because it is identical to the contents of the "
    "targeted deployment's current release."
)
V1 = {"appVersion": "1.0.0"}


@pytest.fixture
async def app(client: httpx.AsyncClient) -> str:
    await create_app(client, "App")
    return "App"


async def history(client: httpx.AsyncClient, deployment: str = "Staging") -> list[Any]:
    response = await client.get(f"/apps/App/deployments/{deployment}/history")
    assert response.status_code == 200
    result: list[Any] = response.json()["history"]
    return result


async def test_release_success(app: str, client: httpx.AsyncClient, clock: ManualClock) -> None:
    files = {"main.jsbundle": b"console.log(1)", "assets/logo.png": b"\x89PNG"}
    data = make_zip(files)
    response = await release(
        client, app, "Staging", data, {"appVersion": "1.0.0", "description": "first"}
    )
    assert response.status_code == 201
    assert response.headers["location"] == "/apps/App/deployments/Staging"
    pkg = response.json()["package"]
    assert pkg["label"] == "v1"
    assert pkg["appVersion"] == "1.0.0"
    assert pkg["description"] == "first"
    assert pkg["releaseMethod"] == "Upload"
    assert pkg["releasedBy"] == OWNER_EMAIL
    assert pkg["rollout"] == 100
    assert pkg["size"] == len(data)
    assert pkg["uploadTime"] == int(clock() * 1000)
    assert pkg["packageHash"] == expected_zip_hash(files)
    assert "isMandatory" not in pkg
    assert "isDisabled" not in pkg
    assert "manifestBlobUrl" not in pkg
    assert pkg["blobUrl"].startswith("http://emulator/blobs/")
    download = await client.get(pkg["blobUrl"], headers={"Authorization": ""})
    assert (download.status_code, download.content) == (200, data)
    entry = (await history(client))[0]
    assert entry["manifestBlobUrl"].startswith("http://emulator/blobs/")
    manifest = (await client.get(entry["manifestBlobUrl"])).json()
    assert manifest == {name: hashlib.sha256(body).hexdigest() for name, body in files.items()}
    deployment = (await client.get("/apps/App/deployments/Staging")).json()["deployment"]
    assert deployment["package"]["label"] == "v1"
    assert "manifestBlobUrl" not in deployment["package"]
    assert "rollout" not in deployment["package"]


async def test_plain_file_hash(app: str, client: httpx.AsyncClient) -> None:
    data = b"not a zip at all"
    pkg = (await release(client, app, "Staging", data, V1, filename="index.js")).json()["package"]
    assert pkg["packageHash"] == hashlib.sha256(data).hexdigest()
    assert "manifestBlobUrl" not in (await history(client))[0]


async def test_missing_file(app: str, client: httpx.AsyncClient) -> None:
    no_multipart = await client.post("/apps/App/deployments/Staging/release", json=V1)
    assert (no_multipart.status_code, no_multipart.text) == (400, NO_FILE)
    wrong_field = await release(client, app, "Staging", b"x", V1, field="file")
    assert (wrong_field.status_code, wrong_field.text) == (400, NO_FILE)
    text_only = await client.post(
        "/apps/App/deployments/Staging/release",
        files={"packageInfo": (None, json.dumps(V1))},
    )
    assert (text_only.status_code, text_only.text) == (400, NO_FILE)
    broken = await client.post(
        "/apps/App/deployments/Staging/release",
        content=b"garbage",
        headers={"Content-Type": "multipart/form-data; boundary=xyz"},
    )
    assert (broken.status_code, broken.text) == (400, NO_FILE)


@pytest.mark.parametrize(
    ("info", "errors"),
    [
        (None, [("appVersion", "required")]),
        ("{not json", [("appVersion", "required")]),
        ('"1.0.0"', [("appVersion", "required")]),
        ({"appVersion": "abc"}, [("appVersion", "invalid")]),
        ({"appVersion": 1}, [("appVersion", "invalid")]),
        ({"appVersion": "1.0.0", "rollout": 0}, [("rollout", "invalid")]),
        ({"appVersion": "1.0.0", "rollout": 101}, [("rollout", "invalid")]),
        ({"appVersion": "1.0.0", "rollout": 50.5}, [("rollout", "invalid")]),
        ({"appVersion": "1.0.0", "isMandatory": "yes"}, [("isMandatory", "invalid")]),
        ({"appVersion": "1.0.0", "label": "1"}, [("label", "invalid")]),
        (
            {"description": 5, "isDisabled": 1, "rollout": "x"},
            [
                ("appVersion", "required"),
                ("description", "invalid"),
                ("isDisabled", "invalid"),
                ("rollout", "invalid"),
            ],
        ),
    ],
)
async def test_release_validation(
    app: str, client: httpx.AsyncClient, info: Any, errors: list[tuple[str, str]]
) -> None:
    response = await release(client, app, "Staging", b"x", info)
    expected = [{"field": f, "message": f"Field is {m}"} for f, m in errors]
    assert response.status_code == 400
    assert json.loads(response.text) == expected
    assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    "version",
    [
        "*",
        "1.2.3",
        "1.2",
        "1.2.*",
        "x",
        "~1.2.3",
        "^1.2.3",
        "1.2.3 - 1.4.0",
        ">=1.2.3 <2.0.0",
        "1.0.0 || 2.0.0",
        "v1.2.3",
    ],
)
async def test_accepted_app_versions(app: str, client: httpx.AsyncClient, version: str) -> None:
    response = await release(client, app, "Staging", b"x", {"appVersion": version, "rollout": "7"})
    assert response.status_code == 201, response.text
    assert response.json()["package"]["appVersion"] == version
    assert response.json()["package"]["rollout"] == 7


async def test_unknown_app_or_deployment(app: str, client: httpx.AsyncClient) -> None:
    no_app = await release(client, "Nope", "Staging", b"x", V1)
    assert (no_app.status_code, no_app.text) == (404, 'App "Nope" does not exist.')
    no_dep = await release(client, app, "Nope", b"x", V1)
    assert (no_dep.status_code, no_dep.text) == (404, 'Deployment "Nope" does not exist.')


async def test_identical_release_rule(app: str, client: httpx.AsyncClient) -> None:
    files = {"a.js": b"1", "b.js": b"2"}
    assert (await release(client, app, "Staging", make_zip(files), V1)).status_code == 201
    reordered = make_zip(dict(reversed(files.items())), compression=zipfile.ZIP_STORED)
    same = await release(client, app, "Staging", reordered, V1)
    assert (same.status_code, same.text) == (409, IDENTICAL)
    other_version = await release(client, app, "Staging", reordered, {"appVersion": "2.0.0"})
    assert other_version.status_code == 201
    covered = await release(client, app, "Staging", reordered, {"appVersion": "1.0.0"})
    assert covered.status_code == 409
    as_range = await release(client, app, "Staging", make_zip(files), {"appVersion": "1.0.x"})
    assert as_range.status_code == 201
    same_range = await release(client, app, "Staging", make_zip(files), {"appVersion": "1.0"})
    assert same_range.status_code == 409


async def test_ignored_zip_entries(app: str, client: httpx.AsyncClient) -> None:
    files = {"a.js": b"1"}
    noisy = make_zip({**files, "__MACOSX/._a.js": b"junk", ".DS_Store": b"x", "d/.DS_Store": b"y"})
    pkg = (await release(client, app, "Staging", noisy, V1)).json()["package"]
    assert pkg["packageHash"] == expected_zip_hash(files)


async def test_rollout_rules(app: str, client: httpx.AsyncClient) -> None:
    first = await release(client, app, "Staging", b"1", {"appVersion": "1.0.0", "rollout": 25})
    assert first.json()["package"]["rollout"] == 25
    blocked = await release(client, app, "Staging", b"2", V1)
    assert (blocked.status_code, blocked.text) == (409, FINISH_ROLLOUT)
    url = "/apps/App/deployments/Staging/release"
    lower = await client.patch(url, json={"packageInfo": {"rollout": 25}})
    assert (lower.status_code, lower.text) == (
        409,
        'Rollout value must be greater than "25", the existing value.',
    )
    raised = await client.patch(url, json={"packageInfo": {"rollout": 60}})
    assert raised.json()["package"]["rollout"] == 60
    disabled = await client.patch(url, json={"packageInfo": {"isDisabled": True}})
    assert disabled.json()["package"]["isDisabled"] is True
    allowed = await release(client, app, "Staging", b"2", V1)
    assert allowed.status_code == 201
    entries = await history(client)
    assert [e["label"] for e in entries] == ["v1", "v2"]
    assert entries[0]["rollout"] is None
    assert "rollout" not in entries[1]


async def test_patch_release(app: str, client: httpx.AsyncClient) -> None:
    url = "/apps/App/deployments/Staging/release"
    none = await client.patch(url, json={"packageInfo": {"description": "x"}})
    assert (none.status_code, none.text) == (404, "Deployment has no releases.")
    await release(client, app, "Staging", b"1", {"appVersion": "1.0.0", "rollout": 50})
    await client.patch(url, json={"packageInfo": {"rollout": 100}})
    assert (await history(client))[0]["rollout"] is None
    await release(client, app, "Staging", b"2", {"appVersion": "1.0.0", "isMandatory": True})
    unknown = await client.patch(url, json={"packageInfo": {"label": "v9", "description": "x"}})
    assert (unknown.status_code, unknown.text) == (404, "Release not found for given label.")
    unchanged = await client.patch(url, json={"packageInfo": {"isMandatory": True}})
    assert (unchanged.status_code, unchanged.content) == (204, b"")
    empty = await client.patch(url, json={})
    assert empty.status_code == 204
    completed = await client.patch(url, json={"packageInfo": {"rollout": 80}})
    assert (completed.status_code, completed.text) == (
        409,
        "Cannot update rollout value for a completed rollout release.",
    )
    by_label = await client.patch(
        url, json={"packageInfo": {"label": "v1", "description": "old", "appVersion": "1.0.x"}}
    )
    assert by_label.status_code == 200
    body = by_label.json()["package"]
    assert (body["label"], body["description"], body["appVersion"]) == ("v1", "old", "1.0.x")
    assert body["rollout"] == 100
    bad = await client.patch(url, json={"packageInfo": {"rollout": "abc"}})
    assert (bad.status_code, bad.text) == (
        400,
        '[{"field":"rollout","message":"Field is invalid"}]',
    )
    entries = await history(client)
    assert entries[0]["description"] == "old"
    assert entries[1]["isMandatory"] is True


async def test_clear_history_restarts_labels(
    emu: CodePushEmulator, app: str, client: httpx.AsyncClient
) -> None:
    await release(client, app, "Staging", b"1", V1)
    await release(client, app, "Staging", b"2", V1)
    emu.record_metrics("App", "Staging", "v2", installed=3)
    cleared = await client.delete("/apps/App/deployments/Staging/history")
    assert (cleared.status_code, cleared.content) == (204, b"")
    assert await history(client) == []
    assert (await client.get("/apps/App/deployments/Staging/metrics")).json() == {"metrics": {}}
    deployment = (await client.get("/apps/App/deployments/Staging")).json()["deployment"]
    assert deployment["package"] is None
    again = await release(client, app, "Staging", b"1", V1)
    assert again.json()["package"]["label"] == "v1"


async def test_collaborator_cannot_clear_history(
    emu: CodePushEmulator, app: str, client: httpx.AsyncClient
) -> None:
    other_key = emu.create_account(OTHER_EMAIL)
    await client.post(f"/apps/App/collaborators/{OTHER_EMAIL}")
    response = await client.delete("/apps/App/deployments/Staging/history", headers=auth(other_key))
    assert (response.status_code, response.text) == (403, OWNER_ONLY)


async def test_promote(app: str, client: httpx.AsyncClient, clock: ManualClock) -> None:
    url = "/apps/App/deployments/Staging/promote/Production"
    empty = await client.post(url)
    assert (empty.status_code, empty.text) == (
        404,
        "Cannot promote from a deployment with no enabled releases.",
    )
    data = make_zip({"a.js": b"1"})
    await release(client, app, "Staging", data, {"appVersion": "1.0.0", "description": "d"})
    clock.advance(5)
    promoted = await client.post(url)
    assert promoted.status_code == 201
    assert promoted.headers["location"] == "/apps/App/deployments/Production"
    pkg = promoted.json()["package"]
    source = (await history(client))[0]
    assert pkg["label"] == "v1"
    assert pkg["releaseMethod"] == "Promote"
    assert pkg["originalLabel"] == "v1"
    assert pkg["originalDeployment"] == "Staging"
    assert pkg["description"] == "d"
    assert pkg["rollout"] == 100
    assert pkg["releasedBy"] == OWNER_EMAIL
    assert pkg["packageHash"] == source["packageHash"]
    assert pkg["blobUrl"] == source["blobUrl"]
    assert pkg["uploadTime"] == source["uploadTime"] + 5000
    assert (await history(client, "Production"))[0]["rollout"] is None
    again = await client.post(url)
    assert (again.status_code, again.text) == (409, IDENTICAL_PROMOTE)


async def test_promote_overrides_label_and_rollout_rule(
    app: str, client: httpx.AsyncClient
) -> None:
    await release(client, app, "Staging", b"1", V1)
    await release(client, app, "Staging", b"2", V1)
    url = "/apps/App/deployments/Staging/promote/Production"
    info = {"label": "v1", "appVersion": "1.0.1", "description": "o", "rollout": 10}
    first = await client.post(url, json={"packageInfo": {**info, "isMandatory": True}})
    pkg = first.json()["package"]
    assert (pkg["originalLabel"], pkg["appVersion"], pkg["description"]) == ("v1", "1.0.1", "o")
    assert (pkg["rollout"], pkg["isMandatory"]) == (10, True)
    blocked = await client.post(url)
    assert (blocked.status_code, blocked.text) == (
        409,
        "Cannot promote to an unfinished rollout release unless it is already disabled.",
    )
    missing = await client.post(url, json={"packageInfo": {"label": "v7"}})
    assert missing.status_code == 404
    invalid = await client.post(url, json={"packageInfo": {"rollout": 0}})
    assert invalid.status_code == 400
    no_dest = await client.post("/apps/App/deployments/Staging/promote/Nope")
    assert (no_dest.status_code, no_dest.text) == (404, 'Deployment "Nope" does not exist.')


async def test_rollback(app: str, client: httpx.AsyncClient) -> None:
    url = "/apps/App/deployments/Staging/rollback"
    none = await client.post(url)
    assert (none.status_code, none.text) == (
        404,
        "Cannot perform rollback because there are no releases on this deployment.",
    )
    await release(client, app, "Staging", b"1", {**V1, "description": "one", "isMandatory": True})
    single = await client.post(url)
    assert (single.status_code, single.text) == (
        404,
        "Cannot perform rollback because there are no prior releases to rollback to.",
    )
    await release(client, app, "Staging", b"2", V1)
    rolled = await client.post(url)
    assert rolled.status_code == 201
    assert rolled.headers["location"] == "/apps/App/deployments/Staging"
    pkg = rolled.json()["package"]
    assert "label" not in pkg
    assert "releasedBy" not in pkg
    assert pkg["releaseMethod"] == "Rollback"
    assert pkg["originalLabel"] == "v1"
    assert pkg["rollout"] == 100
    assert (pkg["description"], pkg["isMandatory"]) == ("one", True)
    entries = await history(client)
    assert [e["label"] for e in entries] == ["v1", "v2", "v3"]
    assert entries[2]["packageHash"] == entries[0]["packageHash"]
    assert entries[2]["releasedBy"] == OWNER_EMAIL
    latest = await client.post(url + "/v3")
    assert (latest.status_code, latest.text) == (
        409,
        "Cannot perform rollback because the target release (v3) is already the latest release.",
    )
    unknown = await client.post(url + "/v9")
    assert (unknown.status_code, unknown.text) == (
        404,
        "Cannot perform rollback because the target release (v9) could not be found in the "
        "deployment history.",
    )
    to_v2 = await client.post(url + "/v2")
    assert to_v2.json()["package"]["originalLabel"] == "v2"
    await release(client, app, "Staging", b"3", {"appVersion": "2.0.0"})
    other_version = await client.post(url)
    assert (other_version.status_code, other_version.text) == (
        409,
        "Cannot perform rollback to a different app version. Please perform a new release with "
        "the desired replacement package.",
    )


async def test_metrics(emu: CodePushEmulator, app: str, client: httpx.AsyncClient) -> None:
    url = "/apps/App/deployments/Staging/metrics"
    assert (await client.get(url)).json() == {"metrics": {}}
    emu.record_metrics("App", "Staging", "v1", downloaded=3, installed=2, failed=1, active=2)
    emu.record_metrics("App", "Staging", "v1", active=-1)
    emu.record_metrics("App", "Staging", "1.0.0", active=4)
    assert (await client.get(url)).json() == {
        "metrics": {
            "v1": {"active": 1, "downloaded": 3, "failed": 1, "installed": 2},
            "1.0.0": {"active": 4},
        }
    }
    missing = await client.get("/apps/App/deployments/Nope/metrics")
    assert missing.status_code == 404


async def test_package_size_limit(clock: ManualClock) -> None:
    emu = CodePushEmulator(clock=clock, max_package_size=1024 * 1024)
    key = emu.create_account(OWNER_EMAIL)
    async with httpx.AsyncClient(
        transport=emu.transport, base_url="http://e", headers=auth(key)
    ) as c:
        await create_app(c, "App")
        too_big = await release(c, "App", "Staging", b"\0" * (1024 * 1024 + 1), V1)
        assert (too_big.status_code, too_big.text) == (
            413,
            "The uploaded file is larger than the size limit of 1 megabytes.",
        )
        assert "x-ratelimit-limit" not in too_big.headers
        fits = await release(c, "App", "Staging", b"\0" * (1024 * 1024), V1)
        assert fits.status_code == 201


async def test_blob_not_found(client: httpx.AsyncClient) -> None:
    response = await client.get("/blobs/unknown")
    assert (response.status_code, response.text) == (404, "Not Found")


async def test_storage_dir(tmp_path: Any, clock: ManualClock) -> None:
    emu = CodePushEmulator(clock=clock, storage_dir=tmp_path / "blobs")
    key = emu.create_account(OWNER_EMAIL)
    async with httpx.AsyncClient(
        transport=emu.transport, base_url="http://e", headers=auth(key)
    ) as c:
        await create_app(c, "App")
        pkg = (await release(c, "App", "Staging", b"stored", V1)).json()["package"]
        assert (await c.get(pkg["blobUrl"])).content == b"stored"
    assert [p.read_bytes() for p in (tmp_path / "blobs").iterdir()] == [b"stored"]
