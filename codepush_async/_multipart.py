"""A ``multipart/form-data`` release body streamed from disk, with an exact length.

httpx cannot stream async files in multipart itself (encode/httpx#1620), so the SDK
frames the parts and reads the package in chunks with aiofiles.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import attrs

__all__ = ["CHUNK_SIZE", "MultipartBody", "PackageSource"]

CHUNK_SIZE = 2 * 1024 * 1024  # large chunks keep the upload at curl's speed


def _quote(value: str) -> str:
    """A header parameter value safe inside double quotes (RFC 7578 percent-escapes)."""
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


@attrs.frozen
class PackageSource:
    """The package to send: a file on disk or bytes in memory, and how to label it."""

    filename: str
    content_type: str
    size: int
    path: Path | None = None
    data: bytes | None = attrs.field(default=None, repr=False)

    async def chunks(self, chunk_size: int = CHUNK_SIZE) -> AsyncIterator[bytes]:
        """The package's bytes, read lazily; a file that changed size is an error."""
        if self.data is not None:
            view = memoryview(self.data)
            for start in range(0, len(view), chunk_size):
                yield bytes(view[start : start + chunk_size])
            return
        assert self.path is not None
        import aiofiles  # here: it pulls in asyncio, which only file uploads need

        sent = 0
        async with aiofiles.open(self.path, "rb") as handle:
            while chunk := await handle.read(chunk_size):
                sent += len(chunk)
                if sent > self.size:
                    break
                yield chunk
        if sent != self.size:
            raise OSError(f"{self.path} changed size while it was being uploaded")


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
