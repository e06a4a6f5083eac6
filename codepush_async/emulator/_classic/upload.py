"""Reading a release upload as the server's multer middleware does, with its limits applied as
bytes arrive: starlette's multipart parser spools the ``package`` file to a temporary file (at
most ``SPOOL_SIZE`` bytes of it in memory) and the upload is refused with the server's 413 as
soon as a file passes the size limit, without reading the rest of the body."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import IO

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import ClientDisconnect, Request

from .wire import HTTPError

METADATA_LIMIT = 1024 * 1024
"""Bytes of part headers and field values one upload may carry (multer's 1 MB field size)."""
PACKAGE_FIELD = "package"


def too_large(max_size: int) -> HTTPError:
    """The server's answer to a file over the upload limit (multer's ``LIMIT_FILE_SIZE``)."""
    megabytes = max_size / (1024 * 1024)
    return HTTPError(
        413, f"The uploaded file is larger than the size limit of {megabytes:g} megabytes."
    )


class _FileTooLarge(Exception):
    """A file part passed the upload limit (raised from the parser's callbacks)."""


class UploadParser(MultiPartParser):
    """Starlette's multipart parser, counting as it parses: each file's bytes against
    ``max_file_size``, and headers and fields against ``METADATA_LIMIT``. Only the first
    ``package`` file is kept; other files are counted and dropped, as nothing reads them."""

    def __init__(self, request: Request, max_file_size: int) -> None:
        super().__init__(request.headers, request.stream(), max_part_size=METADATA_LIMIT)
        self.max_file_size = max_file_size
        self._file_size = 0
        self._metadata = 0
        self._keep = False
        self._kept_package = False

    def _count_metadata(self, size: int) -> None:
        self._metadata += size
        if self._metadata > METADATA_LIMIT:
            raise MultiPartException("The multipart headers and fields are too large.")

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._count_metadata(end - start)
        super().on_header_field(data, start, end)

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._count_metadata(end - start)
        super().on_header_value(data, start, end)

    def on_headers_finished(self) -> None:
        super().on_headers_finished()
        part = self._current_part
        self._file_size = 0
        self._keep = (
            part.file is not None and part.field_name == PACKAGE_FIELD and not self._kept_package
        )
        self._kept_package = self._kept_package or self._keep

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._current_part.file is None:
            self._count_metadata(end - start)
        else:
            self._file_size += end - start
            if self._file_size > self.max_file_size:
                raise _FileTooLarge
            if not self._keep:
                return
        super().on_part_data(data, start, end)


@dataclass
class Upload:
    """What a release upload carried: the ``package`` file (None when absent, or when the body
    is not multipart) and the ``packageInfo`` text."""

    package: IO[bytes] | None
    info: object


@contextlib.asynccontextmanager
async def read_upload(request: Request, max_size: int) -> AsyncIterator[Upload]:
    """The upload of a multipart body, its spooled file closed on exit; 413 once a file passes
    ``max_size`` bytes. A body that is not (valid) multipart, or that its client abandoned,
    carries nothing."""
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        yield Upload(None, None)
        return
    try:
        form = await UploadParser(request, max_size).parse()
    except _FileTooLarge:
        raise too_large(max_size) from None
    except (MultiPartException, ClientDisconnect, ValueError):
        yield Upload(None, None)
        return
    try:
        yield _first_fields(form.multi_items())
    finally:
        await form.close()


def _unspooled(file: IO[bytes]) -> IO[bytes]:
    """The spooled file's own buffer or temporary file (parsing is over, so it no longer
    rolls over): ``SpooledTemporaryFile`` has no ``seekable()`` before Python 3.11, and
    zipfile needs it."""
    inner: IO[bytes] = getattr(file, "_file", file)
    return inner


def _first_fields(items: list[tuple[str, UploadFile | str]]) -> Upload:
    package: IO[bytes] | None = None
    info: object = None
    for key, value in items:
        if isinstance(value, UploadFile):
            if key == PACKAGE_FIELD and package is None:
                package = _unspooled(value.file)
        elif key == "packageInfo" and info is None:
            info = value
    return Upload(package, info)
