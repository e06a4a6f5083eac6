"""N calls against an emulator limited to L per window: wall time vs the theoretical minimum.

The emulator runs in-process with the real clock; the calls go to ``GET /authenticated``
(rate limited like the release route) from ``--concurrency`` tasks sharing one client.
The theoretical minimum is ``(ceil(N / L) - 1) * window``: the last window cannot open
sooner. Prints the ratio (target <= 1.05x) and the 429s the caller saw (target 0).
Usage: ``python benchmarks/rate_limit.py [--calls 150] [--limit 50] [--window 30]``.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time

import anyio

from codepush_async import AsyncCodePush, RateLimitError
from codepush_async.emulator import CodePushEmulator


async def run(calls: int, limit: int, window: float, concurrency: int) -> None:
    emulator = CodePushEmulator(rate_limit=limit, rate_limit_window=window)
    key = emulator.create_account("bench@example.com")
    caller_saw_429 = 0
    done = 0

    async with AsyncCodePush(key, "http://emulator", transport=emulator.transport) as cp:
        pending = iter(range(calls))

        async def worker() -> None:
            nonlocal caller_saw_429, done
            for _ in pending:
                try:
                    assert await cp.account.is_authenticated()
                    done += 1
                except RateLimitError:
                    caller_saw_429 += 1

        started = time.perf_counter()
        async with anyio.create_task_group() as tg:
            for _ in range(concurrency):
                tg.start_soon(worker)
        elapsed = time.perf_counter() - started

    minimum = (math.ceil(calls / limit) - 1) * window
    wire_429 = sum(1 for r in emulator.requests if r.status == 429)
    print(f"calls: {calls}, limit: {limit} per {window:g} s, concurrency: {concurrency}")
    print(f"succeeded: {done}")
    print(f"wall time: {elapsed:.2f} s; theoretical minimum: {minimum:.2f} s")
    if minimum:
        print(f"wall time / minimum: {elapsed / minimum:.3f}x (target <= 1.05x)")
    print(f"429s the caller saw: {caller_saw_429} (target 0); 429s on the wire: {wire_429}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=150)
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--window", type=float, default=30.0)
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(run(args.calls, args.limit, args.window, args.concurrency))


if __name__ == "__main__":
    main()
