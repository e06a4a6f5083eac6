import asyncio
import os

from codepush_async import AsyncCodePush


async def main() -> None:
    key, url = os.environ["CODEPUSH_ACCESS_KEY"], os.environ["CODEPUSH_SERVER_URL"]
    async with AsyncCodePush(key, url) as cp:
        app = await cp.apps.create("MyApp-iOS", os="iOS", platform="React-Native")
        print(app.deployments)  # ('Production', 'Staging')

        staged = await cp.releases.release(
            "MyApp-iOS", "Staging", "build/CodePush", "~1.4.0", description="Fix login crash"
        )
        print("released", staged.label, "to Staging")

        promoted = await cp.releases.promote("MyApp-iOS", "Staging", "Production", rollout=25)
        print("promoted", promoted.label, f"at {promoted.rollout}%")
        await cp.releases.patch("MyApp-iOS", "Production", rollout=50)

        for package in await cp.releases.history("MyApp-iOS", "Production"):
            print(package.label, package.app_version, package.rollout, package.upload_time)
        print(await cp.deployments.metrics("MyApp-iOS", "Production"))


asyncio.run(main())
