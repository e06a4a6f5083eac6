"""A directory released by this SDK gets the zip entries and package hash the JS tools give.

Each spelling of the path is compared with tests/js/js_tools.js, which names entries with
Node's own ``path.relative(path.dirname(given), file)`` as the JS management SDK does.
"""

from __future__ import annotations

import zipfile
from collections.abc import AsyncIterator
from io import BytesIO
from pathlib import Path

import pytest

from codepush_async import AsyncCodePush
from codepush_async._release.archive import collect_files, entry_prefix
from codepush_async._release.hashing import package_hash
from codepush_async.emulator import CodePushEmulator
from tests._backend import httpx
from tests._node import js_tools

pytestmark = pytest.mark.anyio

APP, DEP = "Naming", "Staging"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """``<tmp>/www`` with nested, unicode, upper/lower-case and ignored files; ``<tmp>/other``."""
    www = tmp_path / "www"
    (www / "sub" / "deep").mkdir(parents=True)
    (www / "index.html").write_text("<html>hi</html>")
    (www / "sub" / "app.js").write_text("console.log(1)")
    (www / "sub" / "deep" / "Zeta.txt").write_text("Z")
    (www / "sub" / "deep" / "alpha.txt").write_text("a")
    (www / "é ✓.txt").write_text("unicode")
    (www / ".DS_Store").write_bytes(b"\0junk")
    (tmp_path / "other").mkdir()
    return tmp_path


# (working directory under the tree, spelling of the path, the zip's top folder)
SPELLINGS = [
    ("www", ".", ""),
    ("www", "./", ""),
    (".", "www", "www"),
    (".", "www/", "www"),
    (".", "./www", "www"),
    (".", "www/.", ""),
    ("other", "../www", "www"),
    ("www/sub/deep", "../../../www", "www"),
    (".", "{abs}", "www"),
    (".", "{abs}/", "www"),
]


def _spelled(tree: Path, spelling: str) -> str:
    return spelling.replace("{abs}", str(tree / "www"))


@pytest.fixture
async def cp(tree: Path) -> AsyncIterator[tuple[AsyncCodePush, CodePushEmulator]]:
    emulator = CodePushEmulator()
    key = emulator.create_account("js@example.com")
    async with AsyncCodePush(key, "http://emulator", transport=emulator.transport) as client:
        await client.apps.create(APP)
        yield client, emulator


@pytest.mark.parametrize(("cwd", "spelling", "folder"), SPELLINGS)
def test_entry_names_match_node_for_every_spelling(
    tree: Path, monkeypatch: pytest.MonkeyPatch, cwd: str, spelling: str, folder: str
) -> None:
    spelling = _spelled(tree, spelling)
    monkeypatch.chdir(tree / cwd)
    js = js_tools(spelling, cwd=tree / cwd)
    assert entry_prefix(spelling) == folder
    names = [name for _, name in collect_files(Path(spelling), entry_prefix(spelling))]
    assert sorted(names) == sorted(js["entries"])
    lead = f"{folder}/" if folder else ""
    assert f"{lead}sub/deep/Zeta.txt" in names


@pytest.mark.parametrize(("cwd", "spelling", "folder"), SPELLINGS)
async def test_a_release_has_the_js_tools_package_hash(
    tree: Path,
    monkeypatch: pytest.MonkeyPatch,
    cp: tuple[AsyncCodePush, CodePushEmulator],
    cwd: str,
    spelling: str,
    folder: str,
) -> None:
    client, emulator = cp
    spelling = _spelled(tree, spelling)
    monkeypatch.chdir(tree / cwd)
    js = js_tools(spelling, cwd=tree / cwd)

    package = await client.releases.release(APP, DEP, spelling, "1.0.0")

    assert package.package_hash == js["packageHash"]
    async with httpx.AsyncClient(transport=emulator.transport) as http:
        assert package.blob_url is not None
        blob = (await http.get(package.blob_url)).content
    with zipfile.ZipFile(BytesIO(blob)) as archive:
        shipped = {info.filename for info in archive.infolist()}
    assert shipped == set(js["entries"])
    assert package_hash(blob) == js["packageHash"]  # the reconciliation hash agrees
    assert all(name.startswith(f"{folder}/") for name in shipped) == bool(folder)


def test_the_two_namings_differ_so_the_hash_must_follow_the_spelling(tree: Path) -> None:
    bare = js_tools(".", cwd=tree / "www")
    named = js_tools("www", cwd=tree)
    assert bare["packageHash"] != named["packageHash"]


async def test_a_path_ending_in_dotdot_is_refused_before_any_request(
    tree: Path, monkeypatch: pytest.MonkeyPatch, cp: tuple[AsyncCodePush, CodePushEmulator]
) -> None:
    client, emulator = cp
    monkeypatch.chdir(tree / "www" / "sub")
    before = len(emulator.requests)
    with pytest.raises(ValueError, match=r"'\.\.' ends in '\.\.'; name the directory itself"):
        await client.releases.release(APP, DEP, "..", "1.0.0")
    with pytest.raises(ValueError, match=r"ends in '\.\.'"):
        await client.releases.release(APP, DEP, str(tree / "www" / "sub" / ".."), "1.0.0")
    assert len(emulator.requests) == before
