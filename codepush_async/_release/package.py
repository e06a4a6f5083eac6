"""Turn a release's ``contents`` (directory, file or bytes) into a sendable package."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Union

import anyio

from .archive import Signer, collect_files, entry_prefix, zip_directory
from .multipart import FileStamp, PackageSource

__all__ = [
    "DEFAULT_MAX_PACKAGE_SIZE",
    "ReleaseContents",
    "check_contents",
    "package_source",
    "zip_layout",
]

DEFAULT_MAX_PACKAGE_SIZE = 200 * 1024 * 1024  # the official server's limit
ZIP_TYPE = "application/zip"
OCTET_TYPE = "application/octet-stream"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")

ReleaseContents = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview]


def check_contents(contents: Any) -> Path | bytes:
    """A path that exists, or non-empty bytes; a clear ``ValueError`` otherwise."""
    if isinstance(contents, (bytes, bytearray, memoryview)):
        data = bytes(contents)
        if not data:
            raise ValueError("contents must not be empty bytes")
        return data
    if isinstance(contents, (str, os.PathLike)):
        path = Path(contents)
        if not str(contents):
            raise ValueError("contents must not be an empty path")
        if not path.exists():
            raise ValueError(f"contents: {path} does not exist")
        if not (path.is_dir() or path.is_file()):
            raise ValueError(f"contents: {path} is neither a directory nor a regular file")
        return path
    raise ValueError(
        f"contents must be a directory path, a file path or bytes, got {type(contents).__name__}"
    )


def zip_layout(
    contents: Any, source: Path | bytes, private_key: Any, now: Callable[[], float]
) -> tuple[str | None, Signer | None]:
    """The zip's top folder and signer for a release (checked before any request).

    Unsigned, a directory is named from ``contents`` as spelled, as the JS SDK names it
    (``"dir/."`` is not ``"dir"``); signed, its top folder is ``CodePush``.
    """
    is_dir = isinstance(source, Path) and source.is_dir()
    if private_key is not None:
        if not is_dir:
            raise ValueError(
                "private_key: only a directory release can be signed (its zip carries "
                "the signature); a file or bytes is uploaded as-is"
            )
        from .signing import SIGNED_FOLDER, ReleaseSigner  # only signed releases need it

        return SIGNED_FOLDER, ReleaseSigner(private_key, now)
    if is_dir and isinstance(contents, (str, os.PathLike)):
        return entry_prefix(contents), None
    return None, None


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _check_size(size: int, max_size: int, what: str) -> None:
    if size == 0:
        raise ValueError(f"contents: {what} is empty")
    if size > max_size:
        raise ValueError(
            f"contents: {what} is {_megabytes(size)}, over max_package_size "
            f"({_megabytes(max_size)}); the server would refuse it"
        )


def _describe_file(path: Path) -> PackageSource:
    with path.open("rb") as handle:
        stamp = FileStamp.of(os.fstat(handle.fileno()))
        is_zip = handle.read(4) in _ZIP_MAGIC or path.suffix.lower() == ".zip"
    return PackageSource(
        filename=path.name,
        content_type=ZIP_TYPE if is_zip else OCTET_TYPE,
        size=stamp.size,
        path=path,
        stamp=stamp,
    )


def _zip_source(directory: Path, archive: Path) -> PackageSource:
    stamp = FileStamp.of(archive.stat())
    return PackageSource(
        filename=f"{directory.resolve().name}.zip",
        content_type=ZIP_TYPE,
        size=stamp.size,
        path=archive,
        stamp=stamp,
    )


@asynccontextmanager
async def package_source(
    contents: Path | bytes,
    max_size: int,
    *,
    prefix: str | None = None,
    signer: Signer | None = None,
) -> AsyncIterator[PackageSource]:
    """Yield the package to upload; a directory is zipped to a temp file removed on exit.

    ``prefix`` is the zip's top folder (default: as the JS SDK names it); a ``signer``
    leaves out what the manifest ignores and adds the signature entry.
    """
    if isinstance(contents, bytes):
        _check_size(len(contents), max_size, "the bytes")
        is_zip = contents[:4] in _ZIP_MAGIC
        yield PackageSource(
            filename="package.zip" if is_zip else "package",
            content_type=ZIP_TYPE if is_zip else OCTET_TYPE,
            size=len(contents),
            data=contents,
        )
        return
    if not await anyio.to_thread.run_sync(contents.is_dir):
        package = await anyio.to_thread.run_sync(_describe_file, contents)
        _check_size(package.size, max_size, str(contents))
        yield package
        return
    files = await anyio.to_thread.run_sync(collect_files, contents, prefix)
    if signer is not None:
        from .signing import signable

        files = signable(files)
        if not files:
            raise ValueError(f"contents: directory {contents} has no files to sign")
    import tempfile  # here: only zipping a folder needs it

    fd, name = tempfile.mkstemp(prefix="codepush-release-", suffix=".zip")
    try:
        cancelled = threading.Event()
        handle = os.fdopen(fd, "wb")
        try:
            await anyio.to_thread.run_sync(
                zip_directory, files, handle, cancelled, signer, abandon_on_cancel=True
            )
        except BaseException:
            cancelled.set()
            raise
        package = await anyio.to_thread.run_sync(_zip_source, contents, Path(name))
        _check_size(package.size, max_size, f"the zip of {contents}")
        yield package
    finally:
        # Synchronous on purpose: it must run even in a cancelled scope.
        with contextlib.suppress(FileNotFoundError):
            os.remove(name)
