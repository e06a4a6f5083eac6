"""``nox -s integration`` tells what it is doing while it installs MariaDB and the npm server."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.integration import community_server as cs


def test_installing_mariadb_is_announced(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[list[str]] = []

    def run(cmd: Sequence[str], **_: Any) -> str:
        ran.append(list(cmd))
        if cmd[1:3] == ["install", "-y"] and len(ran) == 1:
            raise cs.CommunityServerError("no package lists")
        return ""

    monkeypatch.setattr(cs, "_has_tool", lambda name: False)
    monkeypatch.setattr(cs, "_tool", lambda name, *fallbacks: name)
    monkeypatch.setattr(cs.os, "geteuid", lambda: 0)
    monkeypatch.setattr(cs, "_run", run)
    said: list[str] = []
    cs._ensure_mariadb(said.append)
    assert said == [
        "community server: MariaDB is missing: apt-get install mariadb-server (about 30 s)",
        "community server: no package lists yet: apt-get update, then install again",
    ]
    assert [cmd[1] for cmd in ran] == ["install", "update", "install"]


def test_installing_the_npm_package_is_announced_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def npm_install(cmd: Sequence[str], *, cwd: Path, **_: Any) -> str:
        www = cwd / "node_modules" / "code-push-server" / "bin" / "www"
        www.parent.mkdir(parents=True)
        www.write_text("")
        return ""

    monkeypatch.setattr(cs, "_tool", lambda name, *fallbacks: name)
    monkeypatch.setattr(cs, "_run", npm_install)
    said: list[str] = []
    cs._ensure_package(tmp_path, said.append)
    cs._ensure_package(tmp_path, said.append)
    assert said == [
        f"community server: npm install code-push-server@5.7.1 into {tmp_path} (first run only)",
        f"community server: code-push-server@5.7.1 is installed in {tmp_path}",
    ]


def test_each_step_is_told_as_it_starts_and_ends() -> None:
    said: list[str] = []
    timer = cs._Timer(said.append)
    with timer.step("schema init"):
        said.append("(working)")
    assert said[:2] == ["community server: schema init ...", "(working)"]
    assert said[2].startswith("community server: schema init took ")
    assert said[2].endswith("s")
    assert set(timer.steps) == {"schema init"}
