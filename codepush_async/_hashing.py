"""The ``packageHash`` the server gives an upload, computed locally from what we sent.

A zip is hashed by its manifest: SHA-256 of each entry (``__MACOSX/`` and ``.DS_Store``
left out, directory entries hashed as empty), the sorted ``path:hash`` strings as a
compact JSON array, SHA-256 of that. Anything else is SHA-256 of the whole file.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import IO, BinaryIO

__all__ = ["package_hash"]

_CHUNK = 1024 * 1024


def _ignored(name: str) -> bool:
    return name.startswith("__MACOSX/") or name == ".DS_Store" or name.endswith("/.DS_Store")


def _js_order(text: str) -> bytes:
    # JavaScript sorts strings by UTF-16 code units, not by code points.
    return text.encode("utf-16-be", "surrogatepass")


def _digest(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def _manifest_hash(archive: zipfile.ZipFile) -> str:
    entries = []
    for info in archive.infolist():
        name = info.filename.replace("\\", "/")
        if _ignored(name):
            continue
        with archive.open(info) as member:
            entries.append(f"{name}:{_digest(member)}")
    entries.sort(key=_js_order)
    text = json.dumps(entries, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _hash_stream(stream: BinaryIO) -> str:
    try:
        with zipfile.ZipFile(stream) as archive:
            return _manifest_hash(archive)
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, ValueError, OSError):
        stream.seek(0)
        return _digest(stream)


def package_hash(contents: Path | bytes) -> str:
    """The server's hash of an uploaded package (a file on disk or bytes); blocking."""
    if isinstance(contents, bytes):
        return _hash_stream(io.BytesIO(contents))
    with contents.open("rb") as handle:
        return _hash_stream(handle)
