import asyncio
from datetime import timedelta

from codepush_async import AsyncCodePush, HealthGate, RolloutPlan, RolloutWaiting
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

        async for event in cp.rollouts.run("MyApp", "Production", plan):  # the current release
            print(event)  # "rollout raised to 25% (this step: 300 downloaded, ...)"
            if isinstance(event, RolloutWaiting):
                # while the plan waits, the devices report: 300 NEW downloads at each step,
                # 3 failed installs (1 %); each step is judged on its own new data
                emulator.record_metrics("MyApp", "Production", "v1",
                                        downloaded=300, installed=297, failed=3, active=297)
        outcome = await cp.rollouts.advance("MyApp", "Production", plan)  # nothing left to do
        print(outcome.status, outcome.rollout, outcome.reason)


asyncio.run(main())
