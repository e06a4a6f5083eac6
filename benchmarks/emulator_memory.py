"""Memory growth of the in-process emulator per 100 releases: bounded (the defaults) vs a baseline.

The baseline is the emulator as it was before its memory was bounded: every request recorded
with its whole body (``request_log_size=None, request_body_limit=None``) and no blob ever freed
(``store.free_blobs`` disabled). Both emulators live side by side and take turns, 100 releases
each (``--step``) through the SDK, and tracemalloc measures what each turn leaves allocated:
only the emulator of that turn allocates, so the difference is its growth. Turns after both the
request log and the history (50) are full are the steady state, where the bounded emulator must
stop growing. Prints each turn, the median and spread of the steady turns, and their ratio.
Usage: ``python benchmarks/emulator_memory.py [--releases 1300] [--size 65536] [--step 100]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import statistics
import tracemalloc
from collections.abc import Iterable
from dataclasses import dataclass, field

from codepush_async import AsyncCodePush
from codepush_async.emulator import CodePushEmulator
from codepush_async.emulator._emulator import REQUEST_LOG_SIZE
from codepush_async.emulator._store import MAX_HISTORY, Package

MB = 1024 * 1024


@dataclass
class Variant:
    name: str
    emulator: CodePushEmulator
    client: AsyncCodePush
    growth: list[int] = field(default_factory=list)
    released: int = 0


def baseline_emulator() -> CodePushEmulator:
    emulator = CodePushEmulator(rate_limit=None, request_log_size=None, request_body_limit=None)

    def keep_every_blob(dropped: Iterable[Package]) -> None:
        """The previous behaviour: blobs outlive the releases that referenced them."""

    emulator.store.free_blobs = keep_every_blob  # type: ignore[method-assign]
    return emulator


async def release_turn(variant: Variant, step: int, size: int) -> None:
    """``step`` releases of distinct ``size``-byte bundles; records what the turn left behind."""
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(step):
        variant.released += 1
        bundle = variant.released.to_bytes(8, "big") + os.urandom(size - 8)
        await variant.client.releases.release("App", "Staging", bundle, "1.0.0")
    gc.collect()
    variant.growth.append(tracemalloc.get_traced_memory()[0] - before)


def recorded_bytes(emulator: CodePushEmulator) -> int:
    return sum(len(record.body) for record in emulator.requests)


async def main(releases: int, size: int, step: int) -> None:
    tracemalloc.start()
    async with contextlib.AsyncExitStack() as stack:
        variants: list[Variant] = []
        for name, emulator in (
            ("baseline", baseline_emulator()),
            ("bounded", CodePushEmulator(rate_limit=None)),
        ):
            key = emulator.create_account("bench@example.com")
            client = await stack.enter_async_context(
                AsyncCodePush(key, "http://emulator", transport=emulator.transport, retry=None)
            )
            await client.apps.create("App")
            variants.append(Variant(name, emulator, client))
        await measure(variants, releases, size, step)


async def measure(variants: list[Variant], releases: int, size: int, step: int) -> None:

    turns = releases // step
    print(f"{turns} turns of {step} releases of {size} bytes each, per emulator (tracemalloc)")
    print(f"{'releases':>9} {'baseline MB':>12} {'bounded MB':>11}")
    for turn in range(turns):
        for variant in variants:
            await release_turn(variant, step, size)
        print(
            f"{(turn + 1) * step:>9} {variants[0].growth[-1] / MB:>12.2f}"
            f" {variants[1].growth[-1] / MB:>11.2f}"
        )

    steady_from = -(-max(REQUEST_LOG_SIZE, MAX_HISTORY) // step)  # turns that fill both
    print(f"\nsteady state: the turns after release {steady_from * step} (log and history full)")
    medians = {}
    for variant in variants:
        steady = variant.growth[steady_from:]
        if not steady:
            raise SystemExit(f"--releases must be at least {(steady_from + 1) * step}")
        medians[variant.name] = statistics.median(steady)
        spread = (max(steady) - min(steady)) / MB
        store = variant.emulator.store
        print(
            f"{variant.name:>9}: growth per {step} releases median {medians[variant.name] / MB:.2f}"
            f" MB (spread {spread:.2f} MB over {len(steady)} turns); blobs stored"
            f" {len(store.blobs)} ({store.blobs.size / MB:.1f} MB), requests recorded"
            f" {len(variant.emulator.requests)} ({recorded_bytes(variant.emulator) / MB:.1f} MB)"
        )
    bounded = max(medians["bounded"], 1)
    print(f"baseline growth / bounded growth: {medians['baseline'] / bounded:.0f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--releases", type=int, default=1300, help="per emulator")
    parser.add_argument("--size", type=int, default=64 * 1024, help="bytes per bundle")
    parser.add_argument("--step", type=int, default=100, help="releases per turn")
    args = parser.parse_args()
    asyncio.run(main(args.releases, args.size, args.step))
