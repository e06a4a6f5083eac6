"""Run tests/js/js_tools.js: what the JavaScript tools compute, with Node's own modules."""

from __future__ import annotations

import json
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
