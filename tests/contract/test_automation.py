"""Staged rollouts and signed releases against each server (in-process, served, real)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from codepush_async import ConflictError, HealthGate, RolloutPlan, RolloutStepped, verify_release

from .._node import js_tools
from .conftest import Target

pytestmark = pytest.mark.anyio


def _bundle(root: Path, text: str) -> Path:
    bundle = root / text / "CodePush"
    bundle.mkdir(parents=True)
    (bundle / "main.jsbundle").write_text(f"console.log({text!r});")
    return bundle


async def test_a_blind_rollout_reaches_100_and_completes(target: Target, tmp_path: Path) -> None:
    plan = RolloutPlan(steps=(10, 50, 100), interval=0, on_no_metrics="advance")
    async with target.app() as app:
        await target.client.releases.release(app, "Staging", _bundle(tmp_path, "a"), "1.0.0",
                                             rollout=5)
        outcome = await target.client.rollouts.advance(app, "Staging", plan)
        current = (await target.client.deployments.get(app, "Staging")).package

    assert outcome.status == "completed"
    assert [e.rollout for e in outcome.events if isinstance(e, RolloutStepped)] == [10, 50, 100]
    assert current is not None
    assert current.rollout in (None, 100)  # the official server stores 100 as null


async def test_a_breach_rolls_back_on_the_server(target: Target, tmp_path: Path) -> None:
    plan = RolloutPlan(steps=(10, 100), interval=0,
                       gate=HealthGate(max_failure_rate=0.05, min_downloads=10))
    if target.traits.metrics_need_redis:  # no counters, ever: missing metrics are not health
        async with target.app() as app:
            await target.client.releases.release(app, "Staging", _bundle(tmp_path, "a"),
                                                 "1.0.0", rollout=10)
            outcome = await target.client.rollouts.advance(app, "Staging", plan)
        assert (outcome.status, outcome.rollout, outcome.reason) == ("halted", 10, "no metrics")
        return
    emulator = target.require_emulator("record_metrics plays the devices")
    async with target.app() as app:
        await target.client.releases.release(app, "Staging", _bundle(tmp_path, "a"), "1.0.0")
        second = await target.client.releases.release(
            app, "Staging", _bundle(tmp_path, "b"), "1.0.0", rollout=10
        )
        assert second.label is not None
        emulator.record_metrics(app, "Staging", second.label, downloaded=50, installed=40,
                                failed=10)
        outcome = await target.client.rollouts.advance(app, "Staging", plan)
        history = await target.client.releases.history(app, "Staging")

    assert (outcome.status, outcome.rollout) == ("rolled_back", 10)
    assert outcome.metrics is not None
    assert outcome.metrics.failed == 10
    assert history[-1].package_hash == history[0].package_hash


async def test_a_signed_release_downloads_and_verifies(target: Target, tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    bundle = _bundle(tmp_path, "signed")
    digest = hashlib.sha256((bundle / "main.jsbundle").read_bytes()).hexdigest()
    content_hash = hashlib.sha256(f'["CodePush/main.jsbundle:{digest}"]'.encode()).hexdigest()
    async with target.app() as app:
        package = await target.client.releases.release(app, "Staging", bundle, "1.0.0",
                                                       private_key=private)
        # The server's package hash leaves the signature out: it is the signed contentHash,
        # and the same files unsigned are an identical release.
        assert package.package_hash == content_hash
        with pytest.raises(ConflictError, match="identical"):
            await target.client.releases.release(app, "Staging", bundle, "1.0.0")
        assert package.blob_url is not None
        if not target.traits.serves_blobs:
            assert package.blob_url.startswith("[object Object]/")  # JSON storage's URL
            return
        zipped = tmp_path / "download.zip"
        zipped.write_bytes(await target.download(package.blob_url))

    assert await verify_release(zipped, public) == content_hash


@pytest.mark.parametrize(("cwd", "spelling"), [("www", "."), (".", "www/"), ("www", "../www")])
async def test_the_server_hashes_a_release_as_the_js_tools_do(
    target: Target, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cwd: str, spelling: str
) -> None:
    www = tmp_path / "www"
    (www / "css").mkdir(parents=True)
    (www / "index.html").write_text(f"<html>{spelling}</html>")
    (www / "css" / "app.css").write_text("body {}")
    monkeypatch.chdir(tmp_path / cwd)
    expected = js_tools(spelling, cwd=tmp_path / cwd)["packageHash"]
    async with target.app() as app:
        package = await target.client.releases.release(app, "Staging", spelling, "1.0.0")
    assert package.package_hash == expected
