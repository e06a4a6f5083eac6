"""The locally computed package hash matches the server's algorithm.

Also for a user's own zip: Windows-style names and macOS clutter.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from codepush_async._release.hashing import package_hash
from codepush_async.emulator._node.package_hash import package_hash as emulator_package_hash


def _zip(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_plain_file_is_hashed_whole(tmp_path: Path) -> None:
    path = tmp_path / "main.jsbundle"
    path.write_bytes(b"console.log(1)")
    assert package_hash(path) == sha(b"console.log(1)")
    assert package_hash(b"console.log(1)") == sha(b"console.log(1)")


def test_zip_hash_is_the_manifest_hash() -> None:
    data = _zip({"b/main.jsbundle": b"js", "b/assets/": b"", "b/.DS_Store": b"x",
                 "__MACOSX/b/._main": b"y", "b/a.png": b"png"})
    # The manifest as the server builds it: sorted "path:sha256" strings, compact JSON.
    manifest = sorted([f"b/main.jsbundle:{sha(b'js')}", f"b/assets/:{sha(b'')}",
                       f"b/a.png:{sha(b'png')}"])
    expected = sha(("[" + ",".join(f'"{e}"' for e in manifest) + "]").encode())
    assert package_hash(data) == expected


def test_zip_order_and_compression_do_not_matter() -> None:
    first = _zip({"x/1": b"one", "x/2": b"two"})
    reordered = _zip({"x/2": b"two", "x/1": b"one"}, zipfile.ZIP_STORED)
    assert package_hash(first) == package_hash(reordered)
    assert package_hash(first) != package_hash(_zip({"x/1": b"one", "x/2": b"TWO"}))


def test_corrupt_zip_is_hashed_as_a_plain_file() -> None:
    data = b"PK\x03\x04 but not really a zip"
    assert package_hash(data) == sha(data)


@pytest.mark.parametrize(
    "entries",
    [
        {"bundle/main.jsbundle": b"a", "bundle/img/ü.png": b"b", "bundle/\U0001f600.txt": b"c",
         "bundle/\uff21.txt": b"d"},
        {"a.txt": b"", "dir/": b"", "dir/.DS_Store": b"z", "__MACOSX/x": b"y"},
    ],
    ids=["unicode-and-astral-order", "ignored-and-empty"],
)
def test_matches_the_emulators_independent_implementation(entries: dict[str, bytes]) -> None:
    data = _zip(entries)
    assert package_hash(data) == emulator_package_hash(data)


# --- a user's own zip ----------------------------------------------------------------------

BUNDLE = {"bundle/main.jsbundle": b"console.log(1)", "bundle/assets/logo.png": b"\x89PNG"}


def test_windows_style_names_hash_like_their_posix_form() -> None:
    windows = {name.replace("/", "\\"): data for name, data in BUNDLE.items()}
    assert package_hash(_zip(windows)) == package_hash(_zip(BUNDLE))


def test_a_backslash_is_a_separator_not_part_of_the_name() -> None:
    joined = {"bundle\\main.jsbundle": b"x"}
    other = {"bundle\\\\main.jsbundle": b"x", "bundlemain.jsbundle": b"x"}
    assert package_hash(_zip(joined)) == package_hash(_zip({"bundle/main.jsbundle": b"x"}))
    assert package_hash(_zip(joined)) != package_hash(_zip({"bundlemain.jsbundle": b"x"}))
    assert package_hash(_zip(other)) != package_hash(_zip(joined))


def test_macos_clutter_is_left_out_wherever_it_sits() -> None:
    expected = package_hash(_zip(BUNDLE))
    for clutter in (".DS_Store", "bundle/.DS_Store", "__MACOSX/bundle/._main.jsbundle",
                    "bundle\\.DS_Store"):
        assert package_hash(_zip({**BUNDLE, clutter: b"junk"})) == expected, clutter


def test_names_that_only_look_like_clutter_count() -> None:
    expected = package_hash(_zip(BUNDLE))
    for name in (".ds_store", "bundle/x.DS_Store", ".DS_Store.bak", "MACOSX/x"):
        assert package_hash(_zip({**BUNDLE, name: b"data"})) != expected, name
