import asyncio
import os

from codepush_async import AsyncCodePush


async def main() -> None:
    key, url = os.environ["CODEPUSH_ACCESS_KEY"], os.environ["CODEPUSH_SERVER_URL"]
    async with AsyncCodePush(key, url) as cp:
        await cp.apps.create("MyApp-iOS", os="iOS", platform="React-Native")
        v1 = await cp.releases.release("MyApp-iOS", "Production", b"bundle 1", "1.4.0")
        await cp.releases.release("MyApp-iOS", "Production", b"bundle 2", "1.4.0")
        await cp.releases.patch("MyApp-iOS", "Production", "v2", is_disabled=True)
        await cp.releases.release("MyApp-iOS", "Production", b"bundle 3", "2.0.0")

        # A device on binary 1.4.0 that runs v1 reports it never gets an update. Why?
        why = await cp.devices.explain(
            "MyApp-iOS", "Production", "1.4.0",
            client_id="device-42", label="v1", package_hash=v1.package_hash,
        )
        print(why.rule, why.release)  # range v3
        print(why.text)
        # v3 targets binary 2.0.0, which does not cover 1.4.0, so the device stays on
        # what it runs.
        for skipped in why.skipped:
            print(skipped.label, skipped.rule)  # v3 range, then v2 disabled


asyncio.run(main())
