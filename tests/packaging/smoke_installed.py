"""Smoke test of an installed wheel, run by ``nox -s package`` from outside the source tree.

``python smoke_installed.py with-extra`` (the wheel installed with ``[emulator]``): the
package imports from site-packages with its license and ``py.typed``, the emulator serves
on a port and the SDK talks to it, and the quickstart (copied beside this file) runs its
round trip. ``without-extra``: the SDK works and the emulator says which extra it needs.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import os
import runpy
import subprocess
import sys
from pathlib import Path

import codepush_async
from codepush_async import AsyncCodePush

HERE = Path(__file__).resolve().parent


def check_installed() -> None:
    package = Path(codepush_async.__file__).resolve().parent
    source = os.environ.get("CODEPUSH_SOURCE_TREE")
    assert source is None or not package.is_relative_to(Path(source).resolve()), package
    assert "site-packages" in package.parts, package
    dist = importlib.metadata.distribution("codepush-async")
    assert dist.version == codepush_async.__version__
    files = {Path(str(f)).name for f in dist.files or ()}
    assert "LICENSE" in files, sorted(files)
    assert dist.metadata["License-Expression"] == "MIT"
    assert (package / "py.typed").exists()
    print(f"installed: codepush-async {dist.version} from {package}")


async def over_a_port(url: str, key: str) -> None:
    async with AsyncCodePush(key, url) as cp:
        account = await cp.account.get()
        await cp.apps.create("Smoke")
        package = await cp.releases.release("Smoke", "Staging", b"bundle", "1.0.0")
        history = await cp.releases.history("Smoke", "Staging")
        assert (account.email, package.label, [p.label for p in history]) == (
            "dev@example.com", "v1", ["v1"]
        )
    print(f"served emulator: release and history over {url}")


def served_emulator() -> None:
    argv = [sys.executable, "-m", "codepush_async.emulator", "--port", "0"]
    server = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)  # noqa: S603
    try:
        assert server.stdout is not None
        lines = [server.stdout.readline() for _ in range(3)]
        url = lines[0].rsplit(" ", 1)[-1].strip()
        key = lines[2].rsplit(" ", 1)[-1].strip()
        asyncio.run(over_a_port(url, key))
    finally:
        server.terminate()
        server.wait(timeout=30)


def quickstart() -> None:
    module = runpy.run_path(str(HERE / "quickstart.py"))
    asyncio.run(module["main"]())


def without_extra() -> None:
    message = ""
    try:
        from codepush_async.emulator import CodePushEmulator  # noqa: F401
    except ModuleNotFoundError as exc:
        message = str(exc)
    assert "needs the 'emulator' extra" in message, message or "imported without the extra"
    done = subprocess.run(
        [sys.executable, "-m", "codepush_async.emulator"], capture_output=True, text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "needs the 'emulator' extra" in done.stderr, done.stderr
    AsyncCodePush("key-0123456789", "https://codepush.example.com")
    print("without the extra: the SDK imports, the emulator names its extra")


def main() -> int:
    mode = sys.argv[1]
    check_installed()
    if mode == "with-extra":
        served_emulator()
        quickstart()
    elif mode == "without-extra":
        without_extra()
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    print(f"smoke ({mode}): ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
