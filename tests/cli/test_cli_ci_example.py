"""examples/ci_pipeline.sh (shown in the CLI guide) runs against the served emulator."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import ROOT, Cli

SCRIPT = ROOT / "examples" / "ci_pipeline.sh"


@pytest.mark.skipif(shutil.which("bash") is None, reason="examples/ci_pipeline.sh is a bash script: install bash to run it")
def test_the_ci_script_releases_promotes_and_reports_a_halted_rollout_as_3(
    cli: Cli, bundle: Path, tmp_path: Path
) -> None:
    cli("app", "add", "ci-app")
    env = cli.env(CODEPUSH_CLI=f"{shlex.quote(sys.executable)} -m codepush_async",
                  _CODEPUSH_CLI_CLOCK="fast")
    done = subprocess.run(["bash", str(SCRIPT), "ci-app", str(bundle), "1.0.0"],  # noqa: S603, S607
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
                          check=False)
    assert done.returncode == 3, done.stderr
    assert done.stdout.splitlines() == [
        "released v1 to ci-app/Staging",
        "promoted v1 to ci-app/Production at 5%",
        "rollout stopped (halted): no metrics",
    ]
    events = (tmp_path / "rollout.jsonl").read_text().splitlines()
    assert [line.split('"')[3] for line in events[:-1]] == [
        "RolloutStarted", "RolloutWaiting", "RolloutHalted"]
