"""The pytest plugin's fixtures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from codepush_async.emulator import CodePushEmulator

from ._helpers import auth

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.anyio
async def test_plugin_fixtures(
    codepush_emulator: CodePushEmulator, codepush_access_key: str
) -> None:
    async with httpx.AsyncClient(
        transport=codepush_emulator.transport, base_url="http://emulator"
    ) as client:
        response = await client.get("/account", headers=auth(codepush_access_key))
    assert response.json()["account"]["email"] == "tester@example.com"


def test_plugin_imports_without_the_extra() -> None:
    script = (
        "import sys\n"
        "for name in ('starlette', 'multipart', 'python_multipart', 'uvicorn'):\n"
        "    sys.modules[name] = None\n"
        "import codepush_async.emulator._pytest_plugin as plugin\n"
        "assert plugin.codepush_emulator and plugin.codepush_access_key\n"
        "try:\n"
        "    from codepush_async.emulator import CodePushEmulator\n"
        "except ImportError:\n"
        "    print('lazy')\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), *sys.path])}
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False
    )
    assert (result.returncode, result.stdout.strip()) == (0, "lazy"), result.stderr
