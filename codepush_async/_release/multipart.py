"""A ``multipart/form-data`` release body streamed from disk, with an exact length.

httpx cannot stream async files in multipart itself (encode/httpx#1620), so the SDK
frames the parts and reads the package in chunks with aiofiles.

A file is described once (its size and ``stat`` stamp) and must still match that
description while it is read and when it is hashed: one that grows, shrinks, is modified
or replaced fails the upload before the body is complete, so the server never stores a
file other than the one the SDK checked and hashes.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TypeVar

import attrs

from .._exceptions import PackageChangedError

__all__ = ["CHUNK_SIZE", "FileStamp", "MultipartBody", "PackageSource"]

T = TypeVar("T")

CHUNK_SIZE = 2 * 1024 * 1024  # large chunks keep the upload at curl's speed


def _quote(value: str) -> str:
    """A header parameter value safe inside double quotes (RFC 7578 percent-escapes)."""
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


@attrs.frozen
class FileStamp:
    """Which file and which version of it, as ``stat`` tells: equal stamps, same bytes."""

    device: int
    inode: int
    size: int
    mtime_ns: int
    ctime_ns: int

    @classmethod
    def of(cls, info: os.stat_result) -> FileStamp:
        return cls(info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)

    def change_to(self, later: FileStamp) -> str | None:
        """How the file changed between this stamp and ``later`` (``None``: it did not)."""
        if (later.device, later.inode) != (self.device, self.inode):
            return "it was replaced"
        if later.size != self.size:
            return "it grew" if later.size > self.size else "it shrank"
        if (later.mtime_ns, later.ctime_ns) != (self.mtime_ns, self.ctime_ns):
            return "it was modified"
        return None


@attrs.frozen
class PackageSource:
    """The package to send: a file on disk or bytes in memory, and how to label it.

    A file's ``stamp`` is how it was when described; reading or hashing it checks that
    it still is.
    """

    filename: str
    content_type: str
    size: int
    path: Path | None = None
    data: bytes | None = attrs.field(default=None, repr=False)
    stamp: FileStamp | None = None

    def _check(self, info: os.stat_result | None = None) -> None:
        """Raise if the file (``info``, else what ``path`` names now) is not as described."""
        assert self.path is not None
        assert self.stamp is not None
        try:
            now = FileStamp.of(self.path.stat() if info is None else info)
        except FileNotFoundError:
            raise PackageChangedError(self.path, "it was removed") from None
        change = self.stamp.change_to(now)
        if change is not None:
            raise PackageChangedError(self.path, change)

    async def chunks(self, chunk_size: int = CHUNK_SIZE) -> AsyncIterator[bytes]:
        """The package's bytes, read lazily; a file that changed is a ``PackageChangedError``.

        The last check runs after the last byte was read, before the caller sends the
        rest of the body, so a failed check leaves the server an incomplete upload.
        """
        if self.data is not None:
            view = memoryview(self.data)
            for start in range(0, len(view), chunk_size):
                yield bytes(view[start : start + chunk_size])
            return
        assert self.path is not None
        import aiofiles  # here: it pulls in asyncio, which only file uploads need

        try:
            handle = await aiofiles.open(self.path, "rb")
        except FileNotFoundError:
            raise PackageChangedError(self.path, "it was removed") from None
        sent = 0
        try:
            self._check(os.fstat(handle.fileno()))
            while chunk := await handle.read(chunk_size):
                sent += len(chunk)
                if sent > self.size:
                    raise PackageChangedError(self.path, "it grew")
                yield chunk
            if sent < self.size:
                raise PackageChangedError(self.path, "it shrank")
            self._check()  # the path still names the file read, unchanged
        finally:
            await handle.close()

    def hashed(self, algorithm: Callable[[Path | bytes], T]) -> T:
        """``algorithm`` run on the package (blocking); the file must stay as described."""
        if self.data is not None:
            return algorithm(self.data)
        self._check()
        assert self.path is not None
        result = algorithm(self.path)
        self._check()
        return result


@attrs.frozen
class MultipartBody:
    """Parts ``package`` (the file) then ``packageInfo`` (JSON text), as the JS SDK sends."""

    package: PackageSource
    package_info: bytes
    boundary: str = attrs.field(factory=lambda: f"codepush-async-{secrets.token_hex(16)}")

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def _head(self) -> bytes:
        return (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="package"; '
            f'filename="{_quote(self.package.filename)}"\r\n'
            f"Content-Type: {self.package.content_type}\r\n\r\n"
        ).encode()

    def _tail(self) -> bytes:
        return (
            f"\r\n--{self.boundary}\r\n"
            'Content-Disposition: form-data; name="packageInfo"\r\n\r\n'
        ).encode() + self.package_info + f"\r\n--{self.boundary}--\r\n".encode()

    @property
    def length(self) -> int:
        return len(self._head()) + self.package.size + len(self._tail())

    async def stream(self) -> AsyncIterator[bytes]:
        """The whole body from its first byte; call again to resend it (e.g. on retry)."""
        yield self._head()
        async for chunk in self.package.chunks():
            yield chunk
        yield self._tail()
