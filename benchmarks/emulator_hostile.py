"""Peak memory of the served emulator under hostile uploads, and how long other clients wait.

Each scenario starts a fresh ``python -m codepush_async.emulator`` (its own process, default
limits), warms it up with one small release, then sends one hostile request made lazily
chunk by chunk (never held by this script) while another client asks ``GET /apps`` every
50 ms. Prints the server's peak RSS growth over its warmed-up peak (``VmHWM`` of
/proc/PID/status, Linux), the hostile request's answer and time, and the other client's
slowest answer meanwhile. Scenarios: an unauthenticated 512 MiB chunked POST, an
authenticated 512 MiB upload over the 200 MB limit, a 2 MB zip bomb (2 GiB unpacked, over
the 1 GiB limit), and a zip just under that limit (1000 MiB unpacked: hashed and released).
``--source DIR`` serves the emulator of another checkout (e.g. the previous release) to
compare. Usage: ``python benchmarks/emulator_hostile.py [--size-mb 512] [--source DIR]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.emulator._helpers import MIB, multipart_head, zip_bomb  # noqa: E402

BOUNDARY = "hostile0boundary"
INFO = json.dumps({"appVersion": "1.0.0"})


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str
    key: str

    def peak_mb(self) -> float:
        """The process's peak resident set so far (VmHWM)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(text for text in status.splitlines() if text.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024


def start_server(source: Path) -> Server:
    env = {**os.environ, "PYTHONPATH": str(source)}
    process = subprocess.Popen(
        [sys.executable, "-m", "codepush_async.emulator", "--port", "0", "--rate-limit", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=source,
    )
    assert process.stdout is not None
    url = process.stdout.readline().rsplit(" ", 1)[1].strip()
    process.stdout.readline()
    key = process.stdout.readline().split(": ", 1)[1].strip()
    return Server(process, url, key)


async def lazy(total: int, head: bytes = b"", tail: bytes = b"") -> AsyncIterator[bytes]:
    yield head
    block = b"x" * MIB
    for _ in range(total // MIB):
        yield block
    yield tail


def unauthenticated(size: int) -> Callable[[httpx.AsyncClient, str], Awaitable[httpx.Response]]:
    async def send(client: httpx.AsyncClient, key: str) -> httpx.Response:
        return await client.post(
            "/apps/App/deployments/Staging/release",
            content=lazy(size),
            headers={"Content-Type": "application/octet-stream"},
        )

    return send


def over_the_limit(size: int) -> Callable[[httpx.AsyncClient, str], Awaitable[httpx.Response]]:
    async def send(client: httpx.AsyncClient, key: str) -> httpx.Response:
        body = lazy(size, multipart_head(BOUNDARY), f"\r\n--{BOUNDARY}--\r\n".encode())
        return await client.post(
            "/apps/App/deployments/Staging/release",
            content=body,
            headers={
                "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                "Authorization": f"Bearer {key}",
            },
        )

    return send


def bomb(data: bytes) -> Callable[[httpx.AsyncClient, str], Awaitable[httpx.Response]]:
    async def send(client: httpx.AsyncClient, key: str) -> httpx.Response:
        return await client.post(
            "/apps/App/deployments/Staging/release",
            files={"package": ("bomb.zip", data, "application/zip")},
            data={"packageInfo": INFO},
            headers={"Authorization": f"Bearer {key}"},
        )

    return send


async def watch(client: httpx.AsyncClient, key: str, done: asyncio.Event) -> float:
    """The slowest ``GET /apps`` answer while ``done`` is unset (one every 50 ms)."""
    slowest = 0.0
    while not done.is_set():
        started = time.perf_counter()
        response = await client.get("/apps", headers={"Authorization": f"Bearer {key}"})
        response.raise_for_status()
        slowest = max(slowest, time.perf_counter() - started)
        await asyncio.sleep(0.05)
    return slowest


async def scenario(
    name: str,
    send: Callable[[httpx.AsyncClient, str], Awaitable[httpx.Response]],
    source: Path,
) -> None:
    server = start_server(source)
    try:
        auth = {"Authorization": f"Bearer {server.key}"}
        async with httpx.AsyncClient(base_url=server.url, timeout=300) as client:
            await client.post("/apps", json={"name": "App"}, headers=auth)
            warm = await client.post(
                "/apps/App/deployments/Staging/release",
                files={"package": ("w.zip", zip_bomb(MIB, "warm.js"))},
                data={"packageInfo": INFO},
                headers=auth,
            )
            warm.raise_for_status()
            baseline = server.peak_mb()
            done = asyncio.Event()
            watcher = asyncio.create_task(watch(client, server.key, done))
            started = time.perf_counter()
            try:
                answer = await send(client, server.key)
                outcome = f"{answer.status_code} {answer.text[:60]!r}"
            except httpx.HTTPError as exc:
                outcome = f"{type(exc).__name__}"
            took = time.perf_counter() - started
            done.set()
            slowest = await watcher
        peak = server.peak_mb()
        print(
            f"{name:<46} peak RSS {peak:6.0f} MB (+{peak - baseline:6.1f})"
            f"  answered in {took:5.1f} s  other client's slowest {slowest * 1000:6.0f} ms"
            f"  -> {outcome}"
        )
    finally:
        server.process.terminate()
        server.process.wait(timeout=10)


async def main(size_mb: int, source: Path) -> None:
    size = size_mb * MIB
    print(f"served emulator from {source} (baseline: warmed up after one release)")
    await scenario(f"unauthenticated {size_mb} MiB chunked POST", unauthenticated(size), source)
    await scenario(
        f"authenticated {size_mb} MiB upload (limit 200 MB)", over_the_limit(size), source
    )
    data = zip_bomb(2048 * MIB)
    await scenario(f"zip bomb: {len(data) / 1e6:.1f} MB zip, 2 GiB unpacked", bomb(data), source)
    data = zip_bomb(1000 * MIB)
    label = f"under the limit: {len(data) / 1e6:.1f} MB zip, 1000 MiB unpacked"
    await scenario(label, bomb(data), source)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=512, help="hostile body size (MiB)")
    parser.add_argument("--source", type=Path, default=REPO, help="checkout to serve")
    args = parser.parse_args()
    asyncio.run(main(args.size_mb, args.source.resolve()))
