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


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_ignored(path: str) -> bool:
    """Whether the server leaves this zip entry out of the manifest."""
    return path.startswith("__MACOSX/") or path == ".DS_Store" or path.endswith("/.DS_Store")


def zip_manifest(data: bytes) -> dict[str, str] | None:
    """Map each zip entry path to its SHA-256, or None when ``data`` is not a readable zip.

    An archive the server's zip reader would also fail on mid-way (encrypted entries, corrupt
    data) is treated as a plain file here instead of failing the release.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            manifest: dict[str, str] = {}
            for info in archive.infolist():
                path = info.filename.replace("\\", "/")
                if is_ignored(path):
                    continue
                manifest[path] = _sha256_hex(archive.read(info))
            return manifest
    except Exception:
        return None


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


def hash_with_manifest(data: bytes) -> tuple[str, dict[str, str] | None]:
    """The package hash and, for a zip, the manifest it was computed from."""
    manifest = zip_manifest(data)
    if manifest is None:
        return _sha256_hex(data), None
    return manifest_hash(manifest), manifest


def package_hash(data: bytes) -> str:
    """The ``packageHash`` the official server assigns to an uploaded package."""
    return hash_with_manifest(data)[0]
