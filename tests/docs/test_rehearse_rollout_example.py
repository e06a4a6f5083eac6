"""examples/rehearse_rollout.py rehearses a plan on a simulated fleet (a smaller one here)."""

from __future__ import annotations

import importlib.util
import os
import runpy
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import pytest

from codepush_async import HealthGate, RolloutPlan
from codepush_async.emulator import CodePushEmulator

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
PLAN = RolloutPlan(steps=(10, 50, 100), interval=timedelta(hours=6),
                   gate=HealthGate(max_failure_rate=0.02, min_downloads=20),
                   max_hold=timedelta(days=1))


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rehearse_rollout",
                                                  ROOT / "examples" / "rehearse_rollout.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_a_healthy_release_completes_on_the_fleets_reports(
    capsys: pytest.CaptureFixture[str],
) -> None:
    outcome = await _example().main(devices=300, failure_rate=0.0, plan=PLAN)

    assert outcome.status == "completed"
    assert capsys.readouterr().out.splitlines() == [
        "Mon 09:00  released v1; devices: 300 checked, 300 offered, 300 downloaded, "
        "300 installed, 0 failed (v1: 300)",
        "Mon 09:00  released v2 at 10%",
        "Mon 09:00  started on Rehearsal/Production v2 at 10%",
        "Mon 09:00  waiting at 10% until 2026-03-02 15:00 UTC",
        "Mon 15:00  devices: 300 checked, 31 offered, 31 downloaded, 31 installed, 0 failed "
        "(v1: 269, v2: 31)",
        "Mon 15:00  rollout raised to 50% (this step: 31 downloaded, 31 installed, 0 failed; "
        "31 downloaded in all)",
        "Mon 15:00  waiting at 50% until 2026-03-02 21:00 UTC",
        "Mon 21:00  devices: 300 checked, 119 offered, 119 downloaded, 119 installed, 0 failed "
        "(v1: 150, v2: 150)",
        "Mon 21:00  rollout raised to 100% (this step: 119 downloaded, 119 installed, 0 failed; "
        "150 downloaded in all)",
        "Mon 21:00  v2 completed at 100%",
        "Mon 21:00  outcome: completed, reached 100%; devices: 300 checked, 150 offered, "
        "150 downloaded, 150 installed, 0 failed (v2: 300)",
    ]


async def test_a_failing_release_is_rolled_back_on_the_fleets_reports(
    capsys: pytest.CaptureFixture[str],
) -> None:
    outcome = await _example().main(devices=300, failure_rate=0.3, plan=PLAN)

    assert (outcome.status, outcome.rollout) == ("rolled_back", 10)
    assert outcome.metrics is not None
    assert capsys.readouterr().out.splitlines()[4:] == [
        "Mon 15:00  devices: 300 checked, 31 offered, 31 downloaded, 25 installed, 6 failed "
        "(v1: 275, v2: 25)",
        "Mon 15:00  health gate breached at 10%: 19.35% failed (this step: 31 downloaded, "
        "25 installed, 6 failed; in all: 31 downloaded, 25 installed, 6 failed); rollback",
        "Mon 15:00  outcome: rolled_back, failure rate 19.35% over the gate at 10% on the step's "
        "own data; devices: 300 checked, 25 offered, 25 downloaded, 25 installed, 0 failed "
        "(v1: 275, v3: 25)",
    ]


def test_the_fleet_snippet_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    """docs/snippets/devices_fleet.py, as the devices guide will show it (see
    tests/docs/test_snippets.py for the others)."""
    emulator = CodePushEmulator()
    key = emulator.create_account("you@example.com")
    bundle = tmp_path / "build" / "CodePush"
    bundle.mkdir(parents=True)
    (bundle / "main.jsbundle").write_text("console.log('1.4.1');\n")
    monkeypatch.chdir(tmp_path)
    with emulator.serve() as url:
        monkeypatch.setenv("CODEPUSH_SERVER_URL", url)
        monkeypatch.setenv("CODEPUSH_ACCESS_KEY", key)
        runpy.run_path(os.fspath(ROOT / "docs" / "snippets" / "devices_fleet.py"),
                       run_name="__main__")
    assert capsys.readouterr().out.splitlines() == [
        "200 checked, 200 offered, 200 downloaded, 189 installed, 11 failed "
        "(1.4.0: 11, v1: 189)",
        "11 {'1.4.0': 11, 'v1': 189}",
        "UpdateMetrics(active=189, downloaded=200, installed=189, failed=11)",
    ]
