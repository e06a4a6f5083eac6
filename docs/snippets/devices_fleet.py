import asyncio
import os

from codepush_async import AsyncCodePush


async def main() -> None:
    key, url = os.environ["CODEPUSH_ACCESS_KEY"], os.environ["CODEPUSH_SERVER_URL"]
    async with AsyncCodePush(key, url) as cp:
        await cp.apps.create("MyApp", os="iOS", platform="React-Native")
        await cp.releases.release("MyApp", "Staging", "build/CodePush", "1.4.0")
        deployment_key = (await cp.deployments.get("MyApp", "Staging")).key
        assert deployment_key is not None

        fleet = cp.devices.fleet(deployment_key, "1.4.0", size=200, failure_rate=0.05, seed=7)
        report = await fleet.cycle()  # every device launches once
        print(report)  # 200 checked, 200 offered, 200 downloaded, 189 installed, 11 failed (...)
        for call in report.errors:  # a call that failed: never dropped, never resent
            print(call)  # "device-17 report_deploy: OutcomeUnknownError: ..."

        again = await fleet.cycle()  # devices remember what they run
        print(again.offered, again.labels)  # 11 {'1.4.0': 11, 'v1': 189}: failed ones ignore it
        metrics = await cp.deployments.metrics("MyApp", "Staging")
        print(metrics["v1"])  # active=189, downloaded=200, installed=189, failed=11


asyncio.run(main())
