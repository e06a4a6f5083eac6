"""Without the ``emulator`` extra, the emulator says which extra to install."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
HIDE_EXTRA = (
    "import sys\n"
    "for name in ('starlette', 'multipart', 'python_multipart', 'uvicorn'):\n"
    "    sys.modules[name] = None\n"
)
ADVICE = (
    "needs the 'emulator' extra (starlette, python-multipart, uvicorn; 'starlette' is not "
    "installed): install codepush-async with it, e.g. `pip install -e '.[emulator]'` in a "
    "checkout or `pip install 'codepush_async-<version>-py3-none-any.whl[emulator]'` for a wheel"
)


def _python(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), *sys.path])}
    return subprocess.run(  # noqa: S603 - fixed argv, no shell
        [sys.executable, "-c", HIDE_EXTRA + code], capture_output=True, text=True, env=env,
        check=False, timeout=60,
    )


def test_importing_the_emulator_names_the_extra() -> None:
    result = _python(
        "try:\n"
        "    from codepush_async.emulator import CodePushEmulator\n"
        "except ModuleNotFoundError as exc:\n"
        "    print(exc.name)\n"
        "    print(exc)\n"
    )
    assert result.returncode == 0, result.stderr
    name, message = result.stdout.splitlines()
    assert name == "starlette.types"
    assert message == f"codepush_async.emulator.CodePushEmulator {ADVICE}"


def test_the_command_line_names_the_extra() -> None:
    result = _python(
        "import runpy\nrunpy.run_module('codepush_async.emulator', run_name='__main__')\n"
    )
    assert result.returncode == 1
    assert result.stderr.strip() == f"python -m codepush_async.emulator {ADVICE}"
    assert "Traceback" not in result.stderr


def test_other_missing_modules_are_not_blamed_on_the_extra() -> None:
    result = _python(
        "import codepush_async.emulator as emu\n"
        "def fake(name, package=None):\n"
        "    raise ModuleNotFoundError('No module named somethingelse', name='somethingelse')\n"
        "emu.importlib.import_module = fake\n"
        "try:\n"
        "    emu.__getattr__('CodePushEmulator')\n"
        "except ModuleNotFoundError as exc:\n"
        "    print(exc)\n"
    )
    assert result.stdout.strip() == "No module named somethingelse", result.stderr
