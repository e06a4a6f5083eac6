"""What the SDK signs, ``verify_release`` accepts; any hostile addition it refuses.

Trees are generated on disk (Unicode, decomposed accents, backslashes, Finder files), signed
with ``prepare_release(private_key=)`` and verified. The SDK refuses, before any request,
exactly the trees whose names a device would install otherwise than signed.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import Path

import anyio
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from codepush_async import ReleaseSignatureError, prepare_release, verify_release
from codepush_async._release.hashing import manifest_hash
from tests.unit.release.test_package_reader import KEYS, Entry, _local, raw_zip

SEGMENT = st.one_of(
    st.text(alphabet=st.sampled_from("aB3 -_.é\u0301üΩ中🙂"), min_size=1, max_size=6),
    st.sampled_from([".DS_Store", ".codepushrelease", "__MACOSX", "index.js", "e\u0301.js",
                     "\u00e9.js", "a\\b.js"]),
).filter(lambda s: s not in (".", ".."))
PATHS = st.lists(SEGMENT, min_size=1, max_size=3).map("/".join)
TREES = st.dictionaries(PATHS, st.binary(max_size=40), min_size=1, max_size=6)


def _consistent(tree: dict[str, bytes]) -> dict[str, bytes]:
    """Drop files whose name is another file's folder: a disk cannot hold both."""
    folders = {"/".join(p.split("/")[:n]) for p in tree for n in range(1, p.count("/") + 1)}
    return {path: data for path, data in tree.items() if path not in folders}


def _kept(tree: dict[str, bytes]) -> dict[str, bytes]:
    """The files a signed zip ships: Finder files and old signatures left out."""
    return {f"CodePush/{path}": data for path, data in tree.items()
            if path.rsplit("/", 1)[-1] not in (".DS_Store", ".codepushrelease")}


def _ambiguous(names: list[str]) -> bool:
    """Names a device installs otherwise than signed, as the guide lists them."""
    folders_ignored = any(set(n.split("/")[:-1]) & {".DS_Store", ".codepushrelease"}
                          for n in names)
    normalized = [unicodedata.normalize("NFC", n) for n in names]
    folders = {"/".join(n.split("/")[:end]) for n in normalized for end in range(1, n.count("/") + 1)}
    merged = len(set(normalized)) < len(names) or bool(folders & set(normalized))
    return any("\\" in n for n in names) or folders_ignored or merged


def _write(root: Path, tree: dict[str, bytes]) -> None:
    for path, data in tree.items():
        target = root.joinpath(*path.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


async def _sign(root: Path) -> bytes:
    async with prepare_release(root, private_key=KEYS[0]) as prepared:
        assert isinstance(prepared.contents, Path)
        return prepared.contents.read_bytes()


def _entries(blob: bytes) -> list[Entry]:
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        return [Entry.of(info.filename, archive.read(info), deflate=True)
                for info in archive.infolist()]


def _name_additions(name: str) -> list[str]:
    """Names that alias ``name`` on some device, or escape, or hide it."""
    top, _, rest = name.partition("/")
    composed = unicodedata.normalize("NFC", name)
    decomposed = unicodedata.normalize("NFD", name)
    return [
        name,  # a later duplicate
        name.replace("/", "\\"),
        f"__MACOSX/../{name}",
        f"/{name}",
        f"{top}/./{rest}",
        f"{top}/x/../{rest}",
        f"{name}/shadow.js",  # a file and a folder at once
        decomposed if decomposed != name else composed + "\u0301",
        "CodePush/.DS_Store/hidden.js",
        "hotcodepush.json",
        "CodePush/not-signed.js",  # a plain new file
    ]


def _hostile(entries: list[Entry], name: str) -> list[bytes]:
    evil = Entry.of("x", b"evil()", deflate=True)
    additions = [raw_zip([*entries, Entry.of(alias, b"evil()", deflate=True)])
                 for alias in _name_additions(name)]
    changed = [Entry.of(e.name.decode(), b"evil()", deflate=True) if e.name.decode() == name
               else e for e in entries]
    return [
        *additions,
        raw_zip(changed),
        raw_zip(entries, prefix=b"MZ\x90\x00"),
        raw_zip(entries, between=_local(Entry.of(name, b"evil()", deflate=True))),
        raw_zip([*entries, evil], order=[len(entries), *range(len(entries))]),
    ]


@settings(max_examples=int(os.environ.get("ZIP_EXAMPLES", "60")), deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(tree=TREES.map(_consistent).filter(bool), pick=st.integers(min_value=0))
def test_what_the_sdk_signs_verifies_and_every_hostile_addition_is_refused(
    tree: dict[str, bytes], pick: int
) -> None:
    kept = _kept(tree)
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp, "build")
        _write(root, tree)
        refused = not kept or _ambiguous(list(kept))
        event("refused before signing" if refused else "signed and verified")
        if refused:
            with pytest.raises(ValueError, match="contents: "):
                anyio.run(_sign, root)
            return
        blob = anyio.run(_sign, root)
        package = Path(temp, "package.zip")
        package.write_bytes(blob)
        expected = manifest_hash({n: hashlib.sha256(d).hexdigest() for n, d in kept.items()})
        assert anyio.run(verify_release, package, KEYS[1]) == expected

        entries = _entries(blob)
        rebuilt = raw_zip(entries)  # written by hand, the same files: still verifies
        package.write_bytes(rebuilt)
        assert anyio.run(verify_release, package, KEYS[1]) == expected
        target = sorted(kept)[pick % len(kept)]
        for hostile in _hostile(entries, target):
            package.write_bytes(hostile)
            with pytest.raises(ReleaseSignatureError):
                anyio.run(verify_release, package, KEYS[1])


def test_the_examples_above_include_what_they_claim() -> None:
    """The strategy reaches backslashes, decomposed accents and Finder files."""
    found: dict[str, bool] = {"backslash": False, "nfd": False, "finder": False}
    checks: dict[str, Callable[[str], bool]] = {
        "backslash": lambda p: "\\" in p,
        "nfd": lambda p: unicodedata.normalize("NFC", p) != p,
        "finder": lambda p: ".DS_Store" in p,
    }

    @settings(max_examples=300, database=None, deadline=None)
    @given(PATHS)
    def probe(path: str) -> None:
        for key, check in checks.items():
            found[key] = found[key] or check(path)

    probe()
    assert all(found.values()), found
