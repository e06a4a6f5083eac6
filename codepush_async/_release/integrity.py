"""Release integrity: is what the server stored what the SDK sent?

The official server writes every upload to one shared temp file, so concurrent releases
can be stored with another upload's bundle while the answer says 201. The hash of what
was sent is computed in a worker thread while the upload runs (it reuses the server's
algorithm in ``_hashing``) and compared with the ``packageHash`` the server stored.
"""

from __future__ import annotations

import io
import logging
import threading
import zipfile
from pathlib import Path

import anyio

from .._exceptions import OutcomeUnknownError, PackageChangedError, ReleaseIntegrityError
from .._models.entities import Package
from .._wire.flavors import COMMUNITY, Flavor
from .hashing import _digest, is_ignored, manifest_hash, package_hash
from .multipart import PackageSource

__all__ = ["SentHash", "check_stored", "community_package_hash"]

logger = logging.getLogger("codepush_async")


def _community_name(name: str) -> str | None:
    """An entry's path in the community server's manifest (``None``: not hashed).

    It unzips the package and hashes the files it finds: directory entries are left out
    and a nested file's first folder is renamed ``CodePush``
    (``bundle/assets/a.png`` -> ``CodePush/assets/a.png``).
    """
    name = name.replace("\\", "/")
    if name.endswith("/") or is_ignored(name):
        return None
    top, slash, rest = name.partition("/")
    return f"CodePush/{rest}" if slash else top


def community_package_hash(source: Path | bytes) -> str | None:
    """The community server's ``packageHash`` of a zip; ``None`` for anything else."""
    try:
        stream = io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")
        with stream, zipfile.ZipFile(stream) as archive:
            manifest = {}
            for info in archive.infolist():
                name = _community_name(info.filename)
                if name is not None:
                    with archive.open(info) as member:
                        manifest[name] = _digest(member)
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, ValueError, OSError):
        return None  # it accepts zips only: there is no hash of its own to compare
    return manifest_hash(manifest)  # the signature (.codepushrelease) stays out, as there


class SentHash:
    """The server-side hash of one upload, computed in a thread beside the upload."""

    def __init__(self, package: PackageSource) -> None:
        self._package = package
        self._thread = threading.Thread(target=self._run, name="codepush-hash", daemon=True)
        self._value: str | None = None
        self._error: BaseException | None = None

    def start(self) -> SentHash:
        """Begin hashing (at most once); the upload goes on meanwhile."""
        if self._thread.ident is None:  # not started yet
            self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self._value = self._package.hashed(package_hash)
        except BaseException as error:  # re-raised in the caller's task by value()
            self._error = error

    async def value(self) -> str:
        """The hash (the official server's algorithm), once computed."""
        self.start()
        await anyio.to_thread.run_sync(self._thread.join, abandon_on_cancel=True)
        if isinstance(self._error, PackageChangedError):
            raise _unverifiable(self._error) from self._error
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value

    async def expected(self, flavor: Flavor | None) -> str | None:
        """What a server of ``flavor`` stores for this package; ``None`` if unknown."""
        value = await self.value()
        if flavor == COMMUNITY:
            try:
                return await anyio.to_thread.run_sync(self._package.hashed, community_package_hash)
            except PackageChangedError as changed:
                raise _unverifiable(changed) from changed
        return value


def _unverifiable(changed: PackageChangedError) -> OutcomeUnknownError:
    """The file changed after it was sent: its hash now says nothing about what was sent."""
    return OutcomeUnknownError(
        f"{changed.path} changed since it was sent ({changed.change}), so its hash cannot "
        "tell whether the release stored is what was sent; check the deployment before "
        "releasing it again.",
        500,
    )


def check_stored(
    stored: Package, expected: str | None, *, app: str, deployment: str
) -> Package:
    """``stored`` if its ``packageHash`` is ``expected``; else ``ReleaseIntegrityError``.

    ``expected=None`` (the server's algorithm for this content is unknown) checks nothing.
    An answer without a hash cannot be trusted either: it is an error as well.
    """
    if expected is None:
        logger.info("release %s of %s/%s: this server's package hash cannot be checked",
                    stored.label, app, deployment)
        return stored
    if stored.package_hash != expected:
        raise ReleaseIntegrityError(
            app=app,
            deployment=deployment,
            label=stored.label,
            expected_hash=expected,
            actual_hash=stored.package_hash,
        )
    return stored
