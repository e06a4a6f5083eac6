import asyncio
import os

from codepush_async import AsyncCodePush, PackageChangedError, prepare_release


async def main() -> None:
    key, url = os.environ["CODEPUSH_ACCESS_KEY"], os.environ["CODEPUSH_SERVER_URL"]
    async with AsyncCodePush(key, url) as cp:
        for app in ("MyApp-iOS", "MyApp-Android"):
            await cp.apps.create(app, os="iOS" if app.endswith("iOS") else "Android",
                                 platform="React-Native")

        async with prepare_release("build/CodePush") as prepared:  # zipped and hashed once
            print(prepared.size, prepared.package_hash)
            for app in ("MyApp-iOS", "MyApp-Android"):
                try:
                    package = await cp.releases.release(
                        app, "Staging", prepared.contents, "1.4.0"
                    )
                except PackageChangedError as error:  # the file changed during the upload
                    print(f"not released: {error.path} changed ({error.change})")
                    raise
                assert package.package_hash == prepared.package_hash
                print(app, package.label)
        # the temp zip is removed here


asyncio.run(main())
