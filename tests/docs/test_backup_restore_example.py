"""examples/backup_restore.py backs up every app and restores one with the same answers."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]


async def test_every_app_is_backed_up_and_one_restored_with_its_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main = runpy.run_path(str(ROOT / "examples" / "backup_restore.py"))["main"]
    report = await main(tmp_path)

    assert sorted(p.name for p in (tmp_path / "backups").iterdir()) == ["Blog", "Shop"]
    manifest = json.loads((tmp_path / "backups" / "Shop" / "manifest.json").read_text())
    assert len(list((tmp_path / "backups" / "Shop" / "packages").iterdir())) == 3
    assert [d["name"] for d in manifest["deployments"]] == ["Production", "Staging"]
    assert report
    assert len(report.replayed) == 4
    assert not report.new_keys
    assert capsys.readouterr().out.endswith("keys kept: True | same answer: True v1\n")
