"""Blob URLs point at the address each answer is served on, and blobs live exactly as long as
a release references them."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from codepush_async.emulator import CodePushEmulator
from codepush_async.emulator._store import MAX_HISTORY

from ._helpers import OWNER_EMAIL, auth, make_zip

pytestmark = pytest.mark.anyio

RELEASE = "/apps/App/deployments/Staging/release"
ZIP = make_zip({"main.jsbundle": b"bundle", "img/a.png": b"png"})


async def seeded(dialect: str = "classic") -> tuple[CodePushEmulator, dict[str, str]]:
    """An emulator with App and one zip release made in-process (http://emulator)."""
    emu = CodePushEmulator(dialect)
    headers = auth(emu.create_account(OWNER_EMAIL))
    prefix = "/api/v1" if dialect == "v1" else ""
    async with inprocess(emu, headers) as c:
        assert (await c.post(f"{prefix}/apps", json={"name": "App"})).status_code == 201
        if dialect == "v1":
            await c.post(f"{prefix}/apps/App/deployments", json={"name": "Staging"})
        released = await c.post(
            prefix + RELEASE,
            files={"package": ("b.zip", ZIP, "application/zip")},
            data={"packageInfo": json.dumps({"appVersion": "1.0.0"})},
        )
        assert released.status_code == 201, released.text
        blob = released.json()["release" if dialect == "v1" else "package"]["blobUrl"]
        assert blob.startswith("http://emulator/blobs/")
    return emu, headers


def inprocess(emu: CodePushEmulator, headers: dict[str, str]) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=emu.transport, base_url="http://emulator", headers=headers)


async def test_classic_blob_urls_follow_the_served_address() -> None:
    """Seeded in-process, then served: history, deployment and list answers link to the port,
    and every link (package and manifest) downloads the exact bytes."""
    emu, headers = await seeded()
    async with emu.serving() as url, httpx.AsyncClient(base_url=url, headers=headers) as client:
        history = await client.get("/apps/App/deployments/Staging/history")
        [entry] = history.json()["history"]
        got = await client.get("/apps/App/deployments/Staging")
        package = got.json()["deployment"]["package"]
        listed = (await client.get("/apps/App/deployments")).json()["deployments"]
        staging = next(d for d in listed if d["name"] == "Staging")
        urls = {entry["blobUrl"], package["blobUrl"], staging["package"]["blobUrl"]}
        assert len(urls) == 1
        [blob_url] = urls
        assert blob_url.startswith(url + "/blobs/")
        assert (await client.get(blob_url)).content == ZIP
        assert entry["manifestBlobUrl"].startswith(url + "/blobs/")
        manifest = (await client.get(entry["manifestBlobUrl"])).json()
        assert set(manifest) == {"main.jsbundle", "img/a.png"}
        promoted = await client.post("/apps/App/deployments/Staging/promote/Production")
        assert promoted.json()["package"]["blobUrl"] == blob_url
    async with inprocess(emu, headers) as c:  # and in-process again, on that address
        [entry] = (await c.get("/apps/App/deployments/Staging/history")).json()["history"]
        assert entry["blobUrl"] == "http://emulator/blobs/" + blob_url.rsplit("/", 1)[1]


async def test_v1_blob_urls_follow_the_served_address() -> None:
    emu, headers = await seeded("v1")
    async with (
        emu.serving() as url,
        httpx.AsyncClient(base_url=url + "/api/v1", headers=headers) as api,
    ):
        [release] = (await api.get("/apps/App/deployments/Staging/releases")).json()["releases"]
        listed = (await api.get("/apps/App/deployments")).json()["deployments"]
        staging = next(d for d in listed if d["name"] == "Staging")
        assert staging["package"]["blobUrl"] == release["blobUrl"]
        assert release["blobUrl"].startswith(url + "/blobs/")
        assert (await api.get(release["blobUrl"])).content == ZIP


async def test_an_unknown_blob_is_404() -> None:
    emu, _ = await seeded()
    async with emu.serving() as url, httpx.AsyncClient(base_url=url) as client:
        assert (await client.get("/blobs/nope")).status_code == 404
        assert (await client.get("/blobs/%2E%2E")).status_code == 404


# Freeing blobs no release references


async def _release(client: httpx.AsyncClient, deployment: str, content: bytes) -> None:
    response = await client.post(
        f"/apps/App/deployments/{deployment}/release",
        files={"package": ("a.js", content)},
        data={"packageInfo": json.dumps({"appVersion": "1.0.0"})},
    )
    assert response.status_code == 201, response.text


async def test_history_trimming_frees_the_dropped_blobs(
    emu: CodePushEmulator, client: httpx.AsyncClient
) -> None:
    await client.post("/apps", json={"name": "App"})
    for n in range(MAX_HISTORY + 10):
        await _release(client, "Staging", b"release %d" % n)
    assert len(emu.store.blobs) == MAX_HISTORY
    assert emu.store.blobs.size == sum(len(b"release %d" % n) for n in range(10, MAX_HISTORY + 10))
    history = (await client.get("/apps/App/deployments/Staging/history")).json()["history"]
    for entry in history:
        assert (await client.get(entry["blobUrl"])).status_code == 200


async def test_shared_blobs_live_until_the_last_release_goes(
    emu: CodePushEmulator, client: httpx.AsyncClient
) -> None:
    """Promote and rollback share their source's blob: clearing the source keeps it."""
    await client.post("/apps", json={"name": "App"})
    await _release(client, "Staging", b"one")
    await _release(client, "Staging", b"two")
    assert len(emu.store.blobs) == 2
    promoted = await client.post("/apps/App/deployments/Staging/promote/Production")
    url = promoted.json()["package"]["blobUrl"]  # "two"
    await client.post("/apps/App/deployments/Staging/rollback")  # "one" again, shared
    assert len(emu.store.blobs) == 2

    assert (await client.delete("/apps/App/deployments/Staging/history")).status_code == 204
    assert len(emu.store.blobs) == 1  # "two", still Production's
    assert (await client.get(url)).content == b"two"

    assert (await client.delete("/apps/App/deployments/Production")).status_code == 204
    assert len(emu.store.blobs) == 0
    assert (await client.get(url)).status_code == 404


async def test_removing_an_app_frees_its_blobs(
    emu: CodePushEmulator, client: httpx.AsyncClient
) -> None:
    for app in ("App", "Other"):
        await client.post("/apps", json={"name": app})
    await _release(client, "Staging", b"app")
    await _release(client, "Production", b"app prod")
    other = await client.post(
        "/apps/Other/deployments/Staging/release",
        files={"package": ("b.zip", ZIP, "application/zip")},
        data={"packageInfo": json.dumps({"appVersion": "1.0.0"})},
    )
    assert other.status_code == 201
    assert len(emu.store.blobs) == 4  # two plain files, a zip and its manifest
    assert (await client.delete("/apps/App")).status_code == 204
    assert len(emu.store.blobs) == 2
    assert (await client.get(other.json()["package"]["blobUrl"])).content == ZIP


async def test_v1_removals_free_blobs() -> None:
    emu = CodePushEmulator("v1")
    headers = auth(emu.create_account(OWNER_EMAIL))
    async with httpx.AsyncClient(
        transport=emu.transport, base_url="http://emulator/api/v1", headers=headers
    ) as api:
        await api.post("/apps", json={"name": "App"})
        for deployment in ("A", "B"):
            await api.post("/apps/App/deployments", json={"name": deployment})
            released = await api.post(
                f"/apps/App/deployments/{deployment}/release",
                files={"package": ("a.js", deployment.encode())},
                data={"packageInfo": json.dumps({"appVersion": "1.0.0"})},
            )
            assert released.status_code == 201, released.text
        assert len(emu.store.blobs) == 2
        assert (await api.delete("/apps/App/deployments/A")).status_code == 204
        assert len(emu.store.blobs) == 1
        assert (await api.delete("/apps/App")).status_code == 204
        assert len(emu.store.blobs) == 0


def contents(directory: Path) -> list[bytes]:
    return [path.read_bytes() for path in directory.iterdir()]


async def test_blobs_under_a_storage_dir_are_deleted(tmp_path: Path) -> None:
    emu = CodePushEmulator(storage_dir=tmp_path)
    headers = auth(emu.create_account(OWNER_EMAIL))
    async with httpx.AsyncClient(
        transport=emu.transport, base_url="http://emulator", headers=headers
    ) as client:
        await client.post("/apps", json={"name": "App"})
        await _release(client, "Staging", b"on disk")
        assert contents(tmp_path) == [b"on disk"]
        assert len(emu.store.blobs) == 1
        assert emu.store.blobs.size == 0  # nothing held in memory
        await client.delete("/apps/App/deployments/Staging/history")
        assert contents(tmp_path) == []
        assert len(emu.store.blobs) == 0
