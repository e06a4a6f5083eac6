"""Every Python snippet of the README and the docs runs as written, against the emulator.

A docs page shows a snippet by including its file (``--8<-- "name.py"``, from
``docs/snippets`` or the repository root); the README's snippets are its ``python`` blocks.
Each runs as ``__main__`` in a folder holding ``build/CodePush`` (a bundle) and ``keys/``
(an RSA key pair), with ``CODEPUSH_SERVER_URL`` and ``CODEPUSH_ACCESS_KEY`` naming a fresh
emulator served on a local port, as the getting-started page tells readers to run them.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import codepush_async
import codepush_async.emulator
from codepush_async.emulator import CodePushEmulator

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
INCLUDE_ROOTS = (ROOT / "docs" / "snippets", ROOT)
FENCE = re.compile(r"^```(\S*)\n(.*?)^```$", re.S | re.M)
FENCE_LINE = re.compile(r"^([ \t>]*)(`{3,}|~{3,})(.*)$", re.M)
INCLUDE = re.compile(r'^--8<-- "([^"]+)"$')
LANGUAGES = {"python", "bash", "text", "toml"}

# What some snippets' pages say they print (their comments show it).
PRINTS = {
    "docs/snippets/rollouts_offline.py": "v1 completed at 100%",
    "docs/snippets/fleets_promote.py": "['done', 'done', 'done']",
    "docs/snippets/errors_handling.py": "identical to the current release",
    "docs/snippets/emulator_in_process.py": "POST /apps 500",
    "docs/snippets/compatibility_webhook.py": "MyApp Production v3",
    "docs/snippets/devices_check.py": "UPDATE v1 an update to v1 is offered",
    "docs/snippets/devices_explain.py": "range v3\nv3 targets binary 2.0.0",
    "docs/snippets/devices_download_release.py": "production.zip",
}

# Snippets another test runs (it must name the snippet's file), by their path from ROOT.
RUN_ELSEWHERE = {
    "docs/snippets/emulator_pytest_plugin.py": "tests/emulator/test_emu_plugin_modes.py",
}


def _included(name: str) -> Path:
    for root in INCLUDE_ROOTS:
        if (root / name).is_file():
            return root / name
    raise AssertionError(f"--8<-- {name!r}: no such file in docs/snippets or the repository")


def _snippets() -> Iterator[tuple[str, str]]:
    """(name, source) of every ``python`` block: an included file or the block itself."""
    for page in PAGES:
        page_name = page.relative_to(ROOT).as_posix()
        for number, (language, body) in enumerate(FENCE.findall(page.read_text()), 1):
            if language != "python":
                continue
            lines = body.strip().splitlines()
            includes = [INCLUDE.match(line) for line in lines]
            if all(includes):
                for match in includes:
                    assert match is not None
                    path = _included(match.group(1))
                    yield path.relative_to(ROOT).as_posix(), path.read_text()
            else:
                assert not any(includes), f"{page_name} block {number} mixes code and includes"
                yield f"{page_name}#{number}", body


SNIPPETS = dict(_snippets())
RUN_HERE = sorted(name for name in SNIPPETS if name not in RUN_ELSEWHERE)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An RSA key pair, ``private.pem`` and ``public.pem``, made once."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    folder = tmp_path_factory.mktemp("keys")
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (folder / "private.pem").write_bytes(private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ))
    (folder / "public.pem").write_bytes(private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ))
    return folder


@pytest.fixture
def workdir(tmp_path: Path, keys: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The current folder while a snippet runs: a bundle in ``build/CodePush``, ``keys/``."""
    bundle = tmp_path / "build" / "CodePush"
    (bundle / "assets").mkdir(parents=True)
    (bundle / "main.jsbundle").write_text("console.log('1.4.1');\n")
    (bundle / "assets" / "logo.txt").write_text("logo\n")
    shutil.copytree(keys, tmp_path / "keys")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[CodePushEmulator]:
    emulator = CodePushEmulator()
    key = emulator.create_account("you@example.com")
    with emulator.serve() as url:
        monkeypatch.setenv("CODEPUSH_SERVER_URL", url)
        monkeypatch.setenv("CODEPUSH_ACCESS_KEY", key)
        yield emulator


@pytest.mark.parametrize("name", RUN_HERE)
def test_snippet_runs(
    name: str, workdir: Path, served: CodePushEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    code = compile(SNIPPETS[name], name, "exec")
    exec(code, {"__name__": "__main__", "__file__": str(workdir / Path(name).name)})  # noqa: S102
    assert PRINTS.get(name, "") in capsys.readouterr().out


def test_the_printed_lines_belong_to_shown_snippets() -> None:
    assert sorted(set(PRINTS) - set(RUN_HERE)) == []


def test_every_block_is_one_the_runs_above_find() -> None:
    """An indented, ``~~~`` or ``py`` block would escape them: each opens at the margin."""
    for page in PAGES:
        fences = FENCE_LINE.findall(page.read_text())
        for indent, fence, language in fences[::2]:  # openings; closings follow each
            where = f"{page.relative_to(ROOT)}: {indent}{fence}{language}"
            assert (indent, fence) == ("", "```"), f"{where}: open blocks with ``` at the margin"
            assert language in LANGUAGES, f"{where}: not one of {sorted(LANGUAGES)}"


def test_snippets_run_elsewhere_are_read_there() -> None:
    for snippet, test in RUN_ELSEWHERE.items():
        assert snippet in SNIPPETS, f"{snippet} is no longer shown: drop it from RUN_ELSEWHERE"
        assert Path(snippet).name in (ROOT / test).read_text(), f"{test} does not run {snippet}"


@pytest.mark.parametrize(
    ("module", "names"),
    [
        ("codepush_async", codepush_async.__all__),
        ("codepush_async.emulator", codepush_async.emulator.__all__),
    ],
    ids=["codepush_async", "emulator"],
)
def test_the_reference_documents_every_public_name(module: str, names: list[str]) -> None:
    reference = "\n".join(p.read_text() for p in (ROOT / "docs" / "reference").glob("*.md"))
    shown = set(re.findall(rf"^::: {re.escape(module)}\.(\w+)$", reference, re.M))
    assert sorted(set(names) - shown) == [], "public names missing from docs/reference"
