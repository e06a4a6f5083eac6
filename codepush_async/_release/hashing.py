"""The ``packageHash`` the server gives an upload, computed locally from what we sent.

A zip is hashed by its manifest: SHA-256 of each entry (``__MACOSX/`` and ``.DS_Store``
left out, directory entries hashed as empty), the sorted ``path:hash`` strings as a
compact JSON array, SHA-256 of that; a code signature (``.codepushrelease``) stays out
of that list, as the official server leaves it out. Anything else is SHA-256 of the
whole file.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO, BinaryIO

__all__ = ["is_ignored", "is_signature", "manifest_hash", "package_hash"]

_CHUNK = 1024 * 1024


SIGNATURE_NAME = ".codepushrelease"


def is_ignored(name: str) -> bool:
    """What the CLI's ``PackageManifest.isIgnored`` (and so the server) drops from a zip."""
    return name.startswith("__MACOSX/") or name == ".DS_Store" or name.endswith("/.DS_Store")


def is_signature(name: str) -> bool:
    """A code-signing JWT entry: left out of the package hash by servers and devices."""
    return name == SIGNATURE_NAME or name.endswith("/" + SIGNATURE_NAME)


def _js_order(text: str) -> bytes:
    # JavaScript sorts strings by UTF-16 code units, not by code points. (Zip names hold no
    # lone surrogates and codec names ignore case: mutants of this line change nothing.)
    return text.encode("utf-16-be", "surrogatepass")  # pragma: no mutate


def _digest(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(_CHUNK):  # pragma: no mutate (reading at once: only memory)
        digest.update(chunk)
    return digest.hexdigest()


def manifest_hash(manifest: Mapping[str, str]) -> str:
    """SHA-256 hex of the sorted ``"path:sha256"`` list as ``JSON.stringify`` writes it."""
    entries = [f"{name}:{digest}" for name, digest in manifest.items() if not is_signature(name)]
    entries.sort(key=_js_order)
    # A list of strings has no ":" separator, and names hold no lone surrogates.
    text = json.dumps(entries, separators=(",", ":"), ensure_ascii=False)  # pragma: no mutate
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()  # pragma: no mutate


def _manifest_hash(archive: zipfile.ZipFile) -> str:
    manifest = {}
    for info in archive.infolist():
        name = info.filename.replace("\\", "/")
        if is_ignored(name):
            continue
        with archive.open(info) as member:
            manifest[name] = _digest(member)
    return manifest_hash(manifest)


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
