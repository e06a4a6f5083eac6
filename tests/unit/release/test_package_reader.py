"""``verify_release`` reads a package as a device installs it, or refuses it.

Devices unzip with react-native-code-push's ``FileUtils.unzipFile``: Android's
``ZipInputStream`` reads local headers in file order and keeps ``\\`` in names, iOS's
SSZipArchive reads the central directory, turns ``\\`` into ``/``, drops ``..`` and skips
``__MACOSX/``; later duplicates overwrite. Each hostile zip below is one the previous
reader accepted (or failed on with a raw error) although a device would install other files.
"""

from __future__ import annotations

import hashlib
import os
import re
import struct
import threading
import tracemalloc
import zipfile
import zlib
from collections.abc import Sequence
from io import BytesIO
from pathlib import Path

import attrs
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from codepush_async import ReleaseSignatureError, prepare_release, verify_release
from codepush_async._release.hashing import manifest_hash
from codepush_async._release.signing import ReleaseSigner

pytestmark = pytest.mark.anyio

NOW = 1_700_000_000.0
MAIN = b"console.log('good')"
EVIL = b"steal()"
SHA = {data: hashlib.sha256(data).hexdigest() for data in (MAIN, EVIL)}


def _pair() -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


KEYS = _pair()


def _token(manifest: dict[str, str]) -> bytes:
    """The signature of ``manifest`` (``{name: sha256}``), as the SDK's signer writes it."""
    return ReleaseSigner(KEYS[0], lambda: NOW)(manifest)[1]


@attrs.frozen
class Entry:
    """One zip entry written byte by byte: what the local header and directory say."""

    name: bytes
    data: bytes  # as stored (compressed for DEFLATED)
    size: int
    crc: int
    method: int = zipfile.ZIP_STORED
    flags: int = 0x800
    mode: int = 0o100644
    local_name: bytes | None = None  # when the local header names another file

    @classmethod
    def of(cls, name: str, content: bytes, *, deflate: bool = False, **extra: object) -> Entry:
        data = content
        if deflate:
            packer = zlib.compressobj(9, zlib.DEFLATED, -15)
            data = packer.compress(content) + packer.flush()
        method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
        return cls(name.encode(), data, len(content), zlib.crc32(content),  # type: ignore[arg-type]
                   method, **extra)


_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")


def _local(entry: Entry) -> bytes:
    name = entry.local_name if entry.local_name is not None else entry.name
    return _LOCAL.pack(b"PK\x03\x04", 20, 0, entry.flags, entry.method, 0, 0x21, entry.crc,
                       len(entry.data), entry.size, len(name), 0) + name + entry.data


def raw_zip(entries: Sequence[Entry], *, prefix: bytes = b"", between: bytes = b"",
            order: Sequence[int] | None = None) -> bytes:
    """A zip written by hand: ``prefix`` before the entries, ``between`` after them (not
    listed), the central directory in ``order`` (file order by default)."""
    body, offsets = bytearray(prefix), []
    for entry in entries:
        offsets.append(len(body))
        body += _local(entry)
    body += between
    start = len(body)
    for index in order if order is not None else range(len(entries)):
        entry = entries[index]
        body += _CENTRAL.pack(b"PK\x01\x02", 20, 3, 20, 0, entry.flags, entry.method, 0, 0x21,
                              entry.crc, len(entry.data), entry.size, len(entry.name), 0, 0,
                              0, 0, entry.mode << 16, offsets[index]) + entry.name
    count = len(entries)
    body += _END.pack(b"PK\x05\x06", 0, 0, count, count, len(body) - start, start, 0)
    return bytes(body)


def signed(files: Sequence[Entry], manifest: dict[str, str], **layout: object) -> bytes:
    """``files`` plus a signature over ``manifest``, the signature entry last."""
    token = _token(manifest)
    return raw_zip([*files, Entry.of("CodePush/.codepushrelease", token)], **layout)  # type: ignore[arg-type]


GOOD = {"CodePush/main.jsbundle": SHA[MAIN]}
GOOD_ENTRY = Entry.of("CodePush/main.jsbundle", MAIN, deflate=True)


async def _verify(tmp_path: Path, blob: bytes) -> str:
    package = tmp_path / "package.zip"
    package.write_bytes(blob)
    return await verify_release(package, KEYS[1])


async def test_a_hand_written_zip_verifies(tmp_path: Path) -> None:
    """The builder writes zips a device installs: the refusals below are the additions."""
    assert await _verify(tmp_path, signed([GOOD_ENTRY], GOOD)) == manifest_hash(GOOD)


def _evil(name: str) -> Entry:
    return Entry.of(name, EVIL, deflate=True)


# Zips the previous reader accepted: each holds the signed files, and devices install others.
ACCEPTED_BEFORE = {
    # The directory lists the copies the other way round: iOS keeps the good one, Android
    # (file order) the evil one.
    "duplicate-in-another-order": (
        {"files": [GOOD_ENTRY, _evil("CodePush/main.jsbundle")], "order": [1, 0, 2]},
        "are one file on a device",
    ),
    # Android writes a second file named with a backslash; iOS overwrites main.jsbundle.
    "backslash-alias": (
        {"files": [Entry.of("CodePush\\main.jsbundle", EVIL), GOOD_ENTRY]},
        "holds a backslash",
    ),
    # Left out as Finder metadata, but Android resolves it onto the bundle.
    "macosx-dotdot": (
        {"files": [GOOD_ENTRY, _evil("__MACOSX/../CodePush/main.jsbundle")]},
        "'..' segment",
    ),
    "macosx-dotdot-deeper": (
        {"files": [GOOD_ENTRY, _evil("__MACOSX/x/../../CodePush/main.jsbundle")]},
        "'..' segment",
    ),
    # Android extracts local headers the central directory does not list.
    "entry-hidden-before-the-directory": (
        {"files": [GOOD_ENTRY], "between": _local(_evil("CodePush/main.jsbundle"))},
        "bytes after its last entry",
    ),
    # Android finds no local header first and installs nothing at all.
    "bytes-before-the-first-entry": (
        {"files": [GOOD_ENTRY], "prefix": b"#!/bin/sh\nexit 0\n"},
        "bytes before",
    ),
    # A folder named .DS_Store: devices skip it whole, the server hashes what is inside.
    "file-in-a-ds-store-folder": (
        {"files": [GOOD_ENTRY, _evil("CodePush/.DS_Store/extra.js")],
             "manifest": {**GOOD, "CodePush/.DS_Store/extra.js": SHA[EVIL]}},
        "folder devices leave out",
    ),
    # A folder entry and a file of one name: the device cannot write both.
    "folder-entry-and-file": (
        {"files": [GOOD_ENTRY, Entry.of("CodePush/main.jsbundle/", b"")]},
        "is both a file and a folder",
    ),
    # A diff manifest makes devices merge the release they already run into this one.
    "diff-manifest": (
        {"files": [GOOD_ENTRY, Entry.of("hotcodepush.json", b'{"deletedFiles": []}')],
             "manifest": {**GOOD, "hotcodepush.json": hashlib.sha256(
                 b'{"deletedFiles": []}').hexdigest()}},
        "diff-update manifest",
    ),
}


def _absolute_cases() -> dict[str, tuple[dict[str, object], str]]:
    """Signed over the names as written: devices install them under other names."""
    cases: dict[str, tuple[dict[str, object], str]] = {}
    for label, name, message in [
        ("absolute", "/CodePush/main.jsbundle", "is absolute"),
        ("drive-letter", "C:/CodePush/main.jsbundle", "is absolute"),
        ("dotdot-inside", "CodePush/x/../main.jsbundle", "'..' segment"),
        ("dot-segment", "CodePush/./main.jsbundle", "'.' or '..' segment"),
        ("double-slash", "CodePush//main.jsbundle", "empty"),
    ]:
        cases[label] = ({"files": [Entry.of(name, MAIN)], "manifest": {name: SHA[MAIN]}}, message)
    return cases


HOSTILE = {**ACCEPTED_BEFORE, **_absolute_cases()}


@pytest.mark.parametrize(("layout", "message"), HOSTILE.values(), ids=HOSTILE.keys())
async def test_a_zip_a_device_installs_otherwise_is_refused(
    tmp_path: Path, layout: dict[str, object], message: str
) -> None:
    files = layout.pop("files")
    manifest = layout.pop("manifest", GOOD)
    blob = signed(files, manifest, **layout)  # type: ignore[arg-type]
    with pytest.raises(ReleaseSignatureError, match=re.escape(message)):
        await _verify(tmp_path, blob)


def _bad_entry(label: str) -> Entry:
    content = b"x" * 100
    crc = zlib.crc32(content)
    entries = {
        "bzip2": Entry(b"CodePush/a.js", b"BZh9", 100, crc, method=zipfile.ZIP_BZIP2),
        "lzma": Entry(b"CodePush/a.js", b"\x09\x14\x05\x00]\x00\x00", 100, crc,
                      method=zipfile.ZIP_LZMA),
        "method-99": Entry(b"CodePush/a.js", content, 100, crc, method=99),
        "encrypted": Entry(b"CodePush/a.js", content, 100, crc, flags=0x801),
        "strong-encryption": Entry(b"CodePush/a.js", content, 100, crc, flags=0x841),
        "empty-name": Entry(b"", content, 100, crc),
        "symlink": Entry(b"CodePush/a.js", b"../../etc/passwd", 16, zlib.crc32(b"../../etc/passwd"),
                         mode=0o120777),
        "not-marked-utf8": Entry("CodePush/é.js".encode(), content, 100, crc, flags=0),
        "invalid-utf8": Entry(b"CodePush/\xff.js", content, 100, crc),
        "nul-in-name": Entry(b"CodePush/a.js\0.png", content, 100, crc),
        "local-name-differs": Entry(b"CodePush/a.js", content, 100, crc,
                                    local_name=b"CodePush/b.js"),
        "stored-with-descriptor": Entry(b"CodePush/a.js", content, 100, crc, flags=0x808),
        "wrong-crc": Entry(b"CodePush/a.js", content, 100, crc ^ 1),
        "declared-too-short": attrs.evolve(Entry.of("CodePush/a.js", content, deflate=True),
                                           size=10),
        "declared-too-long": attrs.evolve(Entry.of("CodePush/a.js", content, deflate=True),
                                          size=1000),
        "bytes-after-deflate-end": attrs.evolve(
            Entry.of("CodePush/a.js", content, deflate=True),
            data=Entry.of("x", content, deflate=True).data + _local(_evil("CodePush/a.js"))),
        "truncated-deflate": attrs.evolve(
            Entry.of("CodePush/a.js", content, deflate=True),
            data=Entry.of("x", content, deflate=True).data[:3]),
    }
    return entries[label]


BAD_ENTRIES = [
    "bzip2", "lzma", "method-99", "encrypted", "strong-encryption", "empty-name", "symlink",
    "not-marked-utf8", "invalid-utf8", "nul-in-name", "local-name-differs",
    "stored-with-descriptor", "wrong-crc", "declared-too-short", "declared-too-long",
    "bytes-after-deflate-end", "truncated-deflate",
]


@pytest.mark.parametrize("label", BAD_ENTRIES)
async def test_an_entry_a_device_cannot_unzip_is_a_signature_error(
    tmp_path: Path, label: str
) -> None:
    """Never a raw NotImplementedError, OSError, LZMAError, RuntimeError or IndexError.

    Signed over the entry's name and the content it declares, so a reader that takes the
    entry at its word (as the previous one did for several) would accept the zip.
    """
    entry = _bad_entry(label)
    name = entry.name.decode("utf-8" if entry.flags & 0x800 else "cp437", "replace")
    content = entry.data if entry.method == zipfile.ZIP_STORED else zlib.decompress(
        Entry.of("x", b"x" * 100, deflate=True).data, -15)
    blob = signed([GOOD_ENTRY, entry], {**GOOD, name: hashlib.sha256(content).hexdigest()})
    with pytest.raises(ReleaseSignatureError, match=r"cannot be verified: ") as caught:
        await _verify(tmp_path, blob)
    assert type(caught.value) is ReleaseSignatureError


def _bomb(name: str, size: int, *, declared: int | None = None) -> Entry:
    """``size`` zero bytes deflated (about a thousandth of that), declaring ``declared``."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = bytes(1024 * 1024)
    data = b"".join(packer.compress(zeros) for _ in range(size // len(zeros))) + packer.flush()
    crc = 0
    for _ in range(size // len(zeros)):
        crc = zlib.crc32(zeros, crc)
    return Entry(name.encode(), data, size if declared is None else declared, crc,
                 method=zipfile.ZIP_DEFLATED)


def _peak(blob: bytes, tmp_path: Path) -> tuple[BaseException | None, int]:
    """What verifying ``blob`` raised, and the peak memory it took (traced)."""
    import anyio

    package = tmp_path / "bomb.zip"
    package.write_bytes(blob)
    del blob
    tracemalloc.start()
    try:
        anyio.run(verify_release, package, KEYS[1])
    except BaseException as error:
        return error, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return None, 0


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (_bomb("CodePush/.codepushrelease", 64 * 1024 * 1024), "over 65536 bytes"),
        (_bomb("CodePush/.codepushrelease", 64 * 1024 * 1024, declared=10),
         "inflates past its declared size"),
        (_bomb("CodePush/vendor.js", 64 * 1024 * 1024, declared=100),
         "inflates past its declared size"),
    ],
    ids=["signature-bomb", "signature-bomb-declared-small", "file-bomb-declared-small"],
)
def test_decompression_is_bounded(tmp_path: Path, entry: Entry, message: str) -> None:
    """A 64 MiB entry from a 64 KiB zip: refused with a few MiB of memory, not 128 MiB."""
    blob = raw_zip([GOOD_ENTRY, entry])
    assert len(blob) < 128 * 1024
    error, peak = _peak(blob, tmp_path)
    assert isinstance(error, ReleaseSignatureError)
    assert message in str(error)
    assert peak < 8 * 1024 * 1024


async def test_a_huge_declared_size_is_refused_before_inflating(tmp_path: Path) -> None:
    blob = signed([GOOD_ENTRY, attrs.evolve(_evil("CodePush/big.bin"), size=3 * 1024**3)], GOOD)
    with pytest.raises(ReleaseSignatureError, match=r"its files would take \d+ bytes, over"):
        await _verify(tmp_path, blob)


async def test_a_zip64_archive_is_refused_before_reading_its_directory(tmp_path: Path) -> None:
    blob = bytearray(signed([GOOD_ENTRY], GOOD))
    end = blob.rfind(b"PK\x05\x06")
    blob[end + 8:end + 12] = b"\xff\xff\xff\xff"  # entry counts: a zip64 placeholder
    with pytest.raises(ReleaseSignatureError, match="zip64"):
        await _verify(tmp_path, bytes(blob))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="this platform has no named pipes (os.mkfifo): there is no FIFO to give verify_release")
def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    import anyio

    fifo = tmp_path / "release.zip"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            anyio.run(verify_release, fifo, KEYS[1])
        except BaseException as error:
            outcome.append(error)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=20)
    if worker.is_alive():  # unblock the reader the old code left waiting
        with open(fifo, "wb"):
            pass
        pytest.fail("verify_release blocked on a FIFO")
    assert isinstance(outcome[0], ReleaseSignatureError)
    assert "is not a regular file" in str(outcome[0])


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="this platform has no /dev/zero: there is no device file to give verify_release")
async def test_a_device_file_is_refused_before_reading() -> None:
    with pytest.raises(ReleaseSignatureError, match="/dev/zero is not a regular file"):
        await verify_release("/dev/zero", KEYS[1])


async def test_a_fifo_in_an_unzipped_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "unzipped" / "CodePush"
    folder.mkdir(parents=True)
    (folder / "main.jsbundle").write_bytes(MAIN)
    (folder / ".codepushrelease").write_bytes(_token(GOOD))
    assert await verify_release(folder.parent, KEYS[1]) == manifest_hash(GOOD)
    if hasattr(os, "mkfifo"):
        os.mkfifo(folder / "pipe")
        with pytest.raises(ReleaseSignatureError, match="is not a regular file or a folder"):
            await verify_release(folder.parent, KEYS[1])


async def test_the_sdk_refuses_to_sign_what_no_device_installs_as_signed(
    tmp_path: Path,
) -> None:
    """``a\\b.js``: the server and iOS hash ``a/b.js``, Android installs ``a\\b.js``; a
    signature over either fails on one platform, so it is refused before any request."""
    root = tmp_path / "build"
    root.mkdir()
    (root / "main.jsbundle").write_bytes(MAIN)
    (root / "a\\b.js").write_bytes(EVIL)
    with pytest.raises(ValueError, match=r"cannot be signed: .*'CodePush/a\\\\b\.js' holds a "
                                         r"backslash"):
        async with prepare_release(root, private_key=KEYS[0]):
            pass


async def test_a_zipfile_written_zip_with_a_later_duplicate_is_refused(tmp_path: Path) -> None:
    """Written by Python's zipfile (duplicate warned): both devices keep the later copy."""
    async with prepare_release(_tree(tmp_path), private_key=KEYS[0]) as prepared:
        assert isinstance(prepared.contents, Path)
        blob = prepared.contents.read_bytes()
    target = BytesIO(blob)
    with pytest.warns(UserWarning, match="Duplicate name"), \
            zipfile.ZipFile(target, "a") as archive:
        archive.writestr("CodePush/main.jsbundle", EVIL)
    with pytest.raises(ReleaseSignatureError, match="are one file on a device"):
        await _verify(tmp_path, target.getvalue())


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    (root / "assets").mkdir(parents=True)
    (root / "main.jsbundle").write_bytes(MAIN)
    (root / "assets" / "ünï.png").write_bytes(b"\x89PNG")
    return root


@pytest.mark.parametrize("name", ["a", "é", "CodePush/main.jsbundle"])
async def test_a_duplicate_of_any_name_is_refused(tmp_path: Path, name: str) -> None:
    """One-character names are shared objects in Python: still two entries."""
    blob = signed([Entry.of(name, MAIN), Entry.of(name, EVIL)], {name: SHA[EVIL]})
    with pytest.raises(ReleaseSignatureError, match="are one file on a device"):
        await _verify(tmp_path, blob)


async def test_large_files_inflate_across_chunks(tmp_path: Path) -> None:
    """Long runs and random bytes past the 1 MiB read size: hashed whole, once."""
    content = bytes(3 * 1024 * 1024 + 7) + os.urandom(1024 * 1024) + b"a" * 1_500_001
    for deflate in (True, False):
        entry = Entry.of("CodePush/big.bin", content, deflate=deflate)
        manifest = {**GOOD, "CodePush/big.bin": hashlib.sha256(content).hexdigest()}
        blob = signed([GOOD_ENTRY, entry], manifest)
        assert await _verify(tmp_path, blob) == manifest_hash(manifest)
