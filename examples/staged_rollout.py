"""A health-gated staged rollout, 5 % -> 25 % -> 50 % -> 100 %, on the embedded emulator.

The plan waits two hours at each step; a fast clock (one the client and the emulator share)
makes those hours pass in about a second, and simulated devices report installs while the
plan waits. Run it: ``python examples/staged_rollout.py``.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import anyio

from codepush_async import (
    AsyncCodePush,
    HealthGate,
    RolloutCompleted,
    RolloutEvent,
    RolloutOutcome,
    RolloutPlan,
    RolloutStepped,
    RolloutWaiting,
)
from codepush_async.emulator import CodePushEmulator

APP, DEPLOYMENT = "StagedRollout", "Production"
PLAN = RolloutPlan(
    steps=(5, 25, 50, 100),
    interval=timedelta(hours=2),
    gate=HealthGate(max_failure_rate=0.02, min_downloads=200),
    on_breach="rollback",
)


class FastClock:
    """Epoch seconds that run ``speed`` times faster than real time (an SDK ``Clock``)."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self._now = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc).timestamp()

    def now(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(max(seconds, 0) / self.speed)
        self._now += max(seconds, 0)


def at(clock: FastClock) -> str:
    return datetime.fromtimestamp(clock.now(), tz=timezone.utc).strftime("%a %H:%M")


async def main(speed: float = 3 * 7200.0) -> RolloutOutcome:
    clock = FastClock(speed)
    emulator = CodePushEmulator(clock=clock.now)
    key = emulator.create_account("release-bot@example.com")
    async with AsyncCodePush(key, "http://emulator", transport=emulator.transport,
                             clock=clock) as cp:
        await cp.apps.create(APP, os="iOS", platform="React-Native")
        with tempfile.TemporaryDirectory() as workdir:
            bundle = Path(workdir) / "CodePush"
            bundle.mkdir()
            (bundle / "main.jsbundle").write_text("console.log('v1.2.1');\n")
            release = await cp.releases.release(APP, DEPLOYMENT, bundle, "1.2.x", rollout=5)
        print(f"{at(clock)}  released {release.label} to {DEPLOYMENT} at {release.rollout}%")

        events: list[RolloutEvent] = []
        async for event in cp.rollouts.run(APP, DEPLOYMENT, PLAN):
            events.append(event)
            print(f"{at(clock)}  {event}")
            if isinstance(event, RolloutWaiting):
                # While the plan waits, the devices now getting the update report back:
                # 60 per rollout percent, one failed install in a hundred.
                reached = 60 * event.rollout
                emulator.record_metrics(APP, DEPLOYMENT, "v1", downloaded=reached,
                                        installed=reached - reached // 100,
                                        failed=reached // 100)
        outcome = RolloutOutcome.from_events(events)
        stepped = [e.rollout for e in events if isinstance(e, RolloutStepped)]
        done = isinstance(events[-1], RolloutCompleted)
        print(f"{at(clock)}  outcome: {outcome.status}, {outcome.reason} "
              f"(raised to {stepped}, completed: {done})")
        await cp.apps.remove(APP)
        return outcome


if __name__ == "__main__":
    asyncio.run(main())
