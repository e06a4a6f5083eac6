import asyncio
import os

from codepush_async import AsyncCodePush, verify_release


async def main() -> None:
    key, url = os.environ["CODEPUSH_ACCESS_KEY"], os.environ["CODEPUSH_SERVER_URL"]
    async with AsyncCodePush(key, url) as cp:
        await cp.apps.create("MyApp-iOS", os="iOS", platform="React-Native")
        await cp.releases.release(
            "MyApp-iOS", "Production", "build/CodePush", "1.4.0",
            private_key="keys/private.pem",
        )
        # What does Production really serve? Download its current release, hash-checked:
        path = await cp.releases.download(
            "MyApp-iOS", "Production", dest="production.zip",
            on_progress=lambda done, total: print(f"{done}/{total} bytes"),
        )
        await verify_release(path, "keys/public.pem")  # and check its code signature
        print(path)  # production.zip


asyncio.run(main())
