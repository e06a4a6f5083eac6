"""Downloading a release's package to disk, checked against the hash the server gave it.

The body streams to a temporary file beside the destination (memory stays flat), is hashed
as the server hashes an upload (``hashing.package_hash``), and only then is renamed into
place: a file at the destination is always a whole, verified package.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anyio

from .._core.requester import Requester
from .._core.transport import StreamedResponse
from .._exceptions import (
    APIConnectionError,
    CodePushError,
    ReleaseIntegrityError,
    ResponseDecodeError,
)
from .._wire.codec import WireResponse
from .._wire.errors import error_from_response
from .._wire.flavors import COMMUNITY
from .hashing import package_hash
from .integrity import community_package_hash
from .progress import ProgressCallback

__all__ = ["DIFF_MANIFEST", "PackageToFetch", "download_package"]

DIFF_MANIFEST = "hotcodepush.json"
"""The entry that marks a diff package (only what changed since the device's release)."""
_ERROR_BODY_LIMIT = 64 * 1024
_DIFF_MANIFEST_LIMIT = 16 * 1024 * 1024


class PackageToFetch:
    """What to download: its URL, the hash it must have, and the release it is (its label
    names the file when the destination is a folder)."""

    def __init__(self, url: str | None, expected_hash: str | None, label: str | None) -> None:
        self.url = _check_url(url)
        if not expected_hash:
            raise ValueError("the release has no package hash to check the download against")
        self.expected_hash = expected_hash
        self.label = label
        self.name = _file_name(label or expected_hash)


def _file_name(text: str) -> str:
    """``text`` as a file name: path separators and control characters replaced."""
    name = "".join("_" if c in '/\\:' or not c.isprintable() else c for c in text)
    return "package" if name in ("", ".", "..") else name[:100]


def _check_url(url: Any) -> str:
    if not isinstance(url, str) or not url:
        raise ValueError("nothing to download: the release has no download URL")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise ValueError("the download URL is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"the download URL must be an http(s) URL, got scheme {parts.scheme!r}")
    return url


def _destination(dest: Any) -> tuple[Path, bool]:
    """``dest`` as a path, and whether it is a folder to name a file in."""
    if not isinstance(dest, (str, os.PathLike)):
        raise ValueError(f"dest must be a path, got {type(dest).__name__}")
    path = Path(dest)
    if path.is_dir():
        return path, True
    if not path.parent.is_dir():
        raise ValueError(f"dest's folder does not exist: {path.parent}")
    return path, False


def _final(path: Path, is_folder: bool, package: PackageToFetch, temp: Path) -> Path:
    """Where the verified file goes: ``path``, or ``<label>[.zip]`` in the folder ``path``."""
    if not is_folder:
        return path
    return path / (package.name + (".zip" if zipfile.is_zipfile(temp) else ""))


def _check_progress(on_progress: Any) -> None:
    if on_progress is not None and not callable(on_progress):
        raise ValueError(f"on_progress must be callable, got {type(on_progress).__name__}")


async def download_package(
    requester: Requester,
    package: PackageToFetch,
    dest: str | os.PathLike[str],
    *,
    on_progress: ProgressCallback | None = None,
    base: str | os.PathLike[str] | None = None,
) -> Path:
    """Download ``package`` to ``dest`` and check its hash; the final path.

    A diff package (only what changed since the device's release) is applied on ``base``,
    the zip of that release, as the React Native plugin applies it; the full package is
    what is checked and saved.

    Sent with the client's headers less the access key and the SDK version (a blob store
    is another host). Retried from zero as a read; a hash mismatch is
    ``ReleaseIntegrityError`` and leaves nothing at ``dest``.
    """
    headers = requester.anonymous_headers({"Accept": "*/*", "X-CodePush-SDK-Version": None})
    path, is_folder = _destination(dest)
    _check_progress(on_progress)
    base_path = _check_base(base)
    requester.state.check_open()
    handle, temp_name = tempfile.mkstemp(prefix=f".{package.name}.", suffix=".part",
                                         dir=path if is_folder else path.parent)
    os.close(handle)
    temp = Path(temp_name)
    try:
        await _fetch(requester, package, temp, headers, _Progress(on_progress))
        if base_path is not None and _is_diff(temp):
            await anyio.to_thread.run_sync(_apply_diff, temp, base_path)
        actual = await anyio.to_thread.run_sync(_server_hash, temp, requester.flavor)
        if actual != package.expected_hash:
            raise _mismatch(package, actual, temp)
        target = _final(path, is_folder, package, temp)
        os.replace(temp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temp)
    return target


def _server_hash(path: Path, flavor: str | None) -> str:
    """The hash the server gave this package: the community server hashes a zip its own way."""
    return (flavor == COMMUNITY and community_package_hash(path)) or package_hash(path)


class _Progress:
    """Reports ``(done, total)``; a retry restarts the count, the reports never go back."""

    def __init__(self, callback: ProgressCallback | None) -> None:
        self._callback = callback
        self._reported = -1

    async def __call__(self, done: int, total: int) -> None:
        if self._callback is None or done <= self._reported:
            return
        self._reported = done
        result = self._callback(done, total)
        if inspect.isawaitable(result):
            await result


async def _fetch(
    requester: Requester, package: PackageToFetch, temp: Path, headers: dict[str, str],
    progress: _Progress,
) -> None:
    """Stream the body into ``temp``, retrying (from zero) what a read may retry."""
    attempt = 0
    while True:
        attempt += 1
        try:
            await _attempt(requester, package, temp, headers, progress)
            return
        except (APIConnectionError, _StatusFailure) as failure:
            error = failure.error if isinstance(failure, _StatusFailure) else failure
            wait = requester.wait_to_resend(error, attempt)
            if wait is None:
                raise error from None
        await requester.sleep(wait)


class _StatusFailure(Exception):
    def __init__(self, error: CodePushError) -> None:
        super().__init__(error.message)
        self.error = error


async def _attempt(
    requester: Requester, package: PackageToFetch, temp: Path, headers: dict[str, str],
    progress: _Progress,
) -> None:
    http = requester.state.http
    async with http.stream_get(package.url, headers, requester.timeouts) as response:
        if not 200 <= response.status_code < 300:
            raise _StatusFailure(await _status_error(requester, response))
        total = _length(response)
        limit = requester.max_package_size
        done = 0
        async with await anyio.open_file(temp, "wb") as file:
            await progress(0, total)
            async for chunk in response.chunks:
                done += len(chunk)
                if done > limit:
                    raise ResponseDecodeError(
                        f"the package is larger than max_package_size ({limit} bytes): "
                        "stopped downloading it",
                        response.status_code,
                    )
                await file.write(chunk)
                await progress(done, total)


def _length(response: StreamedResponse) -> int:
    """The body's announced length, or 0 when unknown."""
    text = response.headers.get("content-length", "")
    return int(text) if text.isdigit() else 0


async def _status_error(requester: Requester, response: StreamedResponse) -> CodePushError:
    """The typed error of a non-2xx download, from at most 64 KiB of its body."""
    body = bytearray()
    async for chunk in response.chunks:
        body += chunk[: _ERROR_BODY_LIMIT - len(body)]
        if len(body) >= _ERROR_BODY_LIMIT:
            break
    answer = WireResponse(response.status_code, response.headers, bytes(body))
    return error_from_response(answer, now=requester.now(), secrets=requester.secrets)


def _check_base(base: Any) -> Path | None:
    if base is None:
        return None
    if not isinstance(base, (str, os.PathLike)) or not zipfile.is_zipfile(base):
        raise ValueError(f"base must be the path of the device's release zip, got {base!r}")
    return Path(base)


def _is_diff(path: Path) -> bool:
    """A zip holding ``hotcodepush.json`` at its root: a diff package."""
    try:
        with zipfile.ZipFile(path) as archive:
            return DIFF_MANIFEST in archive.NameToInfo
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def _deleted_files(diff: zipfile.ZipFile) -> set[str]:
    """The entries the diff removes from its base (``{"deletedFiles": [...]}``)."""
    info = diff.getinfo(DIFF_MANIFEST)
    if info.file_size > _DIFF_MANIFEST_LIMIT:
        raise ValueError(f"the diff package's {DIFF_MANIFEST} is too large to read")
    try:
        deleted = json.loads(diff.read(info)).get("deletedFiles", [])
    except (ValueError, AttributeError):
        deleted = None
    if not isinstance(deleted, list) or not all(isinstance(n, str) for n in deleted):
        raise ValueError(f"the diff package's {DIFF_MANIFEST} does not list deletedFiles")
    return set(deleted)


def _apply_diff(diff_path: Path, base: Path) -> None:
    """Replace the diff at ``diff_path`` by the full package: ``base`` less the deleted and
    replaced entries, plus the diff's entries; copied entry by entry (bounded memory)."""
    merged = diff_path.with_name(diff_path.name + ".full")
    try:
        with zipfile.ZipFile(diff_path) as diff, zipfile.ZipFile(base) as old:
            dropped = _deleted_files(diff) | set(diff.NameToInfo)
            with zipfile.ZipFile(merged, "w", zipfile.ZIP_DEFLATED) as out:
                _copy_entries(old, [i for i in old.infolist() if i.filename not in dropped], out)
                _copy_entries(diff, [i for i in diff.infolist() if i.filename != DIFF_MANIFEST],
                              out)
        os.replace(merged, diff_path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(merged)


def _copy_entries(
    source: zipfile.ZipFile, infos: list[zipfile.ZipInfo], out: zipfile.ZipFile
) -> None:
    for info in infos:
        if info.is_dir():
            out.writestr(info.filename, b"")
            continue
        with source.open(info) as entry, out.open(info.filename, "w") as copy:
            shutil.copyfileobj(entry, copy)


def _mismatch(package: PackageToFetch, actual: str, temp: Path) -> ReleaseIntegrityError:
    if _is_diff(temp):
        message = (
            f"the download is a diff package (it holds {DIFF_MANIFEST}): only what changed "
            f"since the device's release, so it cannot be checked against packageHash "
            f"{package.expected_hash} without that base (it hashes to {actual}); pass "
            "base= (the zip of the release the device runs), or check without package_hash "
            "to get the full package"
        )
    else:
        message = (
            f"the downloaded package hashes to {actual}, but the server gave it packageHash "
            f"{package.expected_hash}: it is not the release's content; nothing was saved"
        )
    return ReleaseIntegrityError(app="", deployment="", label=package.label,
                                 expected_hash=package.expected_hash, actual_hash=actual,
                                 message=message)
