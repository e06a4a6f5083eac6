"""``migrate export/import/copy``: a backup folder, a restore and a copy between servers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from codepush_async.emulator import CodePushEmulator
from tests.cli.conftest import EMAIL, Cli


@pytest.fixture
def other() -> Iterator[tuple[CodePushEmulator, str, str]]:
    """A second server: the destination."""
    emu = CodePushEmulator(rate_limit=None)
    key = emu.create_account(EMAIL)
    with emu.serve() as url:
        yield emu, url, key


def _shipped(cli: Cli, bundle: Path, app: str) -> str:
    cli("app", "add", app)
    cli("release", app, "Staging", str(bundle), "1.0.0", "--description", "first")
    (bundle / "index.android.bundle").write_text("console.log('v2')")
    cli("release", app, "Staging", str(bundle), "1.0.0", "--mandatory")
    cli("promote", app, "Staging", "Production")
    return cli.emu.deployment_key(app, "Production")


def test_export_then_import_onto_another_server_keeps_the_keys(
    cli: Cli, bundle: Path, tmp_path: Path, other: tuple[CodePushEmulator, str, str]
) -> None:
    key = _shipped(cli, bundle, "Cli Backup")
    folder = tmp_path / "backup"

    exported = cli("--json", "migrate", "export", "Cli Backup", str(folder)).json()
    emu, url, other_key = other
    to = cli.env(CODEPUSH_SERVER_URL=url, CODEPUSH_ACCESS_KEY=other_key)
    planned = cli("--json", "migrate", "import", str(folder), "--dry-run", env=to).json()
    restored = cli("--json", "migrate", "import", str(folder), env=to).json()
    again = cli("migrate", "import", str(folder), env=to)

    assert exported == {"app": "Cli Backup", "directory": str(folder)}
    assert json.loads((folder / "manifest.json").read_text())["app"]["name"] == "Cli Backup"
    assert [i["action"] for i in planned["items"]] == ["planned"] * 5
    assert [(i["deployment"], i["what"], i["action"], i["label"]) for i in restored["items"]
            ] == [("Production", "deployment", "created", None),
                  ("Staging", "deployment", "created", None),
                  ("Staging", "release", "replayed", "v1"),
                  ("Staging", "release", "replayed", "v2"),
                  ("Production", "promote", "replayed", "v1")]
    assert restored["keys"]["Production"] == key == emu.deployment_key("Cli Backup", "Production")
    assert restored["new_keys"] == {}
    assert again.out.endswith("MigrationReport(app='Cli Backup', to='Cli Backup', skipped=5)\n")
    assert other_key not in again.out + again.err


def test_copy_to_another_server_and_its_errors(
    cli: Cli, bundle: Path, other: tuple[CodePushEmulator, str, str]
) -> None:
    _shipped(cli, bundle, "Cli Copy")
    emu, url, other_key = other
    to = cli.env(CODEPUSH_TO_SERVER_URL=url, CODEPUSH_TO_ACCESS_KEY=other_key)

    copied = cli("migrate", "copy", "Cli Copy", "--to-name", "Copied", "--new-keys", env=to)
    cli("app", "add", "Taken", env=cli.env(CODEPUSH_SERVER_URL=url, CODEPUSH_ACCESS_KEY=other_key))
    refused = cli("migrate", "copy", "Cli Copy", "--to-name", "Taken", env=to, code=1)
    unknown = cli("migrate", "copy", "Nope", env=to, code=1)
    missing = cli("migrate", "copy", "Cli Copy", code=2)

    assert "Production  promote  replayed  v1" in copied.out
    assert "new key of Production: " + emu.deployment_key("Copied", "Production") in copied.out
    assert "MigrationError: app 'Taken' already exists on the destination" in refused.err
    assert "MigrationError: no app 'Nope'" in unknown.err
    assert "--to-server-url" in missing.err
    spelled = cli("migrate", "copy", "Cli Copy", "--to-server", url, "--to-name", "Spelled",
                  "--new-keys", env=cli.env(CODEPUSH_TO_ACCESS_KEY=other_key))
    assert "new key of Production: " + emu.deployment_key("Spelled", "Production") in spelled.out
    for ran in (copied, refused, unknown):
        assert other_key not in ran.out + ran.err
