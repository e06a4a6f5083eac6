"""The README's quickstart runs end to end on the embedded emulator."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.anyio

QUICKSTART = Path(__file__).resolve().parents[2] / "examples" / "quickstart.py"


async def test_quickstart_runs_on_the_emulator(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CODEPUSH_SERVER_URL", raising=False)
    monkeypatch.delenv("CODEPUSH_ACCESS_KEY", raising=False)
    spec = importlib.util.spec_from_file_location("quickstart", QUICKSTART)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    await module.main()

    out = capsys.readouterr().out
    assert "Signed in as you@example.com on http://emulator" in out
    assert "Released v1 to Staging" in out
    assert "Promoted to Production as v1 at 25% rollout" in out
    assert "Released v2 to Staging and promoted it to Production" in out
    assert "  v3: Rollback app 1.0.x  rollout 100%  First update" in out
    assert "  v1: active 110, downloaded 120, installed 115, failed 2" in out
    assert "Removed app 'Quickstart-" in out
