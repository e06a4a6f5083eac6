"""Package hashing exactly as the official server computes ``packageHash``.

For a zip: SHA-256 (hex) of every entry's content, keyed by its path (``\\`` normalised to
``/``, ``__MACOSX/`` and ``.DS_Store`` entries ignored, directory entries included with the hash
of empty content); the manifest entries ``"<path>:<hash>"`` are sorted (JavaScript string order)
and the SHA-256 of their JSON array text (no spaces) is the package hash. A code signature
(``.codepushrelease`` at any depth) stays in the manifest but out of the hash, as the server does
since commit fac126c, so a signed and an unsigned release of the same files are identical. Any
other file is hashed whole.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from typing import IO

CHUNK_SIZE = 1024 * 1024
"""Bytes hashed at a time: memory stays at a chunk whatever an entry unpacks to."""
MAX_ENTRIES = 65_535
"""Entries a zip may declare (the classic zip format's own limit): zipfile keeps every entry of
the central directory in memory, so a hostile zip of empty entries is refused before it is read."""


class ZipBombError(Exception):
    """A zip the emulator refuses to unpack: more entries than ``MAX_ENTRIES``, or more bytes
    than its limit (declared, or unpacked by an entry that lies about its size); the message
    says which, for the answer."""


def _unpacks_too_much(limit: int) -> ZipBombError:
    return ZipBombError(
        f"The uploaded zip unpacks to more than the size limit of {limit / (1024 * 1024):g} "
        "megabytes."
    )


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _stream_digest(stream: IO[bytes], budget: _Budget | None = None) -> str:
    """SHA-256 (hex) of what ``stream`` yields, read a chunk at a time, ``budget`` spent as
    bytes arrive."""
    digest = hashlib.sha256()
    while chunk := stream.read(CHUNK_SIZE):
        if budget is not None:
            budget.spend(len(chunk))
        digest.update(chunk)
    return digest.hexdigest()


class _Budget:
    """Bytes a zip may still unpack to."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.left = limit

    def spend(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise _unpacks_too_much(self.limit)


def is_ignored(path: str) -> bool:
    """Whether the server leaves this zip entry out of the manifest."""
    return path.startswith("__MACOSX/") or path == ".DS_Store" or path.endswith("/.DS_Store")


def _declared_entries(file: IO[bytes]) -> int | None:
    """The entry count of the zip's end record, None when ``file`` has none (not a zip)."""
    # zipfile reads the end record privately only; its layout has not changed since 2.x.
    end = zipfile._EndRecData(file)  # type: ignore[attr-defined]
    return None if end is None else int(end[zipfile._ECD_ENTRIES_TOTAL])  # type: ignore[attr-defined]


def zip_manifest(data: bytes | IO[bytes], max_unpacked: int | None = None) -> dict[str, str] | None:
    """Map each zip entry path to its SHA-256, or None when ``data`` is not a readable zip.

    Entries are hashed as streams; ``ZipBombError`` when the entries hashed declare (or,
    lying, unpack to) more than ``max_unpacked`` bytes, or number more than ``MAX_ENTRIES``.
    An archive the server's zip reader would also fail on mid-way (encrypted entries, corrupt
    data) is treated as a plain file here instead of failing the release.
    """
    file = io.BytesIO(data) if isinstance(data, bytes) else data
    try:
        entries = _declared_entries(file)
        if entries is not None and entries > MAX_ENTRIES:
            raise ZipBombError(
                f"The uploaded zip declares {entries} entries, more than the limit of "
                f"{MAX_ENTRIES}."
            )
        with zipfile.ZipFile(file) as archive:
            return _hash_entries(archive, max_unpacked)
    except ZipBombError:
        raise
    except Exception:
        return None


def _hash_entries(archive: zipfile.ZipFile, max_unpacked: int | None) -> dict[str, str]:
    paths = ((info.filename.replace("\\", "/"), info) for info in archive.infolist())
    infos = [(path, info) for path, info in paths if not is_ignored(path)]
    budget = None
    if max_unpacked is not None:
        if sum(info.file_size for _, info in infos) > max_unpacked:
            raise _unpacks_too_much(max_unpacked)
        budget = _Budget(max_unpacked)
    manifest: dict[str, str] = {}
    for path, info in infos:
        with archive.open(info) as member:
            manifest[path] = _stream_digest(member, budget)
    return manifest


SIGNATURE_NAME = ".codepushrelease"


def is_signature(path: str) -> bool:
    """A code-signing JWT entry, which ``computePackageHash`` leaves out."""
    return path == SIGNATURE_NAME or path.endswith("/" + SIGNATURE_NAME)


def _js_sort_key(text: str) -> bytes:
    return text.encode("utf-16-be", "surrogatepass")


def manifest_hash(manifest: dict[str, str]) -> str:
    """Hash a manifest: SHA-256 of the JSON array of sorted ``path:hash`` strings (no signature)."""
    entries = sorted(
        (f"{path}:{digest}" for path, digest in manifest.items() if not is_signature(path)),
        key=_js_sort_key,
    )
    text = json.dumps(entries, separators=(",", ":"), ensure_ascii=False)
    return _sha256_hex(text.encode("utf-8", "surrogatepass"))


def serialize_manifest(manifest: dict[str, str]) -> bytes:
    """The manifest blob the server stores next to a zip release (``manifestBlobUrl``)."""
    return json.dumps(manifest, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def hash_with_manifest(
    data: bytes | IO[bytes], max_unpacked: int | None = None
) -> tuple[str, dict[str, str] | None]:
    """The package hash and, for a zip, the manifest it was computed from (``data`` read as a
    stream when it is a file; see ``zip_manifest`` for ``max_unpacked``)."""
    manifest = zip_manifest(data, max_unpacked)
    if manifest is not None:
        return manifest_hash(manifest), manifest
    if isinstance(data, bytes):
        return _sha256_hex(data), None
    data.seek(0)
    return _stream_digest(data), None


def package_hash(data: bytes) -> str:
    """The ``packageHash`` the official server assigns to an uploaded package."""
    return hash_with_manifest(data)[0]
