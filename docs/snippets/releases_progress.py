import asyncio
import os

from codepush_async import AsyncCodePush


def on_progress(sent: int, total: int) -> None:  # or an async function
    print(f"\r{sent * 100 // total:3d}% of {total} bytes", end="\n" if sent == total else "")


async def main() -> None:
    key, url = os.environ["CODEPUSH_ACCESS_KEY"], os.environ["CODEPUSH_SERVER_URL"]
    async with AsyncCodePush(key, url) as cp:
        await cp.apps.create("MyApp-iOS", os="iOS", platform="React-Native")
        package = await cp.releases.release(
            "MyApp-iOS", "Staging", "build/CodePush", "~1.4.0",
            description="Fix login crash", on_progress=on_progress,
        )
        print(package.label, package.package_hash)

        again = await cp.releases.release(
            "MyApp-iOS", "Staging", "build/CodePush", "~1.4.0", no_duplicate_release_error=True
        )
        print(again)  # None: identical to the current release, nothing new was stored


asyncio.run(main())
