"""Run tests/js/js_tools.js (what the JavaScript tools compute, with Node's own modules) and
the JS acquisition SDK (benchmarks/_js_acquisition.js)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parent / "js" / "js_tools.js"


def js_tools(*args: str, cwd: Path) -> Any:
    """The script's JSON answer; a test failure (never a skip) when Node.js is missing."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("these tests compare against Node.js: install it (apt-get install nodejs)")
    done = subprocess.run(  # noqa: S603 - our own script, no shell
        [node, str(SCRIPT), *args], cwd=cwd, capture_output=True, text=True, check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


JS_SDK = "code-push@3.1.5"
JS_ACQUISITION = Path(__file__).resolve().parents[1] / "benchmarks" / "_js_acquisition.js"


def node_tool(name: str) -> str:
    """``name``'s path (``node``, ``npm``); a test failure (never a skip) when it is missing."""
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"these tests run JavaScript under Node.js: install {name} (apt-get install "
                    "nodejs npm)")
    return found


def js_sdk_folder() -> Path:
    """Where npm ``code-push@3.1.5`` is installed: ``$CODEPUSH_JS_SDK_CACHE`` (default the
    benchmarks' ``~/.cache/codepush-async-bench``), ``npm install``-ed there on first use."""
    default = Path.home() / ".cache" / "codepush-async-bench"
    cache = Path(os.environ.get("CODEPUSH_JS_SDK_CACHE", default))
    folder = cache / "code-push-3.1.5"
    if not (folder / "node_modules" / "code-push" / "package.json").exists():
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(  # noqa: S603 - npm with fixed arguments, no shell
            [node_tool("npm"), "install", "--no-audit", "--no-fund", "--silent", "--prefix",
             str(folder), JS_SDK],
            capture_output=True, text=True, check=False, timeout=600,
        )
        assert done.returncode == 0, f"npm install {JS_SDK} failed: {done.stderr}"
    return folder


def js_acquisition(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run ``steps`` through the JS acquisition SDK (benchmarks/_js_acquisition.js): for each,
    what the SDK answered (``error``, ``result``) and the ``requests`` it sent."""
    folder = js_sdk_folder()
    done = subprocess.run(  # noqa: S603 - our own script, no shell
        [node_tool("node"), str(JS_ACQUISITION), str(folder), "steps"],
        input=json.dumps(steps), capture_output=True, text=True, check=False, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    answers: list[dict[str, Any]] = json.loads(done.stdout)
    return answers
