"""What a shell sees: the commands offered, the version, completion, ``emulator``, the
console script, progress only on a terminal, and the CLI built on the public SDK only."""

from __future__ import annotations

import ast
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import codepush_async
from tests.cli.conftest import ROOT, Cli, base_env

CLI_PACKAGE = Path(codepush_async.__file__).parent / "cli"
COMMANDS = ["access-key", "app", "bulk", "check", "collaborator", "completion", "deployment",
            "download", "emulator", "migrate", "patch", "promote", "release", "rollback", "rollout",
            "verify"]


def test_help_lists_every_command_and_the_exit_codes(cli: Cli) -> None:
    shown = cli("--help", env=base_env()).out
    listed = shown.split("Commands:\n", 1)[1]
    assert [line.split()[0] for line in listed.splitlines() if line.startswith("  ")
            and not line.startswith("   ")] == COMMANDS
    assert "Exit codes: 0 success, 1 the operation failed, 2 usage error, 3" in shown
    assert "copy    Copy APP from the server" in cli("migrate", env=base_env(), code=2).err


def test_version(cli: Cli) -> None:
    assert cli("--version", env=base_env()).out == (
        f"codepush-async, version {codepush_async.__version__}\n")


def test_completion_scripts_and_completions(cli: Cli) -> None:
    script = cli("completion", "bash", env=base_env()).out
    assert "_CODEPUSH_ASYNC_COMPLETE=bash_complete" in script
    assert "complete -o nosort -F _codepush_async_completion codepush-async" in script
    assert "compdef" in cli("completion", "zsh", env=base_env()).out
    assert "complete --no-files --command codepush-async" in cli(
        "completion", "fish", env=base_env()).out

    def complete(words: str) -> list[str]:
        env = base_env(_CODEPUSH_ASYNC_COMPLETE="bash_complete", COMP_WORDS=words,
                       COMP_CWORD=str(len(words.split()) - (0 if words.endswith(" ") else 1)))
        return cli(env=env).out.split()

    assert complete("codepush-async ro") == ["plain,rollback", "plain,rollout"]
    assert complete("codepush-async rollout run a b --on-breach ") == [
        "plain,rollback", "plain,disable", "plain,halt"]
    assert "plain,--max-failure-rate" in complete("codepush-async rollout run --max")


def test_the_emulator_command_serves_a_ready_server(cli: Cli) -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "codepush_async", "emulator", "--port", "0", "--email",
         "shell@example.com"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=base_env(), cwd=ROOT,
    ) as proc:
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().split(" listening on ")[1].strip()
            assert proc.stdout.readline() == "Account: shell@example.com\n"
            key = proc.stdout.readline().removeprefix("Access key: ").strip()
            env = base_env(CODEPUSH_SERVER_URL=url, CODEPUSH_ACCESS_KEY=key)
            cli("app", "add", "s-emulated", env=env)
            assert [app["name"] for app in cli("--json", "app", "ls", env=env).json()] == [
                "s-emulated"]
        finally:
            proc.terminate()


@pytest.mark.skipif(shutil.which("codepush-async") is None,
                    reason="the console script is not installed (pip install -e '.[cli]')")
def test_the_console_script(cli: Cli) -> None:
    script = shutil.which("codepush-async")
    assert script is not None
    done = subprocess.run([script, "--json", "app", "ls"], capture_output=True,  # noqa: S603
                          text=True, env=cli.env(), check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    assert isinstance(__import__("json").loads(done.stdout), list)


def test_the_console_script_entry_point(cli: Cli) -> None:
    """What pip installs as ``codepush-async`` (checked here even where it is not)."""
    tomllib = pytest.importorskip(
        "tomllib", reason="reading pyproject.toml needs Python 3.11's tomllib; run on 3.11+")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert project["scripts"] == {"codepush-async": "codepush_async.cli:main"}
    assert project["optional-dependencies"]["cli"] == ["click>=8.1", "rich>=13"]
    module, _, function = project["scripts"]["codepush-async"].partition(":")
    code = f"import sys; from {module} import {function}; sys.argv[0] = 'x'; {function}()"
    done = subprocess.run([sys.executable, "-c", code, "--version"],  # noqa: S603
                          capture_output=True, text=True, env=base_env(), cwd=ROOT, check=False)
    assert (done.returncode, done.stdout) == (
        0, f"codepush-async, version {codepush_async.__version__}\n")


def test_progress_goes_to_stderr_only_on_a_terminal(cli: Cli, bundle: Path) -> None:
    cli("app", "add", "s-progress")
    leader, follower = pty.openpty()
    with subprocess.Popen(  # noqa: S603 (this interpreter, the package)
        [sys.executable, "-m", "codepush_async", "release", "s-progress", "Staging",
         str(bundle), "1.0.0"], stdout=subprocess.PIPE, stderr=follower, text=True,
        env=cli.env(), cwd=ROOT,
    ) as proc:
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closed: the process ended
                break
            if not chunk:
                break
            shown += chunk
        out = proc.stdout.read() if proc.stdout else ""
    os.close(leader)
    assert proc.returncode == 0
    assert out == "Released to s-progress/Staging: v1 (1.0.0).\n"  # stdout: the answer only
    assert b"uploading bundle" in shown
    quiet = subprocess.run(  # noqa: S603 (this interpreter, the package)
        [sys.executable, "-m", "codepush_async", "release", "s-progress", "Staging",
         str(bundle), "1.0.0", "--quiet", "--skip-identical"], capture_output=True,
        env=cli.env(), cwd=ROOT, check=False,
    )
    assert (quiet.returncode, quiet.stderr) == (0, b"")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            found.add("." * node.level + (node.module or ""))
    return found


def test_the_cli_imports_only_public_names() -> None:
    """Like the automation wings: the CLI reads as an example of the public SDK (and
    starts the emulator by its public entry)."""
    imported = set().union(*(_imports(path) for path in CLI_PACKAGE.glob("*.py")))
    package = {name for name in imported if name.startswith("codepush_async")}
    assert package == {"codepush_async", "codepush_async.emulator.__main__"}
    relative = {name for name in imported if name.startswith(".")}
    assert relative
    assert all(not name.startswith("..") and not name.startswith("._") for name in relative)


def test_the_sdk_never_loads_the_cli_libraries() -> None:
    code = ("import sys, codepush_async; from codepush_async import emulator, lib; "
            "print(sorted(m for m in ('click', 'typer', 'codepush_async.cli') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,  # noqa: S603
                          env=base_env(), check=True, cwd=ROOT)
    assert done.stdout == "[]\n"
