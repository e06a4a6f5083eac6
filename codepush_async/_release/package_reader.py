"""A release package read as a device installs it, or refused where that is not clear.

react-native-code-push unzips an update with ``FileUtils.unzipFile`` and hashes the files
it wrote. Android reads local headers in file order (``ZipInputStream``: STORED and
DEFLATED only, no encryption, ``\\`` kept as a character, a name escaping the folder an
error); iOS (SSZipArchive) walks the central directory, skips ``__MACOSX/``, turns ``\\``
into ``/`` and drops ``..``; on both a later duplicate overwrites an earlier one. A package
is read here only when every device would write the same files, the ones read here:
anything else raises ``UnsafePackageError`` saying why.
"""

from __future__ import annotations

import hashlib
import os
import stat
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from .hashing import is_ignored, is_signature

__all__ = [
    "MAX_SIGNATURE_SIZE",
    "MAX_UNPACKED_SIZE",
    "InstalledPackage",
    "UnsafePackageError",
    "check_names",
    "read_package",
]

MAX_SIGNATURE_SIZE = 64 * 1024  # a JWT is under 1 KiB
MAX_UNPACKED_SIZE = 2 * 1024**3  # well past any release (the official server takes 200 MB zips)
MAX_DIRECTORY_SIZE = 16 * 1024**2  # the zip's central directory, read into memory at once
_CHUNK = 1024 * 1024
_DIFF_MANIFEST = "hotcodepush.json"  # a diff update: merged with the release a device runs
_HASH_IGNORED_FOLDERS = (".DS_Store", ".codepushrelease")
_END = struct.Struct("<4s4H2LH")  # end of central directory record
_LOCAL = struct.Struct("<4s2B4HL2L2H")  # local file header
_END_SIGNATURE, _LOCAL_SIGNATURE = b"PK\x05\x06", b"PK\x03\x04"
_DESCRIPTOR_SIGNATURE = b"PK\x07\x08"
_ENCRYPTED, _DESCRIPTOR, _UTF8 = 0x1 | 0x40, 0x8, 0x800
_READ_FLAGS = _ENCRYPTED | _DESCRIPTOR | _UTF8  # the flags that change what is unzipped


class UnsafePackageError(Exception):
    """A package devices could install otherwise than it reads here (the message says why)."""


class InstalledPackage:
    """The files a device installs: ``{path: sha256 hex}`` (hash-ignored ones left out),
    and the bytes of the file at ``signature_entry`` (``None``: there is none)."""

    def __init__(self, signature_entry: str) -> None:
        self.signature_entry = signature_entry
        self.manifest: dict[str, str] = {}
        self.signature: bytes | None = None


def _name_problem(name: str) -> str | None:
    """Why one entry name is not installed alike by every device (``None``: it is)."""
    if "\\" in name:
        return "holds a backslash: Android installs one file named with it, iOS folders"
    if "\0" in name:
        return "holds a NUL character"
    if name.startswith("/") or (name[:1].isalpha() and name[1:2] == ":"):
        return "is absolute"
    segments = name.removesuffix("/").split("/")
    if any(segment in ("", ".", "..") for segment in segments):
        return "has an empty, '.' or '..' segment: devices resolve it to another path"
    if any(folder in _HASH_IGNORED_FOLDERS for folder in segments[:-1]):
        return "is inside a folder devices leave out of their hash (the server does not)"
    if name == _DIFF_MANIFEST:
        return "is a diff-update manifest: devices would merge the files they already run"
    return None


def check_names(names: Iterable[str]) -> None:
    """Refuse names a device would resolve, merge or place otherwise than they read.

    Besides each name's own rules: two names equal once Unicode-normalized (iOS stores
    them as one file), and a name that is a file and a folder at once, are refused.
    """
    seen: dict[str, str] = {}
    folders: set[str] = set()
    files: list[str] = []
    for name in names:
        if not name:
            raise UnsafePackageError("an entry has an empty name")
        if (problem := _name_problem(name)) is not None:
            raise UnsafePackageError(f"the entry {name!r} {problem}")
        key = unicodedata.normalize("NFC", name)
        if key in seen:
            raise UnsafePackageError(
                f"the entries {seen[key]!r} and {name!r} are one file on a device (a later "
                "one overwrites an earlier one)"
            )
        seen[key] = name
        parts = key.removesuffix("/").split("/")
        folders.update("/".join(parts[:end]) for end in range(1, len(parts)))
        if key.endswith("/"):
            folders.add(key.removesuffix("/"))
        else:
            files.append(key)
    if clash := next((name for name in files if name in folders), None):
        raise UnsafePackageError(f"{clash!r} is both a file and a folder")


def _open_regular(path: Path) -> BinaryIO:
    """``path`` opened for reading if it is a regular file (never blocks on a FIFO)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UnsafePackageError(f"{path} is not a regular file")
    return os.fdopen(fd, "rb")


def _check_directory_size(handle: BinaryIO) -> None:
    """Refuse a central directory too big to read into memory, before reading it."""
    size = handle.seek(0, os.SEEK_END)
    handle.seek(max(0, size - _END.size - 0xFFFF))
    tail = handle.read()
    at = tail.rfind(_END_SIGNATURE)
    if at < 0 or len(tail) - at < _END.size:
        return  # not a zip: zipfile says so
    _, _, _, _, entries, directory_size, _, _ = _END.unpack_from(tail, at)
    if entries == 0xFFFF or directory_size == 0xFFFFFFFF:
        raise UnsafePackageError("it is a zip64 archive: no release needs 65535 entries or 4 GiB")
    if directory_size > MAX_DIRECTORY_SIZE:
        raise UnsafePackageError(f"its central directory is over {MAX_DIRECTORY_SIZE} bytes")


def _check_entry(info: zipfile.ZipInfo) -> None:
    """What devices unzip: STORED or DEFLATED, unencrypted, a UTF-8 name, no symlink."""
    name = info.orig_filename
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise UnsafePackageError(f"the entry {name!r} uses compression method "
                                 f"{info.compress_type}: devices unzip STORED and DEFLATED only")
    if info.flag_bits & _ENCRYPTED:
        raise UnsafePackageError(f"the entry {name!r} is encrypted")
    if not (info.flag_bits & _UTF8 or name.isascii()):
        raise UnsafePackageError(f"the name of the entry {name!r} is not marked UTF-8: "
                                 "Android and iOS decode it differently")
    if info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16):
        raise UnsafePackageError(f"the entry {name!r} is a symlink: iOS links, Android writes "
                                 "a file")
    if info.compress_type == zipfile.ZIP_STORED and info.flag_bits & _DESCRIPTOR:
        raise UnsafePackageError(f"the entry {name!r} is STORED with a data descriptor: "
                                 "Android cannot unzip it")


def _read_exact(handle: BinaryIO, size: int, what: str) -> bytes:
    data = handle.read(size)
    if len(data) != size:
        raise UnsafePackageError(f"{what} is cut short")
    return data


def _local_header(handle: BinaryIO, info: zipfile.ZipInfo) -> None:
    """Check the local header Android reads against the central directory iOS reads."""
    handle.seek(info.header_offset)
    fields = _LOCAL.unpack(_read_exact(handle, _LOCAL.size, f"the entry {info.orig_filename!r}"))
    signature, _, _, flags, method, _, _, crc, packed, size, name_size, extra_size = fields
    encoding = "utf-8" if flags & _UTF8 else "cp437"
    raw_name = _read_exact(handle, name_size, "a local name")
    handle.seek(extra_size, os.SEEK_CUR)
    same = (signature == _LOCAL_SIGNATURE and raw_name == info.orig_filename.encode(encoding)
            and method == info.compress_type
            and flags & _READ_FLAGS == info.flag_bits & _READ_FLAGS)
    if same and not flags & _DESCRIPTOR:
        same = (crc, packed, size) == (info.CRC, info.compress_size, info.file_size)
    if not same:
        raise UnsafePackageError(f"the local header of {info.orig_filename!r} differs from the "
                                 "central directory: Android and iOS would unzip other files")


def _packed(handle: BinaryIO, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The entry's bytes as stored in the zip, in chunks."""
    left = info.compress_size
    while left:
        chunk = _read_exact(handle, min(left, _CHUNK), f"the entry {info.orig_filename!r}")
        left -= len(chunk)
        yield chunk


def _inflate(packed: Iterable[bytes], name: str) -> Iterator[bytes]:
    """Raw DEFLATE data inflated in bounded chunks; it must end exactly where it is cut."""
    inflater = zlib.decompressobj(-15)
    for data in packed:
        while data:
            if inflater.eof:
                raise UnsafePackageError(f"the entry {name!r} has bytes after its end")
            yield inflater.decompress(data, _CHUNK)
            data = inflater.unconsumed_tail
    while not inflater.eof and (chunk := inflater.decompress(b"", _CHUNK)):
        yield chunk
    if not inflater.eof:
        raise UnsafePackageError(f"the entry {name!r} is cut short")
    if inflater.unused_data:
        raise UnsafePackageError(f"the entry {name!r} has bytes after its end")


def _inflated(handle: BinaryIO, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The entry's bytes, as they inflate; its declared size and CRC are checked."""
    name, written, crc = info.orig_filename, 0, 0
    packed = _packed(handle, info)
    chunks = packed if info.compress_type == zipfile.ZIP_STORED else _inflate(packed, name)
    for chunk in chunks:
        written += len(chunk)
        if written > info.file_size:
            raise UnsafePackageError(f"the entry {name!r} inflates past its declared size")
        crc = zlib.crc32(chunk, crc)
        yield chunk
    if written != info.file_size:
        raise UnsafePackageError(f"the entry {name!r} is shorter than its declared size")
    if crc != info.CRC:
        raise UnsafePackageError(f"the entry {name!r} fails its CRC check")


def _descriptor_end(handle: BinaryIO, info: zipfile.ZipInfo) -> int:
    """Where the next entry starts, past the entry's data descriptor if it has one."""
    if info.flag_bits & _DESCRIPTOR:
        marker = handle.read(4)
        fields = handle.read(12) if marker == _DESCRIPTOR_SIGNATURE else marker + handle.read(8)
        if len(fields) != 12 or struct.unpack("<3L", fields) != (
            info.CRC, info.compress_size, info.file_size
        ):
            raise UnsafePackageError(f"the data descriptor of {info.orig_filename!r} differs "
                                     "from the central directory")
    return handle.tell()


def _entries(handle: BinaryIO) -> tuple[list[zipfile.ZipInfo], int]:
    """The zip's entries in file order, and where its central directory starts."""
    _check_directory_size(handle)
    handle.seek(0)
    with zipfile.ZipFile(handle) as archive:
        entries = sorted(archive.infolist(), key=lambda info: info.header_offset)
        start = archive.start_dir
    declared = sum(info.file_size for info in entries)
    if declared > MAX_UNPACKED_SIZE:
        raise UnsafePackageError(f"its files would take {declared} bytes, over "
                                 f"{MAX_UNPACKED_SIZE}")
    for info in entries:
        _check_entry(info)
    check_names(info.orig_filename for info in entries)
    return entries, start


def _record(package: InstalledPackage, name: str, chunks: Iterable[bytes]) -> None:
    """Hash one installed file into ``package``; keep the signature's bytes (capped)."""
    digest = hashlib.sha256()
    kept = bytearray()
    signature = name == package.signature_entry
    for chunk in chunks:
        digest.update(chunk)
        if signature:
            kept += chunk
            if len(kept) > MAX_SIGNATURE_SIZE:
                raise UnsafePackageError(f"{name} is over {MAX_SIGNATURE_SIZE} bytes")
    if signature:
        package.signature = bytes(kept)
    if not _hash_ignored(name):
        package.manifest[name] = digest.hexdigest()


def _hash_ignored(name: str) -> bool:
    """What devices leave out of the hash of the files they installed."""
    return is_ignored(name) or is_signature(name)


def _read_zip(handle: BinaryIO, package: InstalledPackage) -> InstalledPackage:
    """Every entry read in file order, the bytes between entries accounted for."""
    entries, directory_start = _entries(handle)
    position = 0
    for info in entries:
        if info.header_offset != position:
            raise UnsafePackageError(f"it has {info.header_offset - position} bytes before "
                                     f"{info.orig_filename!r} that Android would unzip")
        _local_header(handle, info)
        chunks = _inflated(handle, info)
        if info.is_dir():
            if any(chunks):  # read through, so its size and CRC are checked as well
                raise UnsafePackageError(f"the folder entry {info.orig_filename!r} has content")
        else:
            _record(package, info.orig_filename, chunks)
        position = _descriptor_end(handle, info)
    if position != directory_start:
        raise UnsafePackageError("it has bytes after its last entry that Android would unzip")
    return package


def _read_folder(root: Path, package: InstalledPackage) -> InstalledPackage:
    """The files of an unzipped package; only regular files and folders are read."""
    names: list[tuple[str, Path]] = []
    for current, folders, files in os.walk(root, followlinks=False):
        for entry in (*folders, *files):
            path = Path(current, entry)
            mode = path.lstat().st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                raise UnsafePackageError(f"{path} is not a regular file or a folder")
            if stat.S_ISREG(mode):
                names.append((path.relative_to(root).as_posix(), path))
    _check_encodable(name for name, _ in names)
    check_names(name for name, _ in names)
    for name, path in sorted(names):
        with _open_regular(path) as handle:
            _record(package, name, iter(lambda: handle.read(_CHUNK), b""))
    return package


def _check_encodable(names: Iterable[str]) -> None:
    """Refuse a file name that is not UTF-8 (no zip could have installed it)."""
    for name in names:
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            raise UnsafePackageError(f"the name {os.fsencode(name)!r} is not valid UTF-8") from None


_FAILURES = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError,
             RuntimeError, NotImplementedError, struct.error, zlib.error, IndexError)


def read_package(path: Path, signature_entry: str) -> InstalledPackage:
    """The files a device installs from the zip (or unzipped folder) at ``path``; blocking.

    ``UnsafePackageError`` when devices could install other files, when it is not a zip a
    device unzips, or not a regular file or folder.
    """
    package = InstalledPackage(signature_entry)
    try:
        if path.is_dir():
            return _read_folder(path, package)
        with _open_regular(path) as handle:
            return _read_zip(handle, package)
    except UnsafePackageError:
        raise
    except _FAILURES as error:
        raise UnsafePackageError(
            f"it is neither a directory nor a zip a device can unzip ({error})"
        ) from error

