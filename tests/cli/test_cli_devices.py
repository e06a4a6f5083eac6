"""``check`` (a device's update check) and ``download`` (a release's package)."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

from tests.cli.conftest import Cli, base_env


def test_check_answers_as_a_device_is_answered_without_an_access_key(
    cli: Cli, bundle: Path
) -> None:
    cli("app", "add", "d-shop")
    released = cli("release", "d-shop", "Production", str(bundle), "1.0.0", "--json").json()
    key = cli.emu.deployment_key("d-shop", "Production")
    device = base_env(CODEPUSH_SERVER_URL=cli.url)  # a device has no access key
    cli.emu.clear_requests()

    offered = cli("check", key, "1.0.0", "--client-id", "device-1", "--json", env=device).json()
    assert (offered["is_available"], offered["label"], offered["reason"]) == (True, "v1", "UPDATE")
    assert offered["package_hash"] == released["package_hash"]
    assert offered["why"].startswith("an update to v1 is offered")
    assert all("authorization" not in {name.lower() for name in request.headers}
               for request in cli.emu.requests)

    current = cli("check", key, "1.0.0", "--label", "v1", "--package-hash",
                  released["package_hash"], env=device)
    assert current.out.startswith("UP_TO_DATE: ")
    other = cli("--json", "check", key, "2.0.0", env=device).json()
    assert (other["is_available"], other["reason"]) == (False, "NO_RELEASE_FOR_BINARY")
    unknown = cli("--json", "check", "no-such-deployment-key", "1.0.0", env=device, code=1)
    assert '"status_code": ' in unknown.err


def test_download_writes_the_hash_checked_package(cli: Cli, bundle: Path,
                                                  tmp_path: Path) -> None:
    cli("app", "add", "d-down")
    cli("release", "d-down", "Staging", str(bundle), "1.0.0")
    got = cli("download", "d-down", "Staging", "--to", str(tmp_path), "--json").json()
    path = Path(got["path"])
    assert path == tmp_path / "v1.zip"
    with zipfile.ZipFile(path) as package:
        assert package.read("bundle/index.android.bundle") == b"console.log('v1')"
    named = tmp_path / "named.zip"
    assert cli("download", "d-down", "Staging", "v1", "--to", str(named)).out == (
        f"Downloaded to {named}\n")
    assert hashlib.sha256(named.read_bytes()).digest() == hashlib.sha256(
        path.read_bytes()).digest()
    missing = cli("download", "d-down", "Staging", "v9", "--to", str(tmp_path), code=1)
    assert missing.err.startswith("error: NotFoundError: ")
