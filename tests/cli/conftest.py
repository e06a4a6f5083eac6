"""The command line run as users run it: real subprocesses against a served emulator.

One emulator is served per test module (tests use app names of their own); every run is
``python -m codepush_async ...`` with the credentials in the environment, as CI sets them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import codepush_async
from codepush_async.emulator import CodePushEmulator

ROOT = Path(__file__).resolve().parents[2]
"""The checkout (a clone or the unpacked sdist): examples, pyproject, the working folder."""
PACKAGE_HOME = Path(codepush_async.__file__).resolve().parents[1]
"""Where the package under test is imported from (the checkout, or site-packages)."""
EMAIL = "ci@example.com"


@dataclass
class Ran:
    """A finished run: exit code, stdout, stderr."""

    args: tuple[str, ...]
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    def lines(self) -> list[Any]:
        return [json.loads(line) for line in self.out.splitlines()]

    def __str__(self) -> str:
        return f"$ codepush-async {' '.join(self.args)}\n[{self.code}]\n{self.out}\n{self.err}"


def base_env(**variables: str | None) -> dict[str, str]:
    """The test process's environment without any CODEPUSH_ variable, plus ``variables``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CODEPUSH_", "_CODEPUSH_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(PACKAGE_HOME), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update({k: v for k, v in variables.items() if v is not None})
    return env


@dataclass
class Cli:
    """The command line, pointed at the served emulator."""

    emu: CodePushEmulator
    url: str
    key: str
    runs: list[Ran] = field(default_factory=list)

    def env(self, **extra: str | None) -> dict[str, str]:
        return base_env(**{"CODEPUSH_SERVER_URL": self.url, "CODEPUSH_ACCESS_KEY": self.key,
                           **extra})

    def __call__(self, *args: str, env: Mapping[str, str] | None = None,
                 input: str | None = None, code: int | None = 0) -> Ran:
        """Run ``codepush-async ARGS``; assert its exit code (unless ``code=None``)."""
        done = subprocess.run(  # noqa: S603 (this interpreter, the package)
            [sys.executable, "-m", "codepush_async", *args], capture_output=True, text=True,
            env=dict(env) if env is not None else self.env(), input=input, timeout=60,
            cwd=ROOT, check=False,
        )
        ran = Ran(args, done.returncode, done.stdout, done.stderr)
        self.runs.append(ran)
        if code is not None:
            assert ran.code == code, str(ran)
        return ran

    def popen(self, *args: str, env: Mapping[str, str] | None = None) -> subprocess.Popen[str]:
        return subprocess.Popen(  # noqa: S603 (this interpreter, the package)
            [sys.executable, "-m", "codepush_async", *args], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1,
            env=dict(env) if env is not None else self.env(), cwd=ROOT,
        )


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[CodePushEmulator, str, str]]:
    emu = CodePushEmulator(rate_limit=None)
    key = emu.create_account(EMAIL)
    with emu.serve() as url:
        yield emu, url, key


@pytest.fixture
def cli(served: tuple[CodePushEmulator, str, str]) -> Iterator[Cli]:
    emu, url, key = served
    runner = Cli(emu, url, key)
    yield runner
    for ran in runner.runs:  # the account's key never shows, whatever the command
        assert key not in ran.out + ran.err, str(ran)


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    folder = tmp_path / "bundle"
    folder.mkdir()
    (folder / "index.android.bundle").write_text("console.log('v1')")
    return folder
