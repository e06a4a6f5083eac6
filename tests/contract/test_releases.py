"""Scenarios 8 and 9: releases (upload, download, patch, history) and promote/rollback."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest

from codepush_async import (
    ConflictError,
    IdenticalReleaseError,
    NotFoundError,
    ReleaseMethod,
    RolloutInProgressError,
    RolloutUpdateError,
)
from codepush_async._release.hashing import package_hash

from .conftest import (
    MSG_FINISH_ROLLOUT,
    MSG_IDENTICAL_RELEASE,
    MSG_LABEL_NOT_FOUND,
    MSG_NO_PROMOTABLE,
    Target,
)

pytestmark = pytest.mark.anyio

BUNDLE_FILES: dict[str, bytes] = {
    "main.jsbundle": b"console.log('hello');\n" * 50,
    "assets/img/logo.png": bytes(range(256)) * 4,
    "assets/img/@2x/logo.png": b"\x89PNG\r\n\x1a\n" + bytes(100),
    "assets/fonts/ünïcødé 字体.ttf": "glyphs ✓".encode() * 10,
    "empty.txt": b"",
}


COMPLETE = 100  # a finished rollout (null when the server stores it, 100 in its answers)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_hash(files: dict[str, bytes]) -> str:
    """The server's zip hash, stated independently: SHA-256 of the sorted ``path:sha256`` list."""
    entries = sorted(f"{path}:{sha256(data)}" for path, data in files.items())
    text = json.dumps(entries, separators=(",", ":"), ensure_ascii=False)
    return sha256(text.encode("utf-8"))


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    for relative, data in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


async def test_release_a_directory(target: Target, tmp_path: Path) -> None:
    """A directory is zipped under its own name; the blob holds exactly its files."""
    bundle = write_tree(tmp_path / "bundle", BUNDLE_FILES)
    cp = target.client
    progress: list[tuple[int, int]] = []
    async with target.app() as app:
        package = await cp.releases.release(
            app,
            "Staging",
            bundle,
            "1.0.0",
            description="first",
            is_mandatory=True,
            on_progress=lambda sent, total: progress.append((sent, total)),
        )
        assert package.label == "v1"
        assert package.app_version == "1.0.0"
        assert package.description == "first"
        assert package.is_mandatory is True
        assert package.release_method == ReleaseMethod.UPLOAD
        assert package.released_by == target.released_by(target.owner_email)
        assert package.rollout == COMPLETE
        expected = {f"bundle/{name}": data for name, data in BUNDLE_FILES.items()}
        assert package.package_hash == manifest_hash(expected)
        blob = await target.download_if_served(package.blob_url)
        if blob is not None:
            assert package.size == len(blob)
            with zipfile.ZipFile(io.BytesIO(blob)) as archive:
                names = archive.namelist()
                assert sorted(names) == sorted(expected)  # files only, no directory entries
                assert {n: archive.read(n) for n in names} == expected
            assert package.package_hash == package_hash(blob)

        total = progress[-1][1]
        assert progress[0] == (0, total)
        assert progress[-1] == (total, total)
        assert [sent for sent, _ in progress] == sorted({sent for sent, _ in progress})
        assert package.size is not None
        assert total > package.size  # the multipart body wraps the zip
        if target.emulator is not None:
            [upload] = [r for r in target.emulator.requests if r.path.endswith("/release")]
            assert (upload.method, len(upload.body)) == ("POST", total)
            assert upload.headers["content-type"].startswith("multipart/form-data")

        [stored] = await cp.releases.history(app, "Staging")
        assert (stored.label, stored.package_hash, stored.size) == (
            "v1",
            package.package_hash,
            package.size,
        )


async def test_release_a_file_and_bytes(target: Target, tmp_path: Path) -> None:
    """A plain file and raw bytes are sent as-is and hashed whole."""
    script = tmp_path / "update.js"
    script.write_bytes(b"// a single-file update\n" * 20)
    cp = target.client
    async with target.app() as app:
        from_file = await cp.releases.release(app, "Production", script, "1.0.0")
        assert from_file.label == "v1"
        assert await target.download_if_served(from_file.blob_url) in (script.read_bytes(), None)
        assert from_file.package_hash == sha256(script.read_bytes())
        assert from_file.size == script.stat().st_size

        raw = b"\x00raw bytes \xff" * 30
        from_bytes = await cp.releases.release(app, "Staging", raw, "2.0.0")
        assert from_bytes.label == "v1"
        assert from_bytes.app_version == "2.0.0"
        assert await target.download_if_served(from_bytes.blob_url) in (raw, None)
        assert from_bytes.package_hash == sha256(raw)


async def test_release_rules_patch_and_history(target: Target) -> None:
    """Identical releases, unfinished rollouts, patching, history order and clearing it."""
    cp = target.client
    async with target.app() as app:
        v1 = await cp.releases.release(app, "Staging", b"first", "1.0.0")
        assert v1.label == "v1"

        with pytest.raises(IdenticalReleaseError) as identical:
            await cp.releases.release(app, "Staging", b"first", "1.0.0")
        assert identical.value.message == MSG_IDENTICAL_RELEASE
        skipped = await cp.releases.release(
            app, "Staging", b"first", "1.0.0", no_duplicate_release_error=True
        )
        assert skipped is None

        v2 = await cp.releases.release(app, "Staging", b"second", "1.0.0", rollout=50)
        assert (v2.label, v2.rollout) == ("v2", 50)
        with pytest.raises(RolloutInProgressError) as unfinished:
            await cp.releases.release(app, "Staging", b"third", "1.0.0")
        assert unfinished.value.message == MSG_FINISH_ROLLOUT
        with pytest.raises(RolloutInProgressError) as not_swallowed:  # only "identical" is skipped
            await cp.releases.release(
                app, "Staging", b"third", "1.0.0", no_duplicate_release_error=True
            )
        assert not_swallowed.value.message == MSG_FINISH_ROLLOUT

        with pytest.raises(RolloutUpdateError) as lower:
            await cp.releases.patch(app, "Staging", rollout=25)
        assert lower.value.message == 'Rollout value must be greater than "50", the existing value.'
        with pytest.raises(NotFoundError) as unknown:
            await cp.releases.patch(app, "Staging", "v99", description="nope")
        assert unknown.value.message == MSG_LABEL_NOT_FOUND
        with pytest.raises(NotFoundError):
            await cp.releases.patch(app, "Production", description="no releases")

        completed = await cp.releases.patch(app, "Staging", rollout=100)
        assert completed is not None
        assert completed.label == "v2"
        assert completed.rollout == COMPLETE
        with pytest.raises(ConflictError):
            await cp.releases.patch(app, "Staging", rollout=100)

        disabled = await cp.releases.patch(app, "Staging", "v1", is_disabled=True)
        assert disabled is not None
        assert (disabled.label, disabled.is_disabled) == ("v1", True)
        enabled = await cp.releases.patch(app, "Staging", "v1", is_disabled=False)
        assert enabled is not None
        assert (enabled.label, enabled.is_disabled) == ("v1", False)
        if target.emulator is not None:
            patch_body = target.emulator.requests[-1].json()
            assert patch_body == {"packageInfo": {"label": "v1", "isDisabled": False}}
        assert await cp.releases.patch(app, "Staging", "v1", is_disabled=False) is None

        edited = await cp.releases.patch(
            app, "Staging", description="better words", is_mandatory=True, app_version="1.0.x"
        )
        assert edited is not None
        assert (edited.label, edited.description, edited.is_mandatory, edited.app_version) == (
            "v2",
            "better words",
            True,
            "1.0.x",
        )

        v3 = await cp.releases.release(app, "Staging", b"third", "1.0.0")
        assert v3.label == "v3"

        history = await cp.releases.history(app, "Staging")
        assert [p.label for p in history] == ["v1", "v2", "v3"]
        assert [p.package_hash for p in history] == [
            sha256(b"first"),
            sha256(b"second"),
            sha256(b"third"),
        ]
        assert [p.is_disabled for p in history[:2]] == [False, None]
        assert history[1].rollout == COMPLETE  # stored as null
        assert history[1].description == "better words"
        assert all(p.release_method == ReleaseMethod.UPLOAD for p in history)

        await cp.releases.clear_history(app, "Staging")
        assert await cp.releases.history(app, "Staging") == []
        assert (await cp.deployments.get(app, "Staging")).package is None
        again = await cp.releases.release(app, "Staging", b"first", "1.0.0")
        assert again.label == "v1"
        with pytest.raises(NotFoundError):
            await cp.releases.history(app, "Nope")
        with pytest.raises(NotFoundError):
            await cp.releases.clear_history(app, "Nope")
        with pytest.raises(NotFoundError) as no_deployment:
            await cp.releases.release(app, "Nope", b"nowhere", "1.0.0")
        assert no_deployment.value.message == 'Deployment "Nope" does not exist.'


async def test_a_disabled_rollout_does_not_block(target: Target) -> None:
    """An unfinished rollout blocks new releases and promotions only while it is enabled."""
    cp = target.client
    async with target.app() as app:
        await cp.releases.release(app, "Staging", b"partial", "1.0.0", rollout=10)
        await cp.releases.release(app, "Production", b"partial prod", "1.0.0", rollout=10)
        with pytest.raises(ConflictError):
            await cp.releases.promote(app, "Staging", "Production")

        await cp.releases.patch(app, "Staging", is_disabled=True)
        await cp.releases.patch(app, "Production", is_disabled=True)
        v2 = await cp.releases.release(app, "Staging", b"next", "1.0.0")
        assert v2.label == "v2"
        promoted = await cp.releases.promote(app, "Staging", "Production")
        assert (promoted.label, promoted.package_hash) == ("v2", v2.package_hash)
        history = await cp.releases.history(app, "Staging")
        assert [(p.label, p.rollout, p.is_disabled) for p in history] == [
            ("v1", COMPLETE, True),  # a superseded release's rollout is cleared
            ("v2", COMPLETE, None),
        ]


async def test_promote(target: Target) -> None:
    """Promote copies the latest (or a labelled) release, with overrides; its failures."""
    cp = target.client
    async with target.app() as app:
        with pytest.raises(NotFoundError) as empty:
            await cp.releases.promote(app, "Staging", "Production")
        assert empty.value.message == MSG_NO_PROMOTABLE

        v1 = await cp.releases.release(app, "Staging", b"one", "1.0.0", description="first")
        promoted = await cp.releases.promote(app, "Staging", "Production")
        assert promoted.label == "v1"
        assert promoted.release_method == ReleaseMethod.PROMOTE
        assert promoted.package_hash == v1.package_hash
        assert promoted.size == v1.size
        assert (promoted.app_version, promoted.description) == ("1.0.0", "first")
        assert promoted.released_by == target.released_by(target.owner_email)
        assert promoted.original_label in (None, "v1")
        assert promoted.original_deployment in (None, "Staging")
        assert await target.download_if_served(promoted.blob_url) in (b"one", None)

        with pytest.raises(ConflictError) as identical:
            await cp.releases.promote(app, "Staging", "Production")
        assert "identical" in identical.value.message

        await cp.releases.release(app, "Staging", b"two", "1.0.0")
        await cp.releases.release(app, "Staging", b"three", "1.0.0")
        picked = await cp.releases.promote(
            app,
            "Staging",
            "Production",
            label="v2",
            rollout=30,
            description="hotfix",
            is_mandatory=True,
        )
        assert picked.label == "v2"
        assert picked.package_hash == sha256(b"two")
        assert (picked.rollout, picked.description, picked.is_mandatory) == (30, "hotfix", True)
        assert picked.original_label in (None, "v2")

        with pytest.raises(ConflictError):
            await cp.releases.promote(app, "Staging", "Production")
        await cp.releases.patch(app, "Production", rollout=100)
        latest = await cp.releases.promote(app, "Staging", "Production", app_version="1.0.x")
        assert (latest.label, latest.package_hash, latest.app_version) == (
            "v3",
            sha256(b"three"),
            "1.0.x",
        )
        production = await cp.releases.history(app, "Production")
        assert [p.label for p in production] == ["v1", "v2", "v3"]
        assert {p.release_method for p in production} == {ReleaseMethod.PROMOTE}
        assert [p.label for p in await cp.releases.history(app, "Staging")] == ["v1", "v2", "v3"]

        with pytest.raises(NotFoundError):
            await cp.releases.promote(app, "Staging", "Nope")
        with pytest.raises(NotFoundError):
            await cp.releases.promote(app, "Staging", "Production", label="v99")


async def test_rollback(target: Target) -> None:
    """Rollback re-releases the previous (or a labelled) package of the same app version."""
    cp = target.client
    async with target.app() as app:
        with pytest.raises(NotFoundError):
            await cp.releases.rollback(app, "Production")
        v1 = await cp.releases.release(app, "Production", b"good", "1.0.0", description="ok")
        with pytest.raises(NotFoundError):
            await cp.releases.rollback(app, "Production")
        v2 = await cp.releases.release(app, "Production", b"bad", "1.0.0")

        rolled = await cp.releases.rollback(app, "Production")
        assert rolled.label is None  # the server answers the new package without its label
        assert rolled.release_method == ReleaseMethod.ROLLBACK
        assert rolled.package_hash == v1.package_hash
        assert (rolled.app_version, rolled.description, rolled.size) == ("1.0.0", "ok", v1.size)
        assert rolled.original_label in (None, "v1")
        current = (await cp.deployments.get(app, "Production")).package
        assert current is not None
        assert (current.label, current.package_hash) == ("v3", v1.package_hash)
        assert current.release_method == ReleaseMethod.ROLLBACK

        to_label = await cp.releases.rollback(app, "Production", "v2")
        assert to_label.package_hash == v2.package_hash
        history = await cp.releases.history(app, "Production")
        assert [(p.label, p.package_hash) for p in history] == [
            ("v1", v1.package_hash),
            ("v2", v2.package_hash),
            ("v3", v1.package_hash),
            ("v4", v2.package_hash),
        ]

        with pytest.raises(ConflictError):
            await cp.releases.rollback(app, "Production", "v4")
        with pytest.raises(NotFoundError):
            await cp.releases.rollback(app, "Production", "v99")

        await cp.releases.release(app, "Staging", b"old binary", "1.0.0")
        await cp.releases.release(app, "Staging", b"new binary", "2.0.0")
        with pytest.raises(ConflictError) as other_version:
            await cp.releases.rollback(app, "Staging")
        assert "different app version" in other_version.value.message
        with pytest.raises(ConflictError):
            await cp.releases.rollback(app, "Staging", "v1")
        assert len(await cp.releases.history(app, "Staging")) == 2
