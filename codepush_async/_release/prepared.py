"""``prepare_release``: a release's package made once (zipped, hashed) for many uploads."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import attrs

from .._core.clock import Clock, SystemClock
from .._models.secret import redacted
from .._wire.validate import check_size_limit
from .hashing import package_hash
from .package import (
    DEFAULT_MAX_PACKAGE_SIZE,
    ReleaseContents,
    check_contents,
    package_source,
    zip_layout,
)

__all__ = ["PreparedRelease", "prepare_release"]


@attrs.frozen
class PreparedRelease:
    """A package ready to upload: ``contents`` (a file path or bytes) and its server hash.

    Pass ``contents`` to ``cp.releases.release`` as many times as needed: a zip file is
    sent as-is, so the directory is zipped only once. ``package_hash`` is the hash the
    server will give it (compare it with ``Deployment.package.package_hash``).
    """

    contents: Path | bytes = attrs.field(repr=False)
    package_hash: str
    size: int


@asynccontextmanager
async def prepare_release(
    contents: ReleaseContents,
    *,
    max_package_size: int = DEFAULT_MAX_PACKAGE_SIZE,
    private_key: str | bytes | os.PathLike[str] | None = None,
    clock: Clock | None = None,
) -> AsyncIterator[PreparedRelease]:
    """Zip a directory (to a temp file removed on exit, even when cancelled) and hash it.

    A file or bytes are used as they are. The checks are those of ``releases.release``;
    ``private_key`` signs the zip as ``releases.release`` would (its ``iat`` from
    ``clock``, by default the system clock).
    """
    private_key = redacted(private_key)  # no plain copy in this frame's locals
    source = check_contents(contents)
    limit = check_size_limit(max_package_size)
    now = (clock or SystemClock()).now
    prefix, signer = zip_layout(contents, source, private_key, now)
    async with package_source(source, limit, prefix=prefix, signer=signer) as package:
        body = package.path if package.path is not None else package.data
        assert body is not None
        digest = await anyio.to_thread.run_sync(package_hash, body)
        yield PreparedRelease(body, digest, package.size)
