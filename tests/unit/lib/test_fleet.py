"""``DeviceFleet``: simulated devices on the emulator, in process and served, on the wire."""

from __future__ import annotations

import ast
import io
import json
import math
import zipfile
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import anyio.lowlevel
import attrs
import pytest

import codepush_async._release.download as download_module
from codepush_async import (
    AsyncCodePush,
    DeviceFleet,
    FleetReport,
    OutcomeUnknownError,
    ReleaseIntegrityError,
    UpdateMetrics,
)
from codepush_async.emulator import CodePushEmulator
from codepush_async.emulator._middleware import RecordedRequest
from codepush_async.lib.fleet import FailedCall
from tests._backend import httpx
from tests.conftest import FakeClock, Recorder

pytestmark = pytest.mark.anyio

APP, DEP, BINARY = "Fleet", "Staging", "1.0.0"
DEPLOY, DOWNLOAD, CHECK = "/reportStatus/deploy", "/reportStatus/download", "/updateCheck"
BLOBS = "/blobs/"


@dataclass
class World:
    emu: CodePushEmulator
    cp: AsyncCodePush
    key: str
    root: Path

    async def release(self, name: str, rollout: int | None = None, **options: Any) -> str:
        bundle = self.root / name / "CodePush"
        bundle.mkdir(parents=True)
        (bundle / "main.jsbundle").write_text(f"console.log({name!r});")
        package = await self.cp.releases.release(APP, DEP, bundle, BINARY, rollout=rollout,
                                                 **options)
        assert package.label is not None
        return package.label

    def fleet(self, size: int = 5, **options: Any) -> DeviceFleet:
        return self.cp.devices.fleet(self.key, BINARY, size=size, **options)

    def device_calls(self) -> list[RecordedRequest]:
        """The requests devices made (the acquisition routes and the package downloads)."""
        return [r for r in self.emu.requests if not r.path.startswith(("/apps", "/account"))]

    def downloads(self) -> list[RecordedRequest]:
        return [r for r in self.emu.requests if r.path.startswith(BLOBS)]

    def clear(self) -> None:
        self.emu.requests.clear()


@pytest.fixture(params=["inprocess", "served"])
async def world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[World]:
    emu = CodePushEmulator(request_log_size=None)
    access_key = emu.create_account("fleet@example.com")
    if request.param == "inprocess":
        client = AsyncCodePush(access_key, "http://emulator", transport=emu.transport,
                               clock=FakeClock())
        async with client as cp:
            await cp.apps.create(APP)
            yield World(emu, cp, emu.deployment_key(APP, DEP), tmp_path)
        return
    async with emu.serving() as url, AsyncCodePush(access_key, url, clock=FakeClock()) as cp:
        await cp.apps.create(APP)
        yield World(emu, cp, emu.deployment_key(APP, DEP), tmp_path)


def query(request: RecordedRequest) -> dict[str, str]:
    return dict(parse_qsl(request.query, keep_blank_values=True))


def body(request: RecordedRequest) -> dict[str, Any]:
    value = json.loads(request.body)
    assert isinstance(value, dict)
    return value


def calls_of(world: World, device: str) -> list[RecordedRequest]:
    """The requests of one device, in order (a package download is known by its URL)."""
    return [r for r in world.device_calls()
            if query(r).get("clientUniqueId") == device
            or (r.body and body(r).get("clientUniqueId") == device)]


# Bad input: a ValueError before any request.

@pytest.mark.parametrize(("options", "message"), [
    ({"size": 0}, "size must be an int >= 1"),
    ({"size": -3}, "size must be an int >= 1"),
    ({"size": True}, "size must be an int >= 1"),
    ({"size": 2.0}, "size must be an int >= 1"),
    ({"failure_rate": -0.01}, "failure_rate must be between 0 and 1"),
    ({"failure_rate": 1.01}, "failure_rate must be between 0 and 1"),
    ({"failure_rate": math.nan}, "failure_rate must be between 0 and 1"),
    ({"failure_rate": math.inf}, "failure_rate must be between 0 and 1"),
    ({"failure_rate": "0.1"}, "failure_rate must be a number"),
    ({"failure_rate": True}, "failure_rate must be a number"),
    ({"concurrency": 0}, "concurrency must be an int >= 1"),
    ({"concurrency": None}, "concurrency must be an int >= 1"),
    ({"id_prefix": 7}, "id_prefix must be a string"),
])
async def test_bad_options_are_refused_before_any_request(
    cp: AsyncCodePush, recorder: Recorder, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        cp.devices.fleet("key-123", BINARY, **options)
    assert recorder.requests == []


@pytest.mark.parametrize(("key", "version", "message"), [
    ("", BINARY, "deployment_key must not be empty"),
    ("   ", BINARY, "deployment_key must not be empty"),
    (None, BINARY, "deployment_key must be a string"),
    ("key-123", "1.x", "not a range"),
    ("key-123", "^1.2.3", "not a range"),
    ("key-123", ">=1.0.0", "not a range"),
    ("key-123", "*", "not a range"),
    ("key-123", "1.0.0 - 2.0.0", "not a range"),
    ("key-123", "", "app_version must be a version"),
    ("key-123", "one", "app_version must be a version"),
])
async def test_a_bad_key_or_version_is_refused_before_any_request(
    cp: AsyncCodePush, recorder: Recorder, key: Any, version: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        cp.devices.fleet(key, version)
    assert recorder.requests == []


async def test_a_settable_failure_rate_is_checked_too(cp: AsyncCodePush) -> None:
    fleet = cp.devices.fleet("key-123", BINARY, size=2)
    fleet.failure_rate = 1
    assert fleet.failure_rate == 1.0
    with pytest.raises(ValueError, match="failure_rate must be between 0 and 1"):
        fleet.failure_rate = math.nan
    assert fleet.failure_rate == 1.0


async def test_the_repr_shows_no_deployment_key(cp: AsyncCodePush) -> None:
    fleet = cp.devices.fleet("secret-deployment-key", "2.0", size=3, id_prefix="qa")
    assert repr(fleet) == ("DeviceFleet(size=3, app_version='2.0', failure_rate=0.0, "
                           "concurrency=32, id_prefix='qa')")
    assert "secret-deployment-key" not in repr(vars(fleet))
    assert fleet.labels() == {"2.0": 3}


# A cycle on the wire.

async def test_a_first_cycle_plays_what_a_device_does_on_its_first_launch(
    world: World,
) -> None:
    v1 = await world.release("v1")
    world.clear()
    report = await world.fleet(size=3).cycle()

    assert (report.checked, report.offered, report.downloaded, report.installed,
            report.failed, report.errors) == (3, 3, 3, 3, 0, ())
    assert report.labels == {v1: 3}
    assert all("authorization" not in r.headers for r in world.device_calls())
    assert len(world.downloads()) == 3  # each device downloads the package
    assert all(r.method == "GET" and r.status == 200 for r in world.downloads())
    first = calls_of(world, "device-0")
    assert [(r.method, r.path) for r in first] == [
        ("POST", DEPLOY), ("GET", CHECK), ("POST", DOWNLOAD), ("POST", DEPLOY)]
    launch, check, downloaded, installed = first
    assert body(launch) == {"deploymentKey": world.key, "appVersion": BINARY,
                            "clientUniqueId": "device-0"}  # a binary's first run
    assert query(check) == {"deploymentKey": world.key, "appVersion": BINARY,
                            "clientUniqueId": "device-0"}  # no label, no hash: the binary
    assert body(downloaded) == {"deploymentKey": world.key, "label": v1,
                                "clientUniqueId": "device-0"}
    assert body(installed) == {"deploymentKey": world.key, "appVersion": BINARY,
                               "clientUniqueId": "device-0", "label": v1,
                               "status": "DeploymentSucceeded",
                               "previousLabelOrAppVersion": BINARY}
    assert all(r.headers["x-codepush-sdk-version"] == "3.1.5" for r in first)


async def test_devices_remember_what_they_run_between_cycles(world: World) -> None:
    v1 = await world.release("v1")
    fleet = world.fleet(size=4)
    await fleet.cycle()
    world.clear()
    second = await fleet.cycle()
    package_hash = (await world.cp.deployments.get(APP, DEP)).package
    assert package_hash is not None

    assert (second.checked, second.offered, second.downloaded, second.installed) == (4, 0, 0, 0)
    assert second.labels == {v1: 4}
    calls = world.device_calls()
    assert [(r.method, r.path) for r in calls] == [("GET", CHECK)] * 4  # no first run again
    assert {(query(r)["label"], query(r)["packageHash"]) for r in calls} == {
        (v1, package_hash.package_hash)}


async def test_an_update_reports_the_label_it_replaces(world: World) -> None:
    v1 = await world.release("v1")
    fleet = world.fleet(size=2)
    await fleet.cycle()
    v2 = await world.release("v2")
    world.clear()
    report = await fleet.cycle()

    assert (report.installed, report.labels) == (2, {v2: 2})
    installed = sorted((body(r) for r in world.device_calls() if r.path == DEPLOY),
                       key=lambda sent: str(sent["clientUniqueId"]))
    assert installed == [{"deploymentKey": world.key, "appVersion": BINARY,
                          "clientUniqueId": f"device-{i}", "label": v2,
                          "status": "DeploymentSucceeded", "previousLabelOrAppVersion": v1,
                          "previousDeploymentKey": world.key} for i in (0, 1)]
    metrics = await world.cp.deployments.metrics(APP, DEP)
    assert metrics[v1] == UpdateMetrics(active=0, downloaded=2, installed=2, failed=0)
    assert metrics[v2] == UpdateMetrics(active=2, downloaded=2, installed=2, failed=0)
    assert metrics[BINARY] == UpdateMetrics(active=0)


async def test_a_failed_install_reports_it_and_stays_on_the_old_label(world: World) -> None:
    await world.release("v1")
    fleet = world.fleet(size=3, failure_rate=1.0)
    first = await fleet.cycle()
    world.clear()
    again = await fleet.cycle()

    assert (first.downloaded, first.installed, first.failed) == (3, 0, 3)
    assert first.labels == {BINARY: 3}
    # the plugin's sync() never installs again a package that failed on the device
    assert (again.checked, again.offered, again.downloaded, again.failed) == (3, 3, 0, 0)
    assert [r.path for r in world.device_calls()] == [CHECK] * 3
    assert all("label" not in query(r) for r in world.device_calls())
    metrics = await world.cp.deployments.metrics(APP, DEP)
    assert metrics["v1"] == UpdateMetrics(active=0, downloaded=3, installed=0, failed=3)
    assert metrics[BINARY] == UpdateMetrics(active=3)


def _failed_devices(world: World) -> set[str]:
    return {body(r)["clientUniqueId"] for r in world.device_calls()
            if r.path == DEPLOY and body(r).get("status") == "DeploymentFailed"}


async def test_the_seed_decides_which_installs_fail_whatever_the_concurrency(
    world: World,
) -> None:
    await world.release("v1")
    runs = []
    for prefix, seed, concurrency in (("a", 7, 1), ("b", 7, 16), ("c", 8, 16)):
        world.clear()
        fleet = world.fleet(size=40, failure_rate=0.5, seed=seed, concurrency=concurrency,
                            id_prefix=prefix)
        await fleet.cycle()
        runs.append({device.split("-")[1] for device in _failed_devices(world)})

    assert runs[0] == runs[1]  # same seed: the same devices fail, in any order of calls
    assert runs[0] != runs[2]
    assert 5 < len(runs[0]) < 35


async def test_a_fleet_reports_its_per_label_counts_in_order(world: World) -> None:
    await world.release("v1")
    fleet = world.fleet(size=6, failure_rate=0.5, seed=3)
    report = await fleet.cycle()

    assert list(report.labels) == [BINARY, "v1"]
    assert sum(report.labels.values()) == 6
    assert report.labels[BINARY] == report.failed
    assert str(report) == (f"6 checked, 6 offered, 6 downloaded, {report.installed} installed, "
                           f"{report.failed} failed ({BINARY}: {report.failed}, v1: "
                           f"{report.installed})")


async def test_nothing_released_means_only_checks(world: World) -> None:
    report = await world.fleet(size=2).cycle()
    assert (report.checked, report.offered, report.labels) == (2, 0, {BINARY: 2})
    assert Counter(r.path for r in world.device_calls()) == {DEPLOY: 2, CHECK: 2}


# Downloads: every device makes its request; a package that is not what the server hashed
# is never installed.

async def test_every_offered_device_downloads_the_package(world: World) -> None:
    await world.release("v1")
    fleet = world.fleet(size=6, failure_rate=0.5, seed=1)
    first = await fleet.cycle()
    world.clear()
    again = await fleet.cycle()  # those that failed are offered it again and ignore it

    assert first.downloaded == 6
    assert again.offered == first.failed > 0
    assert again.downloaded == 0
    assert world.downloads() == []


async def test_a_package_not_matching_its_hash_is_never_installed(world: World) -> None:
    await world.release("v1")
    package = (await world.cp.deployments.get(APP, DEP)).package
    assert package is not None
    assert package.blob_url is not None
    blob = "/" + package.blob_url.split("/", 3)[3]
    world.emu.fail_next(200, body=b"tampered", method="GET", path=blob, times=None)
    report = await world.fleet(size=3).cycle()

    assert (report.offered, report.downloaded, report.installed) == (3, 0, 0)
    assert report.labels == {BINARY: 3}
    assert [e.step for e in report.errors] == ["download"] * 3
    assert all(isinstance(e.error, ReleaseIntegrityError) for e in report.errors)
    assert all(package.package_hash in str(e.error) for e in report.errors)
    assert [r.path for r in world.device_calls()].count(DOWNLOAD) == 0  # nothing reported


async def test_download_and_discard_makes_the_request_and_keeps_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await world.release("v1")
    update = await world.cp.devices.check(world.key, BINARY, client_id="d")
    world.clear()

    def no_file(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a discarded download opened a file")

    monkeypatch.setattr(download_module.tempfile, "mkstemp", no_file)
    monkeypatch.setattr(download_module.anyio, "open_file", no_file)
    await world.cp.devices.download_and_discard(update)

    [sent] = world.downloads()
    assert (sent.method, sent.status, "authorization" in sent.headers) == ("GET", 200, False)
    nothing = await world.cp.devices.check(world.key, BINARY, client_id="d", label="v1",
                                           package_hash=update.package_hash)
    with pytest.raises(ValueError, match="nothing to download"):
        await world.cp.devices.download_and_discard(nothing)
    with pytest.raises(ValueError, match="update must be an UpdateCheck"):
        await world.cp.devices.download_and_discard("v1")  # type: ignore[arg-type]
    assert len(world.downloads()) == 1


async def _serve_diff(world: World, package_hash: str) -> str:
    """Make the current release offer a diff package to devices on ``package_hash``, as a
    server with package diffing does (its files plus ``hotcodepush.json``); the diff's path."""
    deployment = world.emu.store.deployment_by_key(world.key)
    assert deployment is not None
    current = deployment.history[-1]
    full = world.emu.store.blobs.get(current.blob_id)
    assert full is not None
    diff = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(full)) as source, zipfile.ZipFile(diff, "w") as out:
        for info in source.infolist():
            out.writestr(info.filename, source.read(info))
        out.writestr("hotcodepush.json", json.dumps({"deletedFiles": []}))
    blob_id = world.emu.store.blobs.put(diff.getvalue())
    shown = (await world.cp.deployments.get(APP, DEP)).package
    assert shown is not None
    assert shown.blob_url is not None
    url = f"{shown.blob_url.rsplit('/', 1)[0]}/{blob_id}"
    current.diff_package_map = {package_hash: {"url": url, "size": len(diff.getvalue())}}
    return f"{BLOBS}{blob_id}"


async def test_a_diff_package_is_applied_on_the_package_the_device_runs(world: World) -> None:
    await world.release("v1")
    fleet = world.fleet(size=3)
    await fleet.cycle()
    v1 = (await world.cp.deployments.get(APP, DEP)).package
    assert v1 is not None
    assert v1.package_hash is not None
    v2 = await world.release("v2")
    diff = await _serve_diff(world, v1.package_hash)
    world.clear()
    report = await fleet.cycle()

    assert (report.downloaded, report.installed, report.errors) == (3, 3, ())
    assert report.labels == {v2: 3}
    assert [r.path for r in world.downloads()] == [diff] * 3


# Errors: counted, surfaced, never resent.

async def test_a_lost_report_answer_is_listed_and_not_resent(world: World) -> None:
    await world.release("v1")
    world.emu.drop_next(after_handler=True, method="POST", path=DOWNLOAD)
    report = await world.fleet(size=3, concurrency=1).cycle()

    assert [(e.device, e.step) for e in report.errors] == [("device-0", "report_download")]
    assert isinstance(report.errors[0].error, OutcomeUnknownError)
    assert report.installed == 3  # the device installed what it downloaded all the same
    assert [r.path for r in world.device_calls()].count(DOWNLOAD) == 3  # never resent
    assert "1 errors" in str(report)


async def test_a_failed_check_leaves_the_device_as_it_was(world: World) -> None:
    await world.release("v1")
    world.emu.fail_next(400, method="GET", path=CHECK)
    report = await world.fleet(size=2, concurrency=1).cycle()

    assert [(e.device, e.step) for e in report.errors] == [("device-0", "check")]
    assert (report.checked, report.installed) == (1, 1)
    assert report.labels == {BINARY: 1, "v1": 1}
    assert isinstance(report.errors[0], FailedCall)
    assert str(report.errors[0]).startswith("device-0 check: BadRequestError")


# The elapsed time and the concurrency bound.

async def test_elapsed_is_read_from_the_clients_clock(world: World) -> None:
    class Ticking(FakeClock):
        def now(self) -> float:
            self.time += 1.0
            return self.time

    async with AsyncCodePush("unused", "http://emulator", transport=world.emu.transport,
                             clock=Ticking()) as cp:
        report = await cp.devices.fleet(world.key, BINARY, size=2).cycle()
    assert report.elapsed == 1.0


class Gauge(httpx.AsyncBaseTransport):  # type: ignore[misc, name-defined]
    """The emulator's transport, counting the requests in flight at once."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.now, self.most = inner, 0, 0

    async def handle_async_request(self, request: Any) -> Any:
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            await anyio.lowlevel.checkpoint()  # let the other devices' calls start

            return await self.inner.handle_async_request(request)
        finally:
            self.now -= 1


async def test_at_most_concurrency_devices_call_at_once(tmp_path: Path) -> None:
    emu = CodePushEmulator()
    gauge = Gauge(emu.transport)
    key = emu.create_account("fleet@example.com")
    async with AsyncCodePush(key, "http://emulator", transport=gauge, clock=FakeClock()) as cp:
        await cp.apps.create(APP)
        report = await cp.devices.fleet(emu.deployment_key(APP, DEP), BINARY, size=50,
                                        concurrency=4).cycle()
    assert report.checked == 50
    assert gauge.most == 4


# The wing uses the public client only.

def test_the_fleet_uses_only_the_clients_public_calls() -> None:
    import codepush_async.lib.fleet as fleet_module

    tree = ast.parse(Path(fleet_module.__file__).read_text())
    used = {ast.unparse(node) for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and ast.unparse(node).startswith("self._cp.")}
    assert used == {
        "self._cp.clock", "self._cp.clock.now", "self._cp.devices", "self._cp.devices.check", "self._cp.devices.download",
        "self._cp.devices.download_and_discard",
        "self._cp.devices.report_deploy", "self._cp.devices.report_download",
    }
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= {"__future__", "collections", "collections.abc", "pathlib", "typing",
                        "_models.devices", "_models.entities", "_models.reprs",
                        "_models.secret", "_resources.devices", "_client_api"}


def test_a_report_is_a_plain_value() -> None:
    report = FleetReport(1, 0, 0, 0, 0, {"1.0.0": 1}, 0.5)
    assert report.to_dict() == {"checked": 1, "offered": 0, "downloaded": 0, "installed": 0,
                                "failed": 0, "labels": {"1.0.0": 1}, "elapsed": 0.5,
                                "errors": []}
    many = attrs.evolve(report, errors=tuple(
        FailedCall(f"device-{i}", "check", OutcomeUnknownError("lost", None))
        for i in range(10_000)))
    assert repr(many) == ("FleetReport(checked=1, offered=0, downloaded=0, installed=0, "
                          "failed=0, labels={'1.0.0': 1}, elapsed=0.5, errors=10000)")
