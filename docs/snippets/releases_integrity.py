import asyncio
import os

from codepush_async import AsyncCodePush, ReleaseIntegrityError


async def main() -> None:
    key, url = os.environ["CODEPUSH_ACCESS_KEY"], os.environ["CODEPUSH_SERVER_URL"]
    async with AsyncCodePush(key, url) as cp:
        await cp.apps.create("MyApp-iOS", os="iOS", platform="React-Native")
        try:
            await cp.releases.release("MyApp-iOS", "Production", "build/CodePush", "1.4.0")
        except ReleaseIntegrityError as error:
            print(f"{error.label} holds {error.actual_hash}, not {error.expected_hash}")
            await cp.releases.patch(error.app, error.deployment, error.label, is_disabled=True)
            raise  # then release again, one at a time


asyncio.run(main())
