"""The SDK vs the JS SDK ``code-push@3.1.5``: 500 mixed calls at concurrency 16, HTTP and HTTPS.

Two identical emulators are served on loopback ports (``python -m codepush_async.emulator``,
each in its own process, with a self-signed certificate for HTTPS). The mix is app get,
deployment get, history and patch. Each client (the JS SDK under node, and the SDK on each
installed backend) runs in its own process and is handed one round at a time; rounds rotate
the clients' order and alternate the emulators. Wall time and the client process's CPU per
call are the figures (median [p10..p90]); targets (issue 21): JS wall / SDK wall >= 1.2 over
HTTP and >= 2.5 over HTTPS (the JS SDK opens a connection per call), and less client CPU per
call than the JS SDK.
``--raw`` adds each backend alone doing the same requests: the floor under the SDK's figures.

The JS SDK is installed from npm into ``--cache`` (default ``~/.cache/codepush-async-bench``)
on first use; node, npm and openssl must be on PATH. Usage:
``python benchmarks/vs_js.py [--rounds 10] [--calls 500] [--concurrency 16]``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _raw import BACKENDS
from _stats import spread, verdict

from codepush_async import AsyncCodePush

HERE = Path(__file__).resolve().parent
JS_SDK = "code-push@3.1.5"

PY_WORKER = r"""
import asyncio, json, ssl, sys, time
from codepush_async import AsyncCodePush

backend, calls, concurrency, cafile = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
raw = sys.argv[5] == "raw"  # the backend alone, same requests: what bounds the SDK
sys.path.insert(0, sys.argv[6])
from _raw import raw_client, sdk_transport
clients = {}

def client(url, key):
    if url not in clients:
        context = ssl.create_default_context(cafile=cafile) if url.startswith("https:") else None
        if raw:
            clients[url] = raw_client(backend, context)
        else:
            transport = sdk_transport(backend, context)
            clients[url] = AsyncCodePush(key, url, backend=backend, transport=transport)
    return clients[url]

def raw_mix(client, url, key):
    headers = {"Accept": "application/vnd.code-push.v2+json", "Authorization": f"Bearer {key}"}
    dep = url + "/apps/App/deployments/Production"

    async def get(path):
        return json.loads((await client.get(path, headers=headers)).content)

    async def patch(i):
        body = json.dumps({"packageInfo": {"label": "v1", "description": f"raw {i}"}})
        response = await client.patch(
            dep + "/release", content=body.encode(),
            headers={**headers, "Content-Type": "application/json;charset=UTF-8"},
        )
        return json.loads(response.content)

    return [
        lambda i: get(url + "/apps/App"),
        lambda i: get(dep),
        lambda i: get(dep + "/history"),
        patch,
    ]

async def one_round(url, key):
    cp = client(url, key)
    mix = raw_mix(cp, url, key) if raw else [
        lambda i: cp.apps.get("App"),
        lambda i: cp.deployments.get("App", "Production"),
        lambda i: cp.releases.history("App", "Production"),
        lambda i: cp.releases.patch("App", "Production", "v1", description=f"py {i}"),
    ]
    counter = iter(range(calls))
    async def worker():
        for index in counter:
            await mix[index % 4](index)
    cpu, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - started
    return {"wall": wall, "cpu_ms_per_call": (time.process_time() - cpu) * 1000 / calls}

async def main():
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        url, key = line.split()
        print(json.dumps(await one_round(url, key)), flush=True)
    for cp in clients.values():
        await cp.aclose()

asyncio.run(main())
"""


def install_js_sdk(cache: Path) -> Path:
    folder = cache / "code-push-3.1.5"
    if not (folder / "node_modules" / "code-push" / "package.json").exists():
        folder.mkdir(parents=True, exist_ok=True)
        print(f"installing {JS_SDK} from npm into {folder}", flush=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--silent", "--prefix", str(folder),
             JS_SDK],
            check=True,
        )
    return folder


def make_certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


class Emulator:
    """``python -m codepush_async.emulator`` on a free port, in its own process."""

    def __init__(self, tls: tuple[Path, Path] | None) -> None:
        command = [sys.executable, "-m", "codepush_async.emulator", "--port", "0",
                   "--rate-limit", "0"]
        if tls is not None:
            command += ["--ssl-certfile", str(tls[0]), "--ssl-keyfile", str(tls[1])]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        lines = [self.process.stdout.readline() for _ in range(3)]
        self.url = lines[0].split(" listening on ")[1].strip()
        self.key = lines[2].split(": ", 1)[1].strip()

    async def seed(self, cafile: Path) -> None:
        """An app with two deployments and a few releases in Production."""
        import ssl

        import httpx

        transport = None
        if self.url.startswith("https:"):
            context = ssl.create_default_context(cafile=str(cafile))
            transport = httpx.AsyncHTTPTransport(verify=context)
        async with AsyncCodePush(self.key, self.url, transport=transport) as cp:
            await cp.apps.create("App", os="iOS", platform="React-Native")
            for index in range(5):
                await cp.releases.release(
                    "App", "Production", f"bundle {index}".encode(), "1.0.0",
                    description=f"release {index}",
                )

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class Worker:
    """A client process fed one round (a ``URL KEY`` line) at a time."""

    def __init__(self, name: str, command: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
        )

    def round(self, emulator: Emulator) -> dict[str, float]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(f"{emulator.url} {emulator.key}\n")
        self.process.stdin.flush()
        result: dict[str, Any] = json.loads(self.process.stdout.readline())
        if "error" in result:
            sys.exit(f"{self.name} failed: {result['error']}")
        return result

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


def run_mode(mode: str, args: argparse.Namespace, js_folder: Path, tmp: Path) -> None:
    tls = make_certificate(tmp) if mode == "https" else None
    cafile = tls[0] if tls else tmp / "none.pem"
    emulators = [Emulator(tls), Emulator(tls)]
    workers: list[Worker] = []
    try:
        for emulator in emulators:
            asyncio.run(emulator.seed(cafile))
        env = {**os.environ, "NODE_EXTRA_CA_CERTS": str(cafile)} if tls else dict(os.environ)
        counts = [str(args.calls), str(args.concurrency)]
        workers.append(Worker(
            "JS SDK", ["node", str(HERE / "_js_worker.js"), str(js_folder), *counts], env
        ))
        for backend in args.backends:
            for kind in ("sdk", "raw") if args.raw else ("sdk",):
                workers.append(Worker(
                    f"SDK ({backend})" if kind == "sdk" else f"raw {backend}",
                    [sys.executable, "-c", PY_WORKER, backend, *counts, str(cafile), kind,
                     str(HERE)],
                    env,
                ))
        for worker in workers:  # warm-up on both emulators, not counted
            for emulator in emulators:
                worker.round(emulator)
        results: dict[str, list[dict[str, float]]] = {w.name: [] for w in workers}
        for index in range(args.rounds):
            shift = index % len(workers)
            for offset, worker in enumerate(workers[shift:] + workers[:shift]):
                emulator = emulators[(index + offset) % 2]
                results[worker.name].append(worker.round(emulator))
        print(f"\n== {mode.upper()}: {args.calls} mixed calls at concurrency {args.concurrency}, "
              f"{args.rounds} rounds ==")
        js = results["JS SDK"]
        for name, rows in results.items():
            walls = [r["wall"] for r in rows]
            cpus = [r["cpu_ms_per_call"] for r in rows]
            print(f"  {name:14} wall {spread(walls)} s, client CPU {spread(cpus)} ms/call")
        target = 2.5 if mode == "https" else 1.2
        for name, rows in results.items():
            if name == "JS SDK":
                continue
            # JS / SDK per round (same round, same machine state): > 1 means the SDK is faster.
            wall = [j["wall"] / s["wall"] for j, s in zip(js, rows, strict=True)]
            cpu = [
                j["cpu_ms_per_call"] / s["cpu_ms_per_call"] for j, s in zip(js, rows, strict=True)
            ]
            print(f"  JS / {name}: wall {spread(wall)}x "
                  f"({verdict(statistics.median(wall), target, at_most=False)}), "
                  f"CPU per call {spread(cpu)}x "
                  f"({verdict(statistics.median(cpu), 1.0, at_most=False)})")
    finally:
        for worker in workers:
            worker.stop()
        for emulator in emulators:
            emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--mode", action="append", choices=("http", "https"))
    parser.add_argument(
        "--raw", action="store_true", help="also time each backend alone (the same requests)"
    )
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache/codepush-async-bench")
    args = parser.parse_args()
    for tool in ("node", "npm", "openssl"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is needed for this benchmark")
    args.backends = [b for b in BACKENDS if importlib.util.find_spec(b) is not None]
    js_folder = install_js_sdk(args.cache)
    print("figures: median [p10..p90] over rotated rounds; the machine is shared, so absolute")
    print("times are noise and the per-round ratios are the result")
    with tempfile.TemporaryDirectory(prefix="codepush-bench-") as tmp:
        for mode in args.mode or ["http", "https"]:
            run_mode(mode, args, js_folder, Path(tmp))


if __name__ == "__main__":
    main()
