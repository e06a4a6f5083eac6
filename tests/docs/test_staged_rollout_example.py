"""examples/staged_rollout.py runs a whole plan on the embedded emulator."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.anyio

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "staged_rollout.py"


async def test_the_staged_rollout_example_completes(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("staged_rollout", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    outcome = await module.main(speed=float("inf"))  # the waits take no real time

    assert outcome.status == "completed"
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "Mon 09:00  released v1 to Production at 5%",
        "Mon 09:00  started on StagedRollout/Production v1 at 5%",
        "Mon 09:00  waiting at 5% until 2026-01-05 11:00 UTC",
        "Mon 11:00  rollout raised to 25% (this step: 300 downloaded, 297 installed, 3 failed; "
        "300 downloaded in all)",
        "Mon 11:00  waiting at 25% until 2026-01-05 13:00 UTC",
        "Mon 13:00  rollout raised to 50% (this step: 1500 downloaded, 1485 installed, 15 failed; "
        "1800 downloaded in all)",
        "Mon 13:00  waiting at 50% until 2026-01-05 15:00 UTC",
        "Mon 15:00  rollout raised to 100% (this step: 3000 downloaded, 2970 installed, 30 failed; "
        "4800 downloaded in all)",
        "Mon 15:00  v1 completed at 100%",
        "Mon 15:00  outcome: completed, reached 100% (raised to [25, 50, 100], completed: True)",
    ]
