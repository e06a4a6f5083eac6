"""``cp.devices.fleet(...)``: simulated devices that check, download, install and report.

Built only on the client's public calls (``cp.devices.check``, ``download``,
``download_and_discard``, ``report_download``, ``report_deploy`` and ``cp.clock``), so it
reads as an example of the SDK. Each device plays, in one ``cycle()``, what the
react-native-code-push plugin does on a launch: the first launch of its binary reports the
binary (an ``appVersion``, no label, no status); then it checks for an update with the label
and package hash it runs; an offered update is downloaded, reported downloaded, and
installed: it reports ``DeploymentSucceeded`` (with the label or binary it ran before) and
runs the new release, or, with probability ``failure_rate``, ``DeploymentFailed`` and stays
where it was. Like the plugin's ``sync()``, a device never installs again a package whose
install failed on it. A report is sent once: one that fails is listed in
``FleetReport.errors``, never resent.

Every offered device downloads its package. The first downloads of a package (its URL and
hash) in a cycle are hash-checked and kept (a diff package is applied on the package the
device runs, as the plugin does); the others stream it and keep nothing: the same URL and
hash are the same package, and a fleet of thousands spends its time on requests, not disks.
"""

from __future__ import annotations

import hashlib
import math
import random
import shutil
import tempfile
import weakref
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

import anyio
import attrs

from .._models.devices import UpdateCheck
from .._models.entities import _Model
from .._models.reprs import call_repr
from .._models.secret import redacted
from .._resources.devices import check_app_version, check_deployment_key
from ._client_api import ClientAPI

__all__ = ["DeviceFleet", "FailedCall", "FleetReport", "Step"]

Step = Literal["first_run", "check", "download", "report_download", "report_deploy"]
SUCCEEDED, FAILED = "DeploymentSucceeded", "DeploymentFailed"


@attrs.frozen
class FailedCall(_Model):
    """A call of one device that failed in a cycle: which device, at which step, the error
    as raised (an ``OutcomeUnknownError`` report may or may not have been counted)."""

    device: str
    step: Step
    error: Exception

    def __str__(self) -> str:
        return f"{self.device} {self.step}: {type(self.error).__name__}: {self.error}"


@attrs.frozen
class FleetReport(_Model):
    """What one cycle did: devices that checked, were offered an update, downloaded it,
    installed it or failed to (``failed``: ``DeploymentFailed`` reported), the devices per
    label after the cycle (the binary's as its app version), the cycle's seconds on the
    client's clock, and every call that failed (``errors``: nothing is dropped)."""

    checked: int
    offered: int
    downloaded: int
    installed: int
    failed: int
    labels: Mapping[str, int]
    elapsed: float
    errors: tuple[FailedCall, ...] = ()

    def __repr__(self) -> str:
        return call_repr("FleetReport", checked=self.checked, offered=self.offered,
                         downloaded=self.downloaded, installed=self.installed,
                         failed=self.failed, labels=dict(self.labels),
                         elapsed=round(self.elapsed, 3), errors=len(self.errors))

    def __str__(self) -> str:
        running = ", ".join(f"{label}: {count}" for label, count in self.labels.items())
        errors = f"; {len(self.errors)} errors" if self.errors else ""
        return (f"{self.checked} checked, {self.offered} offered, {self.downloaded} "
                f"downloaded, {self.installed} installed, {self.failed} failed ({running})"
                f"{errors}")


def _check_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    return value


def _check_rate(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"failure_rate must be a number, got {type(value).__name__}")
    if not (math.isfinite(value) and 0 <= value <= 1):
        raise ValueError(f"failure_rate must be between 0 and 1, got {value!r}")
    return float(value)


def _check_prefix(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"id_prefix must be a string, got {type(value).__name__}")
    return value


class _Device:
    """What one device runs (``label``/``package_hash`` ``None``: its binary's bundle)."""

    __slots__ = ("failed_hashes", "id", "label", "launched", "package_hash")

    def __init__(self, device_id: str) -> None:
        self.id = device_id
        self.label: str | None = None
        self.package_hash: str | None = None
        self.launched = False
        self.failed_hashes: set[str] | None = None


@attrs.define
class _Tally:
    """The counts of a cycle in progress."""

    checked: int = 0
    offered: int = 0
    downloaded: int = 0
    installed: int = 0
    failed: int = 0
    errors: list[FailedCall] = attrs.Factory(list)


class DeviceFleet:
    """``size`` simulated devices (``f"{id_prefix}-{i}"``) running ``app_version`` on
    ``deployment_key``; each ``await fleet.cycle()`` launches every device once, at most
    ``concurrency`` at a time, and returns a ``FleetReport``.

    ``seed`` makes the failed installs reproducible (one draw per device per cycle, in
    device order, whatever order the calls finish in).
    """

    def __init__(
        self,
        client: ClientAPI,
        deployment_key: str,
        app_version: str,
        *,
        size: int = 1000,
        failure_rate: float = 0.0,
        seed: int | None = None,
        concurrency: int = 32,
        id_prefix: str = "device",
    ) -> None:
        self._cp = client
        self._key = redacted(check_deployment_key(deployment_key))
        self.app_version = check_app_version(app_version)
        self.size = _check_int(size, "size")
        self._failure_rate = _check_rate(failure_rate)
        self.concurrency = _check_int(concurrency, "concurrency")
        self.id_prefix = _check_prefix(id_prefix)
        self._random = random.Random(seed)  # noqa: S311 (a simulation, no secret)
        self._devices = [_Device(f"{id_prefix}-{i}") for i in range(size)]
        self._turn = anyio.Lock()
        self._packages: Path | None = None  # made on the first cycle

    def _package_folder(self) -> Path:
        """The folder of the packages the fleet checked, removed with the fleet."""
        if self._packages is None:
            self._packages = Path(tempfile.mkdtemp(prefix="codepush-fleet-"))
            weakref.finalize(self, shutil.rmtree, self._packages, ignore_errors=True)
        return self._packages

    def __repr__(self) -> str:
        return call_repr("DeviceFleet", size=self.size, app_version=self.app_version,
                         failure_rate=self.failure_rate, concurrency=self.concurrency,
                         id_prefix=self.id_prefix)

    @property
    def failure_rate(self) -> float:
        """The share of installs that fail from the next cycle on (settable: a rehearsal may
        make the next release fail)."""
        return self._failure_rate

    @failure_rate.setter
    def failure_rate(self, value: float) -> None:
        self._failure_rate = _check_rate(value)

    def labels(self) -> dict[str, int]:
        """The devices per label they run now (the binary's bundle as its app version)."""
        counts = Counter(device.label or self.app_version for device in self._devices)
        return {label: counts[label] for label in sorted(counts, key=self._label_order)}

    def _label_order(self, label: str) -> tuple[bool, int, str]:
        return (label != self.app_version, len(label), label)

    async def cycle(self) -> FleetReport:
        """Launch every device once (see the module's docstring) and report what they did.

        Cycles take turns: a device runs one launch at a time.
        """
        async with self._turn:
            start = self._cp.clock.now()
            draws = [self._random.random() for _ in self._devices]
            tally = _Tally()
            play = _Play(self, tally)
            devices = iter(zip(self._devices, draws, strict=True))
            async with anyio.create_task_group() as group:
                for _ in range(min(self.concurrency, self.size)):
                    group.start_soon(play.each, devices)
            return FleetReport(
                tally.checked, tally.offered, tally.downloaded, tally.installed, tally.failed,
                self.labels(), self._cp.clock.now() - start, tuple(tally.errors),
            )


def _stored(folder: Path, package_hash: str) -> Path:
    """Where a fleet keeps a package it checked (the base a diff package is applied on),
    named for its hash without taking the server's text as a file name."""
    return folder / hashlib.sha256(package_hash.encode()).hexdigest()


class _Play:
    """One cycle's launches: each worker takes the next device until none is left."""

    def __init__(self, fleet: DeviceFleet, tally: _Tally) -> None:
        self._packages = fleet._package_folder()
        self._cp = fleet._cp
        self._key = fleet._key
        self._version = fleet.app_version
        self._rate = fleet.failure_rate
        self._tally = tally
        self._checked: set[tuple[str | None, str | None]] = set()

    async def each(self, devices: Iterator[tuple[_Device, float]]) -> None:
        for device, draw in devices:
            await self.launch(device, draw)

    async def launch(self, device: _Device, draw: float) -> None:
        """One launch: the binary's first-run report, the check, then the update if any."""
        if not device.launched:
            device.launched = True
            await self._report(device, "first_run")
        update = await self._check(device)
        if update is None or not update.is_available:
            return
        self._tally.offered += 1
        if device.failed_hashes and update.package_hash in device.failed_hashes:
            return  # the plugin's sync() ignores an update that failed on this device
        if not await self._download(device, update):
            return
        await self._call(device, "report_download", self._cp.devices.report_download(
            self._key, update.label or "", client_id=device.id))
        if draw < self._rate:
            await self._fail(device, update)
        else:
            await self._install(device, update)

    async def _check(self, device: _Device) -> UpdateCheck | None:
        try:
            update = await self._cp.devices.check(
                self._key, self._version, client_id=device.id, label=device.label,
                package_hash=device.package_hash)
        except Exception as error:
            self._tally.errors.append(FailedCall(device.id, "check", error))
            return None
        self._tally.checked += 1
        return update

    async def _download(self, device: _Device, update: UpdateCheck) -> bool:
        """Every device downloads the package; the first ones of a cycle check its hash
        (a diff package applied on the one the device runs), the others keep nothing (the
        same URL and hash: the same package)."""
        package = (update.download_url, update.package_hash)
        try:
            if package in self._checked:
                await self._cp.devices.download_and_discard(update)
            else:
                await self._cp.devices.download(
                    update, _stored(self._packages, update.package_hash or ""),
                    base=self._base(device))
                self._checked.add(package)
        except Exception as error:
            self._tally.errors.append(FailedCall(device.id, "download", error))
            return False
        self._tally.downloaded += 1
        return True

    def _base(self, device: _Device) -> Path | None:
        base = None if device.package_hash is None else _stored(self._packages,
                                                                device.package_hash)
        return base if base is not None and base.exists() else None

    async def _install(self, device: _Device, update: UpdateCheck) -> None:
        previous_key = None if device.label is None else self._key
        await self._report(
            device, "report_deploy", label=update.label, status=SUCCEEDED,
            previous_deployment_key=previous_key,
            previous_label_or_app_version=device.label or self._version)
        self._tally.installed += 1
        device.label, device.package_hash = update.label, update.package_hash

    async def _fail(self, device: _Device, update: UpdateCheck) -> None:
        await self._report(device, "report_deploy", label=update.label, status=FAILED)
        self._tally.failed += 1
        if update.package_hash is not None:
            device.failed_hashes = (device.failed_hashes or set()) | {update.package_hash}

    async def _report(self, device: _Device, step: Step, **fields: Any) -> None:
        await self._call(device, step, self._cp.devices.report_deploy(
            self._key, self._version, client_id=device.id, **fields))

    async def _call(self, device: _Device, step: Step, call: Any) -> None:
        try:
            await call
        except Exception as error:
            self._tally.errors.append(FailedCall(device.id, step, error))
