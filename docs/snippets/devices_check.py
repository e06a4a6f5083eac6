import asyncio
import os

from codepush_async import AsyncCodePush


async def main() -> None:
    key, url = os.environ["CODEPUSH_ACCESS_KEY"], os.environ["CODEPUSH_SERVER_URL"]
    async with AsyncCodePush(key, url) as cp:
        await cp.apps.create("MyApp-iOS", os="iOS", platform="React-Native")
        await cp.releases.release("MyApp-iOS", "Production", "build/CodePush", "1.4.0")
        deployment_key = (await cp.deployments.get("MyApp-iOS", "Production")).key

        # What a device on binary 1.4.0 that runs no update yet is told:
        update = await cp.devices.check(deployment_key, "1.4.0", client_id="device-42")
        print(update.reason.value, update.label, update.why)
        # UPDATE v1 an update to v1 is offered (... bytes).

        # It downloads the package (hash-checked), then reports it as a device does:
        package = await cp.devices.download(update, ".")  # a folder: ./v1.zip
        await cp.devices.report_download(deployment_key, "v1", client_id="device-42")
        await cp.devices.report_deploy(
            deployment_key, "1.4.0", client_id="device-42", label="v1",
            status="DeploymentSucceeded",
        )
        print(package.name, (await cp.deployments.metrics("MyApp-iOS", "Production"))["v1"])


asyncio.run(main())
