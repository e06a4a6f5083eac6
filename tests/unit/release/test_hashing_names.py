"""The package hash of a user's own zip: Windows-style names and macOS clutter."""

from __future__ import annotations

import io
import zipfile

from codepush_async._release.hashing import package_hash


def make_zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(zipfile.ZipInfo(name), data)
    return buffer.getvalue()


BUNDLE = {"bundle/main.jsbundle": b"console.log(1)", "bundle/assets/logo.png": b"\x89PNG"}


def test_windows_style_names_hash_like_their_posix_form() -> None:
    windows = {name.replace("/", "\\"): data for name, data in BUNDLE.items()}
    assert package_hash(make_zip(windows)) == package_hash(make_zip(BUNDLE))


def test_a_backslash_is_a_separator_not_part_of_the_name() -> None:
    joined = {"bundle\\main.jsbundle": b"x"}
    other = {"bundle\\\\main.jsbundle": b"x", "bundlemain.jsbundle": b"x"}
    assert package_hash(make_zip(joined)) == package_hash(make_zip({"bundle/main.jsbundle": b"x"}))
    assert package_hash(make_zip(joined)) != package_hash(make_zip({"bundlemain.jsbundle": b"x"}))
    assert package_hash(make_zip(other)) != package_hash(make_zip(joined))


def test_macos_clutter_is_left_out_wherever_it_sits() -> None:
    expected = package_hash(make_zip(BUNDLE))
    for clutter in (".DS_Store", "bundle/.DS_Store", "__MACOSX/bundle/._main.jsbundle",
                    "bundle\\.DS_Store"):
        assert package_hash(make_zip({**BUNDLE, clutter: b"junk"})) == expected, clutter


def test_names_that_only_look_like_clutter_count() -> None:
    expected = package_hash(make_zip(BUNDLE))
    for name in (".ds_store", "bundle/x.DS_Store", ".DS_Store.bak", "MACOSX/x"):
        assert package_hash(make_zip({**BUNDLE, name: b"data"})) != expected, name
