"""The device side against each target: update checks, reports, metrics, downloads, explain.

The same scenarios run on the emulator (in process and served) and on a real server; what a
real server without Redis or blob URLs cannot do is declared by its ``Traits``.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import attrs
import pytest

from codepush_async import CheckReason, NotFoundError, ReleaseIntegrityError
from codepush_async._release.hashing import package_hash
from codepush_async._wire.rollout import is_selected_for_rollout
from tests.contract.conftest import Target

pytestmark = pytest.mark.anyio


def bundle(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("CodePush/index.js", text)
    return buffer.getvalue()


async def deployment_key(target: Target, app: str, deployment: str = "Production") -> str:
    key = (await target.client.deployments.get(app, deployment)).key
    assert key
    return key


async def test_a_new_device_is_offered_the_release_downloads_it_and_reports(
    target: Target, tmp_path: Path
) -> None:
    cp = target.client
    async with target.app() as app:
        v1 = await cp.releases.release(app, "Production", bundle("one"), "1.0.0")
        key = await deployment_key(target, app)
        update = await cp.devices.check(key, "1.0.0", client_id="probe-1")
        assert update.reason is CheckReason.UPDATE
        assert (update.label, update.package_hash) == ("v1", v1.package_hash)
        assert update.package_size == v1.size
        assert update.app_version == "1.0.0"
        assert update.target_binary_range == "1.0.0"
        assert update.download_url
        if target.traits.serves_blobs:
            path = await cp.devices.download(update, tmp_path)
            assert path == tmp_path / "v1.zip"
            assert package_hash(path) == v1.package_hash
            tampered = attrs.evolve(update, package_hash="0" * 64)
            with pytest.raises(ReleaseIntegrityError):
                await cp.devices.download(tampered, tmp_path / "x.zip")
            assert os.listdir(tmp_path) == ["v1.zip"]
        await cp.devices.report_download(key, "v1", client_id="probe-1")
        await cp.devices.report_deploy(key, "1.0.0", client_id="probe-1", label="v1",
                                       status="DeploymentSucceeded")
        await cp.devices.report_deploy(key, "1.0.0", client_id="probe-2", label="v1",
                                       status="DeploymentFailed")
        after = await cp.devices.check(key, "1.0.0", client_id="probe-1", label="v1",
                                       package_hash=v1.package_hash)
        assert after.reason is CheckReason.UP_TO_DATE
        metrics = await cp.deployments.metrics(app, "Production")
        if target.traits.metrics_need_redis:
            assert dict(metrics) == {}
        else:
            v1_metrics = metrics["v1"]
            assert (v1_metrics.downloaded, v1_metrics.installed, v1_metrics.failed) == (1, 1, 1)
            assert v1_metrics.active == 1


async def test_both_route_spellings_give_the_same_answers(target: Target) -> None:
    cp = target.client
    async with target.app() as app:
        await cp.releases.release(app, "Production", bundle("one"), "1.0.x")
        key = await deployment_key(target, app)
        for version in ("1.0.3", "1.0", "1", "2.0.0", "0.9.0"):
            camel = await cp.devices.check(key, version, client_id="c")
            snake = await cp.devices.check(key, version, client_id="c", route="snake")
            assert camel == snake, version


@pytest.mark.parametrize(("version", "reason", "app_version"), [
    ("1.5.0", CheckReason.UPDATE, "1.5.0"),
    ("1.5", CheckReason.UPDATE, "1.5"),
    ("0.9.0", CheckReason.BINARY_TOO_OLD, "1.x"),
    ("3.0.0", CheckReason.NO_RELEASE_FOR_BINARY, "1.x"),
])
async def test_each_binary_gets_the_rule_that_applies_to_it(
    target: Target, version: str, reason: CheckReason, app_version: str
) -> None:
    cp = target.client
    async with target.app() as app:
        await cp.releases.release(app, "Production", bundle("one"), "1.x")
        key = await deployment_key(target, app)
        update = await cp.devices.check(key, version)
        assert update.reason is reason
        assert update.app_version == app_version
        staging = await cp.devices.check(await deployment_key(target, app, "Staging"), version)
        assert staging.reason is CheckReason.NO_RELEASE


async def test_a_rollout_offers_the_release_to_the_devices_its_hash_selects(
    target: Target,
) -> None:
    cp = target.client
    async with target.app() as app:
        await cp.releases.release(app, "Production", bundle("one"), "1.0.0")
        await cp.releases.release(app, "Production", bundle("two"), "1.0.0", rollout=37)
        key = await deployment_key(target, app)
        offered = {}
        for number in range(40):
            client_id = f"probe-device-{number}"
            update = await cp.devices.check(key, "1.0.0", client_id=client_id)
            offered[client_id] = update.label
        expected = {cid: "v2" if is_selected_for_rollout(cid, 37, "v2") else "v1"
                    for cid in offered}
        assert offered == expected
        assert set(offered.values()) == {"v1", "v2"}
        outside = next(cid for cid, label in offered.items() if label == "v1")
        why = await cp.devices.explain(app, "Production", "1.0.0", client_id=outside)
        assert (why.rule, why.release) == ("rollout", "v2")


async def test_explain_names_a_disabled_release_and_a_mandatory_rollup(target: Target) -> None:
    cp = target.client
    async with target.app() as app:
        v1 = await cp.releases.release(app, "Production", bundle("one"), "1.0.0")
        await cp.releases.release(app, "Production", bundle("two"), "1.0.0", is_mandatory=True)
        await cp.releases.release(app, "Production", bundle("three"), "1.0.0")
        await cp.releases.release(app, "Production", bundle("four"), "1.0.0", is_disabled=True)
        why = await cp.devices.explain(app, "Production", "1.0.0", client_id="c", label="v1",
                                       package_hash=v1.package_hash)
        assert (why.rule, why.release) == ("disabled", "v4")
        assert why.check.label == "v3"
        assert why.check.is_mandatory
        await cp.releases.patch(app, "Production", "v4", is_disabled=False, is_mandatory=True)
        why = await cp.devices.explain(app, "Production", "1.0.0", client_id="c", label="v3",
                                       package_hash=(await cp.releases.history(
                                           app, "Production"))[2].package_hash)
        assert (why.rule, why.check.label) == ("update", "v4")
        await cp.releases.patch(app, "Production", "v4", is_mandatory=False)
        why = await cp.devices.explain(app, "Production", "1.0.0", client_id="c", label="v1",
                                       package_hash=v1.package_hash)
        assert (why.rule, why.release, why.check.label) == ("mandatory-rollup", "v2", "v4")


async def test_an_unknown_deployment_key_is_not_found(target: Target) -> None:
    cp = target.client
    with pytest.raises(NotFoundError):
        await cp.devices.check("no-such-deployment-key-0123456789", "1.0.0")
