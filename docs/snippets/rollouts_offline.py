import asyncio
from datetime import timedelta

from codepush_async import AsyncCodePush, HealthGate, RolloutPlan
from codepush_async.emulator import CodePushEmulator, ManualClock

plan = RolloutPlan(
    steps=(5, 25, 50, 100),
    interval=timedelta(hours=2),          # or seconds
    gate=HealthGate(max_failure_rate=0.02, min_downloads=200),
    on_breach="rollback",                 # or "disable" (is_disabled=True) or "halt"
    on_no_metrics="halt",                 # or "advance"
)


async def main() -> None:
    clock = ManualClock()  # its sleep() moves time forward at once: the hours pass instantly
    emulator = CodePushEmulator(clock=clock)
    key = emulator.create_account("release-bot@example.com")
    async with AsyncCodePush(key, "http://emulator", transport=emulator.transport,
                             clock=clock) as cp:
        await cp.apps.create("MyApp", os="iOS", platform="React-Native")
        await cp.releases.release("MyApp", "Production", b"bundle", "1.4.0", rollout=5)
        # the devices report: 300 downloads, 3 failed installs (1 %)
        emulator.record_metrics("MyApp", "Production", "v1",
                                downloaded=300, installed=297, failed=3, active=297)

        async for event in cp.rollouts.run("MyApp", "Production", plan):  # the current release
            print(event)  # "rollout raised to 25% (300 downloaded, 297 installed, 3 failed)"
        outcome = await cp.rollouts.advance("MyApp", "Production", plan)  # nothing left to do
        print(outcome.status, outcome.rollout, outcome.reason)


asyncio.run(main())
