"""SDK vs the raw HTTP client doing the same requests, on each backend, against ``_canned.py``.

The server runs in its own process. For each installed backend (aiohttp, httpx2, httpx):

- sequential: ``apps.list``, a 50-package ``history`` and ``patch``; each round times a batch
  of SDK calls and a batch of the same raw requests (order alternating), the figure is the
  per-round ratio SDK / raw (target <= 1.10x);
- concurrent: 2000 mixed calls (app get, deployment get, history, patch) at concurrency 16
  and 64, SDK then raw or raw then SDK, ratio of wall times (target <= 1.10x).

The raw side sends the same requests (method, path, headers and body) and parses each JSON
answer; the SDK also checks and decodes them into models. A ``patch`` is two requests on both
sides: the SDK reads the deployment's history before the write (to prove the write by
identity, see ``_resources/_effects.py``), so the raw side GETs the history, then PATCHes.
Prints medians and p10..p90 spreads. Usage:
``python benchmarks/overhead.py [--rounds 30] [--batch 20] [--concurrent-rounds 6]``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.util
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _raw import BACKENDS, raw_client
from _stats import spread, verdict

from codepush_async import AsyncCodePush, __version__

HERE = Path(__file__).resolve().parent
KEY = "benchmark-key-0123456789"
DEP = "/apps/App/deployments/Production"
PATCH_BODY = json.dumps({"packageInfo": {"description": "bench"}}, separators=(",", ":"))

Call = Callable[[], Awaitable[Any]]


def sdk_calls(cp: AsyncCodePush) -> dict[str, Call]:
    return {
        "apps.list": cp.apps.list,
        "apps.get": lambda: cp.apps.get("App"),
        "deployments.get": lambda: cp.deployments.get("App", "Production"),
        "history": lambda: cp.releases.history("App", "Production"),
        "patch": lambda: cp.releases.patch("App", "Production", description="bench"),
    }


def raw_calls(client: Any, url: str, backend: str) -> dict[str, Call]:
    headers = {
        "Accept": "application/vnd.code-push.v2+json",
        "User-Agent": f"codepush-async/{__version__} (bench; {backend})",
        "X-CodePush-SDK-Version": __version__,
        "Authorization": f"Bearer {KEY}",
    }
    json_headers = {**headers, "Content-Type": "application/json;charset=UTF-8"}

    def get(path: str) -> Call:
        async def call() -> Any:
            response = await client.get(url + path, headers=headers)
            return json.loads(response.content)

        return call

    history = get(DEP + "/history")

    async def patch() -> Any:
        await history()  # what the SDK reads before the write
        response = await client.patch(
            url + DEP + "/release", headers=json_headers, content=PATCH_BODY.encode()
        )
        return json.loads(response.content)

    return {
        "apps.list": get("/apps"),
        "apps.get": get("/apps/App"),
        "deployments.get": get(DEP),
        "history": history,
        "patch": patch,
    }


async def batch(call: Call, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        await call()
    return time.perf_counter() - started


async def concurrent(calls: dict[str, Call], total: int, concurrency: int) -> float:
    mix = [calls["apps.get"], calls["deployments.get"], calls["history"], calls["patch"]]
    counter = iter(range(total))

    async def worker() -> None:
        for index in counter:
            await mix[index % len(mix)]()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


async def run_backend(backend: str, url: str, args: argparse.Namespace) -> None:
    module = importlib.import_module(backend)
    print(f"\n== backend {backend} {module.__version__} ==")
    async with AsyncCodePush(KEY, url, backend=backend, flavor="official") as cp, \
            raw_client(backend) as client:
        sdk, raw = sdk_calls(cp), raw_calls(client, url, backend)
        for name in sdk:  # warm both connection pools and every code path
            await sdk[name]()
            await raw[name]()
        print(f"sequential, {args.rounds} rounds of {args.batch} calls each side")
        for name in ("apps.list", "history", "patch"):
            ratios, sdk_us, raw_us = [], [], []
            for index in range(args.rounds):
                if index % 2:
                    raw_t = await batch(raw[name], args.batch)
                    sdk_t = await batch(sdk[name], args.batch)
                else:
                    sdk_t = await batch(sdk[name], args.batch)
                    raw_t = await batch(raw[name], args.batch)
                ratios.append(sdk_t / raw_t)
                sdk_us.append(sdk_t / args.batch * 1e6)
                raw_us.append(raw_t / args.batch * 1e6)
            ratio = statistics.median(ratios)
            print(f"  {name:10} SDK {statistics.median(sdk_us):7.0f} us/call, raw "
                  f"{statistics.median(raw_us):7.0f} us/call, SDK/raw {spread(ratios)}x "
                  f"({verdict(ratio, 1.10)})")
        for concurrency in (16, 64):
            ratios, sdk_s, raw_s = [], [], []
            for index in range(args.concurrent_rounds):
                if index % 2:
                    raw_t = await concurrent(raw, args.calls, concurrency)
                    sdk_t = await concurrent(sdk, args.calls, concurrency)
                else:
                    sdk_t = await concurrent(sdk, args.calls, concurrency)
                    raw_t = await concurrent(raw, args.calls, concurrency)
                ratios.append(sdk_t / raw_t)
                sdk_s.append(sdk_t)
                raw_s.append(raw_t)
            if not ratios:
                continue
            ratio = statistics.median(ratios)
            print(f"  concurrency {concurrency:2}, {args.calls} mixed calls: SDK "
                  f"{statistics.median(sdk_s):.3f} s, raw {statistics.median(raw_s):.3f} s, "
                  f"SDK/raw {spread(ratios)}x ({verdict(ratio, 1.10)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrent-rounds", type=int, default=6)
    parser.add_argument("--backend", action="append", choices=BACKENDS)
    args = parser.parse_args()
    backends = args.backend or [
        name for name in BACKENDS if importlib.util.find_spec(name) is not None
    ]
    server = subprocess.Popen(
        [sys.executable, str(HERE / "_canned.py")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        url = f"http://127.0.0.1:{server.stdout.readline().strip()}"
        print("figures: median [p10..p90] over interleaved rounds; the machine is shared,")
        print("so absolute times are noise and the ratios are the result")
        for backend in backends:
            asyncio.run(run_backend(backend, url, args))
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
