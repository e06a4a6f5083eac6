import asyncio
import os

from codepush_async import AsyncCodePush, RetryPolicy, Timeouts


async def main() -> None:
    async with AsyncCodePush(
        os.environ["CODEPUSH_ACCESS_KEY"],
        server_url=os.environ["CODEPUSH_SERVER_URL"],  # a path prefix (https://host/cp) is kept
        dialect="classic",     # or "v1" for the /api/v1 REST API (the SDK adds /api/v1)
        flavor="auto",         # classic servers: "official" or "community" skips the detection
        timeout=Timeouts(connect=10, read=60, write=60, pool=10),  # or one float, or None
        retry=RetryPolicy(),   # None disables retries
        backend="auto",        # or "httpx" or "httpx2"; auto: httpx2 when installed
        transport=None,        # an httpx (or httpx2) async transport, e.g. for tests
        http_client=None,      # your own httpx/httpx2 AsyncClient (left open on close)
        proxy=None,            # e.g. "http://proxy:3128"; uploads stream through it too
        headers={"X-Tenant": "blue"},  # extra headers sent with every request
        clock=None,            # an injectable clock (now/sleep) so tests never really sleep
        max_package_size=200 * 1024 * 1024,  # checked before an upload starts
        serialize_releases=True,  # this client's releases upload one at a time
    ) as cp:
        print(cp.backend, cp.flavor)  # flavor: None until the first telling answer
        quick = cp.with_options(timeout=5, retry=None)  # shares connections and rate limits
        print(await quick.apps.list())
        print(await cp.resolve_flavor())  # one read at most


asyncio.run(main())
