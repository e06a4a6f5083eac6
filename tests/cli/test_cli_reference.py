"""The CLI reference page is generated from the commands: it must be what they show."""

from __future__ import annotations

import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_reference_page_is_generated_from_the_commands() -> None:
    tool = runpy.run_path(str(ROOT / "tools" / "cli_reference.py"))
    page = tool["PAGE"].read_text("utf-8")
    assert page == tool["render"](), "stale: run python tools/cli_reference.py"
    for command in ("codepush-async rollout run", "codepush-async bulk promote",
                    "codepush-async check", "codepush-async access-key add"):
        assert f"## `{command}`" in page


def test_the_reference_and_the_guide_are_in_the_site() -> None:
    nav = (ROOT / "mkdocs.yml").read_text("utf-8")
    assert "reference/cli.md" in nav
    assert "guides/cli.md" in nav
