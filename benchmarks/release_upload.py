"""Upload a 200 MB package to a local server: SDK peak RSS and wall time vs ``curl -F``.

Prints, from one run: the SDK's peak RSS over its own baseline (target <= 32 MB) and
its median wall time divided by curl's (target <= 1.10x), with the SDK's release
integrity check on (the sink answers the package hash of what was sent), and divided by
curl run beside a SHA-256 of the same file in another process: the check hashes every
byte it sends, so that pair is the floor of the SDK's work. Each installed backend
(aiohttp, httpx2, httpx) is timed in the same interleaved rounds. Usage:
``python benchmarks/release_upload.py [--size-mb 200] [--rounds 3] [--backend NAME]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from codepush_async._release.hashing import package_hash

HERE = Path(__file__).resolve().parent

CHILD = r"""
import asyncio, json, resource, sys, time
from codepush_async import AsyncCodePush

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

async def main(url, path, backend):
    async with AsyncCodePush("benchmark-key-0123456789", url, backend=backend) as cp:
        await cp.releases.release("App", "Staging", b"warm-up", "1.0.0")
        baseline = peak_mb()
        started = time.perf_counter()
        await cp.releases.release("App", "Staging", path, "1.0.0", description="bench")
        elapsed = time.perf_counter() - started
    print(json.dumps({"baseline_mb": baseline, "peak_mb": peak_mb(), "seconds": elapsed}))

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
"""


def make_package(path: Path, size_mb: int) -> None:
    """``size_mb`` decimal megabytes of incompressible bytes (under the 200 MiB limit)."""
    block = os.urandom(1_000_000)
    with path.open("wb") as handle:
        for index in range(size_mb):
            handle.write(block[index % 7 :] + block[: index % 7])


def run_sdk(url: str, package: Path, backend: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, url, str(package), backend], capture_output=True, text=True
    )
    if done.returncode:
        sys.exit(f"the SDK run failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


HASH_FILE = r"""
import hashlib, sys
digest = hashlib.sha256()
with open(sys.argv[1], "rb") as f:
    while chunk := f.read(2 * 1024 * 1024):
        digest.update(chunk)
"""


def run_curl(url: str, package: Path, *, with_hash: bool = False) -> float:
    """``curl -F`` alone, or beside a SHA-256 of the same file (the integrity check's work)."""
    info = json.dumps({"appVersion": "1.0.0", "description": "bench"})
    started = time.perf_counter()
    hasher = (
        subprocess.Popen([sys.executable, "-c", HASH_FILE, str(package)])
        if with_hash
        else None
    )
    subprocess.run(
        [
            "curl", "-sS", "-o", os.devnull, "-H", "Authorization: Bearer benchmark-key-0123456789",
            "-F", f"package=@{package};type=application/zip",
            "-F", f"packageInfo={info}",
            f"{url}/apps/App/deployments/Staging/release",
        ],
        check=True,
    )
    if hasher is not None:
        hasher.wait()
    return time.perf_counter() - started


def report(backend: str, sdk_runs: list[dict[str, float]], curl_runs: list[float],
           floor_runs: list[float]) -> None:
    sdk_seconds = statistics.median(r["seconds"] for r in sdk_runs)
    curl_seconds = statistics.median(curl_runs)
    floor_seconds = statistics.median(floor_runs)
    rss_growth = max(r["peak_mb"] - r["baseline_mb"] for r in sdk_runs)
    ratios = sorted(r["seconds"] / c for r, c in zip(sdk_runs, curl_runs, strict=True))
    floor_ratios = sorted(r["seconds"] / f for r, f in zip(sdk_runs, floor_runs, strict=True))
    print(f"\n== backend {backend} ==")
    print(f"SDK release median wall time: {sdk_seconds:.3f} s")
    print(f"SDK / curl wall time: {sdk_seconds / curl_seconds:.3f}x "
          f"[{ratios[0]:.3f}..{ratios[-1]:.3f}] (curl does no hashing: for reference)")
    # The integrity check hashes every byte sent: curl beside a hashing process is the
    # floor of that work on this machine.
    print(f"SDK / (curl beside SHA-256) wall time: {sdk_seconds / floor_seconds:.3f}x "
          f"[{floor_ratios[0]:.3f}..{floor_ratios[-1]:.3f}] (target <= 1.10x)")
    print(f"SDK peak RSS over baseline: {rss_growth:.1f} MB (target <= 32 MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backend", action="append", choices=("aiohttp", "httpx2", "httpx"))
    args = parser.parse_args()
    if shutil.which("curl") is None:
        sys.exit("curl is needed for the baseline")
    backends = args.backend or [
        name for name in ("aiohttp", "httpx2", "httpx") if importlib.util.find_spec(name)
    ]

    workdir = Path(tempfile.mkdtemp(prefix="codepush-bench-"))
    package = workdir / "package.zip"
    make_package(package, args.size_mb)
    hashes = [package_hash(b"warm-up"), package_hash(package)]
    sink = subprocess.Popen(
        [sys.executable, str(HERE / "_sink.py"), *hashes], stdout=subprocess.PIPE, text=True
    )
    try:
        assert sink.stdout is not None
        url = f"http://127.0.0.1:{sink.stdout.readline().strip()}"
        sdk_runs: dict[str, list[dict[str, float]]] = {name: [] for name in backends}
        curl_runs, floor_runs = [], []
        for _ in range(args.rounds):  # interleaved, so all see the same machine state
            curl_runs.append(run_curl(url, package))
            floor_runs.append(run_curl(url, package, with_hash=True))
            for backend in backends:
                sdk_runs[backend].append(run_sdk(url, package, backend))
        curl_seconds = statistics.median(curl_runs)
        floor_seconds = statistics.median(floor_runs)
        print(f"package: {args.size_mb} MB, rounds: {args.rounds}")
        print(f"curl -F median wall time: {curl_seconds:.3f} s")
        print(f"curl -F beside a SHA-256 process median wall time: {floor_seconds:.3f} s "
              f"({floor_seconds / curl_seconds:.3f}x curl alone)")
        for backend in backends:
            report(backend, sdk_runs[backend], curl_runs, floor_runs)
    finally:
        sink.terminate()
        sink.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
