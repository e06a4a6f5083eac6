"""The package-hash algorithm and the node-semver subset, tested directly."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from codepush_async.emulator import package_hash
from codepush_async.emulator._node.package_hash import zip_manifest
from codepush_async.emulator._node.semver import _JS_WHITESPACE, satisfies, valid, valid_range

from .._node import js_tools
from ._helpers import expected_zip_hash, make_zip


def test_plain_file_is_hashed_whole() -> None:
    assert package_hash(b"abc") == hashlib.sha256(b"abc").hexdigest()
    assert package_hash(b"") == hashlib.sha256(b"").hexdigest()


def test_zip_manifest_hash() -> None:
    files = {"bundle/main.jsbundle": b"js", "bundle/assets/a.png": b"png", "z.txt": b"z"}
    assert package_hash(make_zip(files)) == expected_zip_hash(files)


def test_zip_hash_ignores_container_details() -> None:
    files = {"b.js": b"2", "a.js": b"1"}
    deflated = make_zip(files)
    stored = make_zip(dict(sorted(files.items())), compression=zipfile.ZIP_STORED)
    assert deflated != stored
    assert package_hash(deflated) == package_hash(stored)


def test_zip_ignored_and_directory_entries() -> None:
    data = make_zip(
        {"a.js": b"1", "__MACOSX/a.js": b"x", ".DS_Store": b"x", "sub/.DS_Store": b"x"},
        dirs=("sub/",),
    )
    empty = hashlib.sha256(b"").hexdigest()
    assert zip_manifest(data) == {"sub/": empty, "a.js": hashlib.sha256(b"1").hexdigest()}
    assert package_hash(data) == expected_zip_hash({"a.js": b"1", "sub/": b""})


def test_manifest_json_escaping_and_order() -> None:
    files = {'q"uote.js': b"1", "ünï.js": b"2", "B.js": b"3", "a.js": b"4"}
    entries = sorted(f"{k}:{hashlib.sha256(v).hexdigest()}" for k, v in files.items())
    text = json.dumps(entries, separators=(",", ":"), ensure_ascii=False)
    assert package_hash(make_zip(files)) == hashlib.sha256(text.encode()).hexdigest()


def test_empty_zip() -> None:
    assert package_hash(make_zip({})) == hashlib.sha256(b"[]").hexdigest()


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("*", "*"),
        ("", "*"),
        ("1.2.3", "1.2.3"),
        ("v1.2.3", "1.2.3"),
        ("=1.2.3", "1.2.3"),
        ("1.2", ">=1.2.0 <1.3.0-0"),
        ("1.2.*", ">=1.2.0 <1.3.0-0"),
        ("1.x", ">=1.0.0 <2.0.0-0"),
        ("X", "*"),
        ("~1.2.3", ">=1.2.3 <1.3.0-0"),
        ("~> 1.2", ">=1.2.0 <1.3.0-0"),
        ("^1.2.3", ">=1.2.3 <2.0.0-0"),
        ("^0.2.3", ">=0.2.3 <0.3.0-0"),
        ("^0.0.3", ">=0.0.3 <0.0.4-0"),
        ("^1.2.3-beta.1", ">=1.2.3-beta.1 <2.0.0-0"),
        ("1.2.3 - 2.3.4", ">=1.2.3 <=2.3.4"),
        ("1.2 - 2", ">=1.2.0 <3.0.0-0"),
        (">= 1.2.3 < 2", ">=1.2.3 <2.0.0-0"),
        (">1.2", ">=1.3.0"),
        ("<=1.2", "<1.3.0-0"),
        (">=0.0.0", "*"),
        ("1.0.0 || 2.0.0", "1.0.0||2.0.0"),
        ("1.0.0 ||", "*"),
        ("1.2.3+build", "1.2.3"),
        (">*", "<0.0.0-0"),
    ],
)
def test_valid_range(text: str, normalized: str) -> None:
    assert valid_range(text) == normalized


@pytest.mark.parametrize("text", ["abc", "1.2.3.4", ">=", "01.2.3", "1.2.3-", "~", None, 5])
def test_invalid_range(text: object) -> None:
    assert valid_range(text) is None


def test_valid_and_satisfies() -> None:
    assert valid(" v1.2.3 ") == "1.2.3"
    assert valid("1.2") is None
    assert satisfies("1.2.5", "~1.2.3")
    assert not satisfies("1.3.0", "~1.2.3")
    assert not satisfies("1.3.0-beta", "^1.2.3")
    assert satisfies("1.2.4-beta", "~1.2.4-alpha")
    assert not satisfies("1.2.4-alpha", "~1.2.4-beta")
    assert satisfies("2.0.0", "1.x || 2.x")
    assert not satisfies("1.0.0-rc.1", "*")
    assert satisfies("1.0.0-rc.10", ">1.0.0-rc.9")
    assert not satisfies("nope", "*")
    assert not satisfies("1.0.0", "nope")


# What JavaScript's `\s` and trim() match (test_whitespace_is_node_s checks it against Node),
# and what Python's str.strip() also strips but JavaScript keeps.
JS_WHITESPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
NOT_JS_WHITESPACE = "\x1c\x1d\x1e\x1f\x85"

# node-semver 7.6.3's validRange (Node 20) with {c} each one of JS_WHITESPACE; with each one of
# NOT_JS_WHITESPACE it answers null for every template.
WHITESPACE_RANGES = [
    ("start", "{c}1.2.3", "1.2.3"),
    ("end", "1.2.3{c}", "1.2.3"),
    ("around-caret", "{c}^1.2{c}", ">=1.2.0 <2.0.0-0"),
    ("between-comparators", ">=1{c}<2", ">=1.0.0 <2.0.0-0"),
    ("after-operator", ">={c}1.2.3", ">=1.2.3"),
    ("after-tilde", "~{c}1.2", ">=1.2.0 <1.3.0-0"),
    ("around-or", "1.0.0{c}||{c}2.0.0", "1.0.0||2.0.0"),
    ("around-hyphen", "1.2.3{c}-{c}2.0.0", ">=1.2.3 <=2.0.0"),
    ("doubled-before-hyphen", "1.2.3{c}{c}- 2.0.0", ">=1.2.3 <=2.0.0"),
]


def _char_id(char: str) -> str:
    return f"U+{ord(char):04X}"


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        pytest.param(template.format(c=char), answer, id=f"{_char_id(char)}-{name}")
        for char in JS_WHITESPACE
        for name, template, answer in WHITESPACE_RANGES
    ]
    + [
        pytest.param(template.format(c=char), None, id=f"{_char_id(char)}-{name}")
        for char in NOT_JS_WHITESPACE
        for name, template, _ in WHITESPACE_RANGES
    ],
)
def test_valid_range_trims_and_splits_on_javascript_whitespace(
    text: str, normalized: str | None
) -> None:
    assert valid_range(text) == normalized


@pytest.mark.parametrize(
    ("char", "whitespace"),
    [pytest.param(c, True, id=_char_id(c)) for c in JS_WHITESPACE]
    + [pytest.param(c, False, id=_char_id(c)) for c in NOT_JS_WHITESPACE],
)
def test_satisfies_and_valid_trim_javascript_whitespace(char: str, whitespace: bool) -> None:
    # node-semver 7.6.3: true, true, "1.2.3" for JavaScript whitespace; false, false, null if not
    assert satisfies("1.5.0", f">=1{char}<2") is whitespace
    assert satisfies(f"{char}1.2.3{char}", "1.2.3") is whitespace
    assert valid(f"{char}v1.2.3{char}") == ("1.2.3" if whitespace else None)


@pytest.mark.parametrize(
    "text",
    ["\uff11.2.3", "\u0661.2.3", "1.\uff12.3", ">=\uff11"],
    ids=["fullwidth-major", "arabic-indic-major", "fullwidth-minor", "fullwidth-bound"],
)
def test_only_ascii_digits_are_digits(text: str) -> None:
    # node-semver 7.6.3: validRange and valid null, satisfies("1.2.3", text) false
    assert valid_range(text) is None
    assert valid(text) is None
    assert not satisfies("1.2.3", text)


def test_whitespace_is_node_s(tmp_path: Path) -> None:
    node = js_tools("--whitespace", cwd=tmp_path)
    assert node["regex"] == node["trim"] == [ord(c) for c in JS_WHITESPACE]
    assert sorted(map(ord, _JS_WHITESPACE)) == node["trim"]
    python = [code for code in range(0x110000) if chr(code).isspace()]
    assert [ord(c) for c in NOT_JS_WHITESPACE] == sorted(set(python) - set(node["trim"]))
    for code in sorted(set(python) | set(node["trim"])):
        char = chr(code)
        trimmed, split = code in node["trim"], code in node["regex"]
        assert valid(f"{char}1.2.3{char}") == ("1.2.3" if trimmed else None), hex(code)
        assert valid_range(f">=1{char}<2") == (">=1.0.0 <2.0.0-0" if split else None), hex(code)


def test_a_code_signature_stays_in_the_manifest_but_out_of_the_hash() -> None:
    import io

    from codepush_async.emulator._node.package_hash import hash_with_manifest

    def zipped(entries: dict[str, bytes]) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, data in entries.items():
                archive.writestr(name, data)
        return buffer.getvalue()

    files = {"CodePush/main.jsbundle": b"js", "CodePush/assets/a.png": b"png"}
    signed = zipped({**files, "CodePush/.codepushrelease": b"jwt", "x/.codepushrelease": b"j"})
    digest, manifest = hash_with_manifest(signed)
    assert digest == package_hash(zipped(files))
    assert manifest is not None
    assert "CodePush/.codepushrelease" in manifest  # kept in the manifest blob
    not_signature = zipped({**files, "CodePush/x.codepushrelease": b"other"})
    assert package_hash(not_signature) != package_hash(zipped(files))
