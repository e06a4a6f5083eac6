import asyncio
import os
import ssl

import aiohttp

from codepush_async import AsyncCodePush

SERVER_URL = os.environ["CODEPUSH_SERVER_URL"]
ACCESS_KEY = os.environ["CODEPUSH_ACCESS_KEY"]


async def main() -> None:
    # The default: the fastest installed backend (aiohttp with the `aiohttp` extra).
    async with AsyncCodePush(ACCESS_KEY, SERVER_URL) as cp:
        print(cp.backend, len(await cp.apps.list()))

    # aiohttp's own connector as the transport: a private CA, a smaller pool.
    context = ssl.create_default_context()  # e.g. create_default_context(cafile="ca.pem")
    connector = aiohttp.TCPConnector(ssl=context, limit=32)
    async with AsyncCodePush(ACCESS_KEY, SERVER_URL, transport=connector) as cp:
        print(cp.backend)

    # Pinned: httpx, e.g. for a SOCKS proxy or an httpx transport of your own.
    async with AsyncCodePush(ACCESS_KEY, SERVER_URL, backend="httpx") as cp:
        print(cp.backend)


asyncio.run(main())
