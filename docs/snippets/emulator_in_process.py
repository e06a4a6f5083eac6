import asyncio

from codepush_async import AsyncCodePush
from codepush_async.emulator import CodePushEmulator, ManualClock


async def main() -> None:
    clock = ManualClock()  # key expiry and rate limits follow it (and the client's waits)
    emu = CodePushEmulator(clock=clock, rate_limit=100, rate_limit_window=900)
    key = emu.create_account("dev@example.com")
    async with AsyncCodePush(key, "http://emulator", transport=emu.transport,
                             clock=clock) as cp:
        await cp.apps.create("MyApp", os="iOS", platform="React-Native")
        await cp.releases.release("MyApp", "Production", b"bundle", "1.0.0")
        emu.record_metrics("MyApp", "Production", "v1",
                           downloaded=10, installed=9, failed=1, active=9)

        emu.fail_next(503, times=2)  # the next two requests answer 503: the SDK retries
        print(await cp.deployments.metrics("MyApp", "Production"))
        emu.delay_next(120)  # beyond the read timeout: a timeout at once, no real wait
        print(await cp.apps.list())  # a read: retried after the timeout
        emu.fail_next(500, after_handler=True)  # stores the write, then answers 500
        created = await cp.apps.create("MyApp-Android")  # read back: it was stored
        print(created.name)

        for record in emu.requests:  # the recent requests, with their fate
            print(record.method, record.path, record.status)


asyncio.run(main())
