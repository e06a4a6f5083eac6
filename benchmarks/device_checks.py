"""Update checks per second a ``DeviceFleet`` drives against the served emulator, per client
core, beside the JS acquisition SDK (``script/acquisition-sdk.js`` of npm ``code-push@3.1.5``,
the code devices run) driving the same checks.

Scenario: one emulator (``python -m codepush_async.emulator``, uvicorn in its own process, so
the client's CPU is measured apart from the server's) with a deployment holding ``v1`` (1.0.0,
complete) and ``v2`` at a partial rollout. Each round, every client plays ``--devices`` fresh
devices (ids never seen before) at ``--concurrency``:
1. a cycle: every device reports its binary's first run, checks from it, downloads what is
   offered (``v1``, or ``v2`` when the rollout selects it), reports the download and the
   install (the fleet hash-checks each package once a cycle and discards the other
   downloads; the JS SDK's devices read and discard them: the acquisition SDK leaves
   downloads to the native plugin);
2. checks: every device checks again, sending the label and package hash it now runs (a
   device outside the rollout is checked against ``v2``'s percentage on every check).
The clients are the JS SDK under node (a keep-alive node http requester with the React Native
plugin's headers, benchmarks/_js_acquisition.js) and ``cp.devices.fleet(...)`` on each backend,
each in its own process, handed one round at a time in rotated order. Figures: checks per
client-process CPU second (per core) and per wall second, devices cycled per second; median
[p10..p90] over rounds, and per round the ratio to the JS SDK measured in the same round.
``--raw`` adds each backend alone doing the same requests (the floor under the fleet).

Node and npm must be on PATH; the JS SDK is installed into ``--cache`` on first use (as
``vs_js.py`` does). Usage: ``python benchmarks/device_checks.py [--backend httpx] [--rounds 10]
[--devices 1000] [--concurrency 32] [--raw]``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import importlib.util
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's package
sys.path.insert(0, str(Path(__file__).resolve().parent))
import vs_js
from _raw import BACKENDS, raw_client
from _stats import spread, verdict
from vs_js import Emulator, install_js_sdk

from codepush_async import AsyncCodePush

HERE = Path(__file__).resolve().parent
APP_VERSION = "1.0.0"
SDK_HEADERS = {"X-CodePush-SDK-Version": "3.1.5", "Accept": "application/json"}


async def seed(emulator: Emulator, rollout: int, package_size: int) -> str:
    """An app whose Production holds v1 (complete) and v2 at ``rollout`` %; its deployment key."""
    async with AsyncCodePush(emulator.key, emulator.url) as cp:
        await cp.apps.create("App", os="iOS", platform="React-Native")
        for index, percent in enumerate((None, rollout)):
            bundle = bytes([index]) * package_size
            await cp.releases.release("App", "Production", bundle, APP_VERSION, rollout=percent)
        return (await cp.deployments.get("App", "Production")).key


# ---- the Python client process: one JSON round per stdin line, one JSON answer per line


class RawFleet:
    """The backend alone, doing what a fleet's devices do: report the binary's first run, check
    (camelCase route, label and hash), download and hash what is offered, report the download
    and the install."""

    def __init__(self, client: Any, url: str, key: str, size: int, concurrency: int,
                 prefix: str) -> None:
        self.client, self.url, self.key = client, url, key
        self.ids = [f"{prefix}-{index}" for index in range(size)]
        self.concurrency = concurrency
        self.running: dict[str, tuple[str | None, str | None]] = {}

    async def cycle(self) -> dict[str, int]:
        counts = {"checked": 0, "offered": 0}
        pending = iter(self.ids)

        async def worker() -> None:
            for device in pending:
                await self.device(device, counts)

        await asyncio.gather(*(worker() for _ in range(self.concurrency)))
        return counts

    async def device(self, device: str, counts: dict[str, int]) -> None:
        query = {"deploymentKey": self.key, "appVersion": APP_VERSION, "clientUniqueId": device}
        if device not in self.running:  # the plugin reports a binary's first run
            self.running[device] = (None, None)
            await self.post("/reportStatus/deploy", {
                "deploymentKey": self.key, "appVersion": APP_VERSION, "clientUniqueId": device})
        label, package_hash = self.running[device]
        if label is not None and package_hash is not None:
            query |= {"label": label, "packageHash": package_hash}
        answer = await self.client.get(f"{self.url}/updateCheck?{urlencode(query)}",
                                       headers=SDK_HEADERS)
        info = json.loads(answer.content)["updateInfo"]
        counts["checked"] += 1
        if not info["isAvailable"]:
            return
        counts["offered"] += 1
        blob = await self.client.get(info["downloadURL"], headers={})
        assert hashlib.sha256(blob.content).hexdigest() == info["packageHash"]
        report = {"deploymentKey": self.key, "label": info["label"], "clientUniqueId": device}
        await self.post("/reportStatus/download", report)
        await self.post("/reportStatus/deploy", {
            **report, "appVersion": APP_VERSION, "status": "DeploymentSucceeded",
            "previousLabelOrAppVersion": label or APP_VERSION,
            **({"previousDeploymentKey": self.key} if label else {}),
        })
        self.running[device] = (info["label"], info["packageHash"])

    async def post(self, path: str, body: dict[str, str]) -> None:
        headers = {**SDK_HEADERS, "Content-Type": "application/json"}
        answer = await self.client.request("POST", self.url + path, headers=headers,
                                           content=json.dumps(body).encode())
        assert answer.status_code == 200, answer.content


def fleet_of(kind: str, client: Any, job: dict[str, Any]) -> Any:
    """The fleet a round drives: ``cp.devices.fleet`` or the backend alone (``raw``)."""
    if kind == "raw":
        return RawFleet(client, job["url"], job["key"], job["devices"], job["concurrency"],
                        job["prefix"])
    return client.devices.fleet(
        job["key"], APP_VERSION, size=job["devices"], concurrency=job["concurrency"],
        id_prefix=job["prefix"], seed=0,
    )


async def timed(fleet: Any) -> dict[str, float]:
    cpu, started = time.process_time(), time.perf_counter()
    report = await fleet.cycle()
    wall, used = time.perf_counter() - started, time.process_time() - cpu
    counts = report if isinstance(report, dict) else {
        "checked": report.checked, "offered": report.offered}
    return {"wall": wall, "cpu": used, **counts}


async def python_worker(backend: str, kind: str) -> None:
    """Serves rounds: a cycle of fresh devices, then their checks (label and hash)."""
    loop = asyncio.get_running_loop()
    client: Any = None
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        job = json.loads(line)
        if client is None:
            client = (raw_client(backend) if kind == "raw"
                      else AsyncCodePush(job["access_key"], job["url"], backend=backend))
        fleet = fleet_of(kind, client, job)
        cycle = await timed(fleet)
        checks = await timed(fleet)
        print(json.dumps({"cycle": cycle, "checks": checks}), flush=True)
    if client is not None:
        await client.aclose()


# ---- the driver


class Worker(vs_js.Worker):
    """A client process fed one JSON round at a time."""

    def ask(self, job: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps(job) + "\n")
        self.process.stdin.flush()
        answer: dict[str, Any] = json.loads(self.process.stdout.readline() or '{"error": "died"}')
        if "error" in answer:
            sys.exit(f"{self.name} failed: {answer['error']}")
        return answer


class JsWorker(Worker):
    """The JS SDK: the same round as two lines (a cycle, then the checks)."""

    def ask(self, job: dict[str, Any]) -> dict[str, Any]:
        line = {**job, "appVersion": APP_VERSION}
        cycle = super().ask({**line, "cycle": True})
        return {"cycle": cycle, "checks": super().ask({**line, "cycle": False})}


def workers_for(args: argparse.Namespace, js_folder: Path) -> list[Worker]:
    env = dict(os.environ)
    workers: list[Worker] = [JsWorker("JS SDK", [
        "node", str(HERE / "_js_acquisition.js"), str(js_folder), "bench", str(args.concurrency),
    ], env)]
    for backend in args.backends:
        for kind in ("fleet", "raw") if args.raw else ("fleet",):
            name = f"fleet ({backend})" if kind == "fleet" else f"raw {backend}"
            workers.append(Worker(name, [
                sys.executable, str(Path(__file__).resolve()), "--worker", backend, kind], env))
    return workers


def rates(row: dict[str, Any], phase: str) -> tuple[float, float]:
    """(per CPU second, per wall second) of a round's phase: checks, or devices cycled."""
    figures = row[phase]
    return figures["checked"] / figures["cpu"], figures["checked"] / figures["wall"]


def report(results: dict[str, list[dict[str, Any]]], args: argparse.Namespace) -> None:
    print(f"\n== {args.devices} devices at concurrency {args.concurrency}, v2 at "
          f"{args.rollout} %, {args.rounds} rounds ==")
    for phase, what in (("checks", "checks"), ("cycle", "devices cycled")):
        print(f"-- {phase}: {what} per client CPU second | per wall second")
        for name, rows in results.items():
            per_cpu, per_wall = zip(*(rates(row, phase) for row in rows), strict=True)
            offered = statistics.median(row[phase]["offered"] for row in rows)
            print(f"  {name:16} {spread(per_cpu):>28} /CPU s | {spread(per_wall):>28} /s"
                  f"  (offered {offered:g})")
        js = results["JS SDK"]
        for name, rows in results.items():
            if name == "JS SDK":
                continue
            cpu = [rates(row, phase)[0] / rates(base, phase)[0]
                   for row, base in zip(rows, js, strict=True)]
            wall = [rates(row, phase)[1] / rates(base, phase)[1]
                    for row, base in zip(rows, js, strict=True)]
            print(f"  {name} / JS SDK: per CPU second {spread(cpu)}x "
                  f"({verdict(statistics.median(cpu), 1.0, at_most=False)}), "
                  f"per wall second {spread(wall)}x")


def run(args: argparse.Namespace, js_folder: Path) -> None:
    emulator = Emulator(None)
    workers: list[Worker] = []
    try:
        key = asyncio.run(seed(emulator, args.rollout, args.package_size))
        workers = workers_for(args, js_folder)
        base = {"url": emulator.url, "key": key, "access_key": emulator.key,
                "devices": args.devices, "concurrency": args.concurrency}
        for worker in workers:  # warm-up, not counted
            worker.ask({**base, "prefix": f"warm-{worker.name}"})
        results: dict[str, list[dict[str, Any]]] = {w.name: [] for w in workers}
        for index in range(args.rounds):
            shift = index % len(workers)
            for worker in workers[shift:] + workers[:shift]:
                job = {**base, "prefix": f"r{index}-{worker.name}"}
                results[worker.name].append(worker.ask(job))
        report(results, args)
    finally:
        for worker in workers:
            worker.stop()
        emulator.stop()


def main() -> None:
    if sys.argv[1:2] == ["--worker"]:
        asyncio.run(python_worker(sys.argv[2], sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", action="append", choices=BACKENDS)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rollout", type=int, default=50)
    parser.add_argument("--package-size", type=int, default=4096)
    parser.add_argument("--raw", action="store_true", help="also each backend alone (the floor)")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache/codepush-async-bench")
    args = parser.parse_args()
    # The emulator and the client processes import this checkout's package too.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(HERE.parent), os.environ.get("PYTHONPATH")])
    )
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is needed for this benchmark")
    installed = [b for b in BACKENDS if importlib.util.find_spec(b) is not None]
    args.backends = args.backend or installed
    js_folder = install_js_sdk(args.cache)
    print("figures: median [p10..p90] over rotated rounds; the machine is shared, so absolute")
    print("rates are noise and the per-round ratios are the result")
    run(args, js_folder)


if __name__ == "__main__":
    main()
