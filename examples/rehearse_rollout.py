"""Rehearse a staged rollout on 10,000 simulated devices, on the embedded emulator.

The devices run ``v1``; ``v2`` goes out at 1 %, then 5 %, 25 %, 50 % and 100 % behind a
health gate. While the plan waits at a step, every device launches once (``fleet.cycle()``):
it checks for an update, and those the rollout selects download ``v2``, report the
download and report the install (or, for ``--failure-rate`` of them, a failed install).
The plan judges each step on those reports only. The client's clock runs a cycle instead of
waiting, so a plan of days takes seconds. Run it: ``python examples/rehearse_rollout.py``
(``--failure-rate 0.05`` shows a rollback).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from codepush_async import (
    AsyncCodePush,
    DeviceFleet,
    HealthGate,
    RolloutEvent,
    RolloutOutcome,
    RolloutPlan,
)
from codepush_async.emulator import CodePushEmulator

APP, DEPLOYMENT, BINARY = "Rehearsal", "Production", "2.4.0"
PLAN = RolloutPlan(
    steps=(1, 5, 25, 50, 100),
    interval=timedelta(hours=6),
    gate=HealthGate(max_failure_rate=0.02, min_downloads=50),
    on_breach="rollback",
    max_hold=timedelta(days=1),  # a step still short of data after a day halts the plan
)


class FleetClock:
    """An SDK ``Clock`` on which each wait of the plan is one launch of every device."""

    def __init__(self, interval: float) -> None:
        self._now = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc).timestamp()
        self.interval = interval  # shorter waits (a retry's backoff) run no cycle
        self.fleet: DeviceFleet | None = None

    def now(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        self._now += max(seconds, 0)
        if self.fleet is not None and seconds >= self.interval:
            print(f"{self.at()}  devices: {await self.fleet.cycle()}")

    def at(self) -> str:
        return datetime.fromtimestamp(self._now, tz=timezone.utc).strftime("%a %H:%M")


async def release(cp: AsyncCodePush, text: str, rollout: int | None = None) -> str:
    with tempfile.TemporaryDirectory() as workdir:
        bundle = Path(workdir) / "CodePush"
        bundle.mkdir()
        (bundle / "main.jsbundle").write_text(f"console.log({text!r});\n")
        package = await cp.releases.release(APP, DEPLOYMENT, bundle, BINARY, rollout=rollout)
    assert package.label is not None
    return package.label


async def main(
    devices: int = 10_000, failure_rate: float = 0.005, plan: RolloutPlan = PLAN
) -> RolloutOutcome:
    clock = FleetClock(plan.interval)
    emulator = CodePushEmulator(clock=clock.now, request_log_size=0)
    key = emulator.create_account("release-bot@example.com")
    async with AsyncCodePush(key, "http://emulator", transport=emulator.transport,
                             clock=clock) as cp:
        await cp.apps.create(APP, os="Android", platform="React-Native")
        deployment_key = (await cp.deployments.get(APP, DEPLOYMENT)).key
        assert deployment_key is not None
        fleet = cp.devices.fleet(deployment_key, BINARY, size=devices, seed=2026,
                                 concurrency=64)
        label = await release(cp, "v1")
        print(f"{clock.at()}  released {label}; devices: {await fleet.cycle()}")

        fleet.failure_rate = failure_rate  # how often the new release fails to start
        label = await release(cp, "v2", rollout=plan.steps[0])
        print(f"{clock.at()}  released {label} at {plan.steps[0]}%")
        clock.fleet = fleet
        events: list[RolloutEvent] = []
        async for event in cp.rollouts.run(APP, DEPLOYMENT, plan):
            events.append(event)
            print(f"{clock.at()}  {event}")
        outcome = RolloutOutcome.from_events(events)
        clock.fleet = None
        if outcome.status == "rolled_back":
            fleet.failure_rate = 0.0  # the rollback is v1's content again: it starts
        print(f"{clock.at()}  outcome: {outcome.status}, {outcome.reason}; devices: "
              f"{await fleet.cycle()}")
        return outcome


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--failure-rate", type=float, default=0.005)
    args = parser.parse_args()
    started = time.perf_counter()
    asyncio.run(main(args.devices, args.failure_rate))
    print(f"rehearsed on {args.devices} devices in {time.perf_counter() - started:.1f} s")
