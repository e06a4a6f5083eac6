import asyncio
import os

from codepush_async import AsyncCodePush, RetryPolicy, Timeouts

retry = RetryPolicy(
    max_attempts=4,        # the first attempt included
    initial_backoff=0.5,   # seconds, then times multiplier up to max_backoff, with jitter
    multiplier=2,
    max_backoff=30,
    jitter=0.5,
    max_wait=900,          # wait out a whole 15-minute rate-limit window instead of raising
)


async def main() -> None:
    key, url = os.environ["CODEPUSH_ACCESS_KEY"], os.environ["CODEPUSH_SERVER_URL"]
    timeout = Timeouts(connect=5, read=30, write=60, pool=5)
    async with AsyncCodePush(key, url, timeout=timeout, retry=retry) as cp:
        print(await cp.apps.list())
        impatient = cp.with_options(timeout=2, retry=None)  # one call, no retries
        print(await impatient.account.is_authenticated())


asyncio.run(main())
