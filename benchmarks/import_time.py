"""``import codepush_async`` vs ``import httpx``: import cost in fresh interpreters.

Each round starts ``python -c pass`` (the interpreter alone), ``import httpx``,
``import codepush_async`` and ``import codepush_async`` plus building a client (which imports
the chosen backend), in a shuffled order; the cost of an import is its wall time minus the
bare interpreter's in the same round. Prints medians, the p10..p90 spread and the ratios
(target: ``import codepush_async`` / ``import httpx`` <= 1.5x). Usage:
``python benchmarks/import_time.py [--rounds 40] [--backend httpx|httpx2|aiohttp]``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _stats import spread, verdict

SNIPPETS = {
    "bare": "pass",
    "httpx": "import {backend}",
    "codepush_async": "import codepush_async",
    "codepush_async + client": (
        "import codepush_async; codepush_async.AsyncCodePush("
        "'benchmark-key-0123456789', 'http://127.0.0.1:9', backend='{backend}')"
    ),
}


def run(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--backend", default="httpx", choices=("httpx", "httpx2", "aiohttp"))
    args = parser.parse_args()
    snippets = {k: v.format(backend=args.backend) for k, v in SNIPPETS.items()}
    for code in snippets.values():  # warm the file cache and the .pyc files
        run(code)
    costs: dict[str, list[float]] = {name: [] for name in snippets if name != "bare"}
    ratios: dict[str, list[float]] = {name: [] for name in costs if name != "httpx"}
    for _ in range(args.rounds):
        order = list(snippets)
        random.shuffle(order)
        wall = {name: run(snippets[name]) for name in order}
        for name in costs:
            costs[name].append((wall[name] - wall["bare"]) * 1000)
        for name in ratios:
            ratios[name].append(costs[name][-1] / max(costs["httpx"][-1], 1e-6))
    print(f"import cost over a bare interpreter, ms, median [p10..p90] of {args.rounds} rounds")
    for name, values in costs.items():
        label = f"import {args.backend}" if name == "httpx" else name
        print(f"  {label:28} {spread(values)}")
    for name, values in ratios.items():
        ratio = statistics.median(values)
        print(f"  {name} / import {args.backend}: {spread(values)}x", end="")
        print(f"  ({verdict(ratio, 1.5)})" if name == "codepush_async" else "")


if __name__ == "__main__":
    main()
