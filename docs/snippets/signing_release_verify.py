import asyncio
import os

import anyio
import httpx

from codepush_async import AsyncCodePush, verify_release


async def main() -> None:
    key, url = os.environ["CODEPUSH_ACCESS_KEY"], os.environ["CODEPUSH_SERVER_URL"]
    async with AsyncCodePush(key, url) as cp:
        await cp.apps.create("MyApp", os="iOS", platform="React-Native")
        private_key = "keys/private.pem"  # or the PEM as text or bytes
        package = await cp.releases.release("MyApp", "Production", "build/CodePush", "1.4.0",
                                            private_key=private_key)

        # What a device does: download the package and check its signature.
        assert package.blob_url is not None
        async with httpx.AsyncClient() as http:
            download = await http.get(package.blob_url)
        await anyio.Path("release.zip").write_bytes(download.raise_for_status().content)
        content_hash = await verify_release("release.zip", "keys/public.pem")
        print("signed content hash:", content_hash)


asyncio.run(main())
