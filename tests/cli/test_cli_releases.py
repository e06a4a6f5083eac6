"""``release``, ``promote``, ``patch``, ``rollback``, ``deployment history/metrics`` and
``verify`` as a CI job runs them."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from tests.cli.conftest import Cli


def test_release_promote_patch_rollback_history_and_metrics(cli: Cli, bundle: Path) -> None:
    cli("app", "add", "r-shop")
    first = cli("release", "r-shop", "Staging", str(bundle), "1.0.0", "--description",
                "first", "--mandatory", "--json")
    assert first.err == ""  # stderr is no terminal: no progress bar
    released = first.json()
    assert (released["label"], released["app_version"], released["description"],
            released["is_mandatory"]) == ("v1", "1.0.0", "first", True)
    again = cli("release", "r-shop", "Staging", str(bundle), "1.0.0", code=1)
    assert again.err.startswith("error: IdenticalReleaseError: ")
    rerun = cli("release", "r-shop", "Staging", str(bundle), "1.0.0", "--skip-identical")
    assert rerun.out == "Released to r-shop/Staging: nothing changed (identical to the current " \
                        "release).\n"
    assert "skipped" in rerun.err  # the SDK's warning, on stderr
    assert cli("release", "r-shop", "Staging", str(bundle), "1.0.0", "--skip-identical",
               "--quiet").err == ""
    assert cli("--json", "release", "r-shop", "Staging", str(bundle), "1.0.0",
               "--skip-identical").json() is None

    promoted = cli("promote", "r-shop", "Staging", "Production", "--rollout", "25", "--json")
    assert (promoted.json()["label"], promoted.json()["rollout"]) == ("v1", 25)
    patched = cli("patch", "r-shop", "Production", "--rollout", "50", "--description", "wider")
    assert patched.out == "Patched r-shop/Production: v1 (1.0.0) at 50%.\n"

    assert "Rollout: 50%" in cli("deployment", "history", "r-shop", "Production").out
    cli("patch", "r-shop", "Production", "--label", "v1", "--rollout", "100", "--quiet")
    (bundle / "index.android.bundle").write_text("console.log('v2')")
    cli("release", "r-shop", "Production", str(bundle), "1.0.0", "--disabled")
    rolled = cli("rollback", "r-shop", "Production", "--json").json()
    assert rolled["release_method"] == "Rollback"

    cli.emu.record_metrics("r-shop", "Production", "v1", downloaded=10, installed=9,
                           failed=1, active=9)
    history = cli("deployment", "history", "r-shop", "Production", "--json").json()
    assert [row["label"] for row in history] == ["v1", "v2", "v3"]
    assert (history[0]["installed"], history[0]["description"]) == (9, "wider")
    assert history[1]["is_disabled"] is True
    metrics = cli("deployment", "metrics", "r-shop", "Production", "--json").json()
    assert metrics["v1"] == {"active": 9, "downloaded": 10, "installed": 9, "failed": 1}
    assert "v1" in cli("deployment", "metrics", "r-shop", "Production").out


def test_a_patch_with_nothing_to_change_is_a_usage_error(cli: Cli) -> None:
    cli.emu.clear_requests()
    ran = cli("patch", "r-none", "Production", code=2)
    assert "Usage: codepush-async patch" in ran.err
    assert "nothing to change" in ran.err
    assert len(cli.emu.requests) == 0


def test_verify_a_signed_release(cli: Cli, bundle: Path, tmp_path: Path) -> None:
    pytest.importorskip(
        "jwt", reason="signing needs the signing extra: pip install -e '.[signing]'")
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    def key_pair(name: str) -> tuple[Path, Path]:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private, public = tmp_path / f"{name}.pem", tmp_path / f"{name}.pub.pem"
        private.write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        public.write_bytes(key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        return private, public

    private, public = key_pair("signing")
    _, other = key_pair("other")
    cli("app", "add", "r-signed")
    released = cli("release", "r-signed", "Staging", str(bundle), "1.0.0", "--private-key",
                   str(private), "--json").json()
    downloaded = tmp_path / "release.zip"
    with urllib.request.urlopen(released["blob_url"]) as answer:  # noqa: S310 (the emulator)
        downloaded.write_bytes(answer.read())

    verified = cli("verify", str(downloaded), "--public-key", str(public), "--json").json()
    assert verified["verified"] is True
    assert len(verified["content_hash"]) == 64
    refused = cli("--json", "verify", str(downloaded), "--public-key", str(other), code=1)
    assert '"error": "ReleaseSignatureError"' in refused.err
    unsigned = cli("verify", str(bundle), "--public-key", str(public), code=1)
    assert unsigned.err.startswith("error: ReleaseSignatureError: ")
