"""``cp.rollouts`` judged on counters that only device reports produced.

A ``DeviceFleet`` plays the devices while the plan waits: the client's clock runs one fleet
cycle per wait instead of waiting. On the emulator ``record_metrics`` is never called; on
the official server with Redis the counters are its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from codepush_async import (
    AsyncCodePush,
    DeviceFleet,
    FleetReport,
    HealthGate,
    RolloutOutcome,
    RolloutPlan,
    RolloutStepped,
    UpdateMetrics,
)

from .conftest import Target

pytestmark = pytest.mark.anyio

DEPLOYMENT, BINARY = "Staging", "1.0.0"
HOUR = 3600.0
PLAN = RolloutPlan(steps=(20, 50, 100), interval=timedelta(hours=1),
                   gate=HealthGate(max_failure_rate=0.1, min_downloads=5))
DEVICES = 100


class FleetClock:
    """The client's clock: a wait of the plan's interval is one launch of every device."""

    def __init__(self) -> None:
        self._now = 1_780_000_000.0
        self.fleet: DeviceFleet | None = None
        self.cycles: list[FleetReport] = []

    def now(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        self._now += max(seconds, 0)
        if self.fleet is not None and seconds >= HOUR:
            self.cycles.append(await self.fleet.cycle())


@dataclass
class Rehearsal:
    """An app with ``v1`` installed on every device of the fleet, and the client's clock."""

    cp: AsyncCodePush
    app: str
    fleet: DeviceFleet
    clock: FleetClock
    root: Path
    installed_v1: FleetReport
    calls: list[str] = field(default_factory=list)

    async def release(self, name: str, rollout: int | None = None) -> str:
        bundle = self.root / name / "CodePush"
        bundle.mkdir(parents=True)
        (bundle / "main.jsbundle").write_text(f"console.log({name!r});")
        package = await self.cp.releases.release(self.app, DEPLOYMENT, bundle, BINARY,
                                                 rollout=rollout)
        assert package.label is not None
        return package.label

    async def metrics(self) -> dict[str, UpdateMetrics]:
        return dict(await self.cp.deployments.metrics(self.app, DEPLOYMENT))

    def reported(self, name: str) -> int:
        """A count summed over the fleet's cycles during the plan."""
        return sum(getattr(cycle, name) for cycle in self.clock.cycles)


def _forbid_record_metrics(target: Target, monkeypatch: pytest.MonkeyPatch) -> None:
    if target.emulator is not None:
        def refuse(*_args: object, **_kwargs: object) -> None:
            raise AssertionError("record_metrics was called: counters must come from reports")

        monkeypatch.setattr(target.emulator, "record_metrics", refuse)


@asynccontextmanager
async def rehearsal(
    target: Target, root: Path, monkeypatch: pytest.MonkeyPatch, failure_rate: float
) -> AsyncIterator[Rehearsal]:
    if target.traits.metrics_need_redis or not target.traits.serves_blobs:
        pytest.skip(f"{target.traits.name} keeps no metrics or serves no packages: no device "
                    "reports to judge a rollout on (nox -s official runs this on the official server "
                    "started with OFFICIAL_REDIS=1 OFFICIAL_BLOB_URLS=1)")
    _forbid_record_metrics(target, monkeypatch)
    clock = FleetClock()
    cp = await target.connect(target.access_key, clock=clock)
    async with target.app() as app:
        key = (await cp.deployments.get(app, DEPLOYMENT)).key
        assert key is not None
        fleet = cp.devices.fleet(key, BINARY, size=DEVICES, failure_rate=failure_rate,
                                 seed=22, concurrency=8)
        world = Rehearsal(cp, app, fleet, clock, root, installed_v1=await _v1_everywhere(
            cp, app, root, fleet))
        clock.fleet = fleet
        yield world


async def _v1_everywhere(cp: AsyncCodePush, app: str, root: Path, fleet: DeviceFleet
                         ) -> FleetReport:
    bundle = root / "v1" / "CodePush"
    bundle.mkdir(parents=True)
    (bundle / "main.jsbundle").write_text("console.log('v1');")
    await cp.releases.release(app, DEPLOYMENT, bundle, BINARY)
    saved, fleet.failure_rate = fleet.failure_rate, 0.0  # the release in the field is healthy
    try:
        return await fleet.cycle()
    finally:
        fleet.failure_rate = saved


def _stepped(outcome: RolloutOutcome) -> list[int]:
    return [e.rollout for e in outcome.events if isinstance(e, RolloutStepped)]


async def test_a_healthy_release_reaches_100_on_device_reports(
    target: Target, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with rehearsal(target, tmp_path, monkeypatch, failure_rate=0.0) as world:
        assert world.installed_v1.installed == DEVICES
        assert world.installed_v1.labels == {"v1": DEVICES}
        v2 = await world.release("v2", rollout=PLAN.steps[0])
        outcome = await world.cp.rollouts.advance(world.app, DEPLOYMENT, PLAN)
        everyone = await world.fleet.cycle()  # at 100 %, the devices left take it
        metrics = await world.metrics()

    assert (outcome.status, outcome.rollout, _stepped(outcome)) == ("completed", 100, [50, 100])
    assert len(world.clock.cycles) == 2  # one wait at 20 %, one at 50 %
    assert 0 < world.reported("downloaded") < DEVICES  # a part of the fleet at each step
    assert everyone.labels == {v2: DEVICES}
    assert metrics[v2] == UpdateMetrics(active=DEVICES, downloaded=DEVICES,
                                        installed=DEVICES, failed=0)
    assert metrics["v1"] == UpdateMetrics(active=0, downloaded=DEVICES, installed=DEVICES,
                                          failed=0)
    assert metrics[BINARY] == UpdateMetrics(active=0)  # every first run moved on to v1


async def test_a_failing_release_is_rolled_back_on_device_reports(
    target: Target, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with rehearsal(target, tmp_path, monkeypatch, failure_rate=0.5) as world:
        v2 = await world.release("v2", rollout=PLAN.steps[0])
        outcome = await world.cp.rollouts.advance(world.app, DEPLOYMENT, PLAN)
        history = await world.cp.releases.history(world.app, DEPLOYMENT)
        world.fleet.failure_rate = 0.0  # the rollback is v1's content: it starts
        after = await world.fleet.cycle()  # devices that took v2 get the rollback
        metrics = await world.metrics()

    assert (outcome.status, outcome.rollout) == ("rolled_back", PLAN.steps[0])
    downloaded, installed, failed = (world.reported(n) for n in ("downloaded", "installed",
                                                                  "failed"))
    assert failed > PLAN.gate.max_failure_rate * (installed + failed)
    assert outcome.metrics == UpdateMetrics(active=installed, downloaded=downloaded,
                                            installed=installed, failed=failed)
    rollback = history[-1]
    assert rollback.package_hash == history[0].package_hash  # v1's content again
    assert rollback.label is not None
    assert after.labels == {"v1": DEVICES - installed, rollback.label: installed}
    assert metrics[v2].active == 0  # every device that ran it moved to the rollback
    assert metrics[v2].failed == failed
