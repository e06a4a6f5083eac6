"""``cp.bulk.patch`` over 200 apps under a server limit of L requests per window.

The emulator runs in-process in the ``/api/v1`` dialect, which counts every request per
token. Client and emulator share one fast clock (``--speed`` virtual seconds per real
second), so a real-sized window (900 s) passes in seconds and the 1 s rounding of the
``X-RateLimit-Reset`` header costs what it would on a real server. The theoretical
minimum for the R requests the run made is ``(ceil(R / L) - 1) * window``: the last
window cannot open sooner. The client may wait a whole window (``RetryPolicy(max_wait=
window)``; the default 120 s would report the items as ``RateLimitError``). Prints, per
round and as median and spread over the rounds, wall / minimum (target <= 1.10x), and
the 429s the caller saw (target 0).
Usage: ``python benchmarks/bulk.py [--targets 200] [--limit 100] [--window 900]
[--speed 200] [--concurrency 8] [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import time

import anyio

from codepush_async import AsyncCodePush, RateLimitError, RetryPolicy
from codepush_async.emulator import CodePushEmulator

EMAIL = "bench@example.com"


class FastClock:
    """Epoch seconds running ``speed`` times faster than real time, for both sides."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self._origin_real = time.monotonic()
        self._origin = 1_700_000_000.0

    def __call__(self) -> float:  # the emulator's clock
        return self.now()

    def now(self) -> float:
        return self._origin + (time.monotonic() - self._origin_real) * self.speed

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds / self.speed)


async def make_fleet(emulator: CodePushEmulator, clock: FastClock, targets: int) -> list[str]:
    """The apps, each with one Staging release (set up with the limit reset as it goes)."""
    key = emulator.create_access_key(EMAIL)
    names = [f"Fleet-{i:03d}" for i in range(targets)]
    async with AsyncCodePush(key, "http://emulator", dialect="v1", transport=emulator.transport,
                             clock=clock) as cp:
        for name in names:
            emulator.reset_rate_limits()
            await cp.apps.create(name)
            await cp.releases.release(name, "Staging", f"bundle {name}".encode(), "1.0.0")
    emulator.reset_rate_limits()
    emulator.clear_requests()
    return names


async def round_(targets: int, limit: int, window: float, speed: float,
                 concurrency: int) -> tuple[float, int, int, int, float]:
    """One run: (wall / minimum, requests, 429s the caller saw, 429s on the wire, real s)."""
    clock = FastClock(speed)
    emulator = CodePushEmulator("v1", clock=clock, rate_limit=limit, rate_limit_window=window)
    emulator.create_account(EMAIL)
    names = await make_fleet(emulator, clock, targets)
    key = emulator.create_access_key(EMAIL)
    retry = RetryPolicy(max_wait=window)  # may wait a whole window (the default is 120 s)
    async with AsyncCodePush(key, "http://emulator", dialect="v1", transport=emulator.transport,
                             clock=clock, retry=retry) as cp:
        started, real_started = clock.now(), time.perf_counter()
        result = await cp.bulk.patch(names, "Staging", description="fleet-wide",
                                     concurrency=concurrency)
        elapsed, real = clock.now() - started, time.perf_counter() - real_started
    assert len(result.done) == targets, [i.error for i in result.failed][:3]
    requests = len(emulator.requests)
    minimum = (math.ceil(requests / limit) - 1) * window
    seen = sum(isinstance(item.error, RateLimitError) for item in result.failed)
    wire = sum(1 for r in emulator.requests if r.status == 429)
    return elapsed / minimum, requests, seen, wire, real


async def run(targets: int, limit: int, window: float, speed: float, concurrency: int,
              rounds: int) -> None:
    print(f"targets: {targets}, limit: {limit} requests per {window:g} s (v1, per token), "
          f"concurrency: {concurrency}, clock x{speed:g}")
    ratios = []
    for number in range(1, rounds + 1):
        ratio, requests, seen, wire, real = await round_(targets, limit, window, speed,
                                                         concurrency)
        ratios.append(ratio)
        print(f"round {number}: {requests} requests, wall / minimum {ratio:.3f}x, "
              f"429s the caller saw: {seen}, 429s on the wire: {wire} ({real:.1f} s real)")
    spread = max(ratios) - min(ratios)
    print(f"wall / minimum: median {statistics.median(ratios):.3f}x, spread {spread:.3f} "
          f"over {rounds} rounds (target <= 1.10x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--targets", type=int, default=200)
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--window", type=float, default=900.0)
    parser.add_argument("--speed", type=float, default=200.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(args.targets, args.limit, args.window, args.speed, args.concurrency,
                    args.rounds))


if __name__ == "__main__":
    main()
