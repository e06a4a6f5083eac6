"""``cp.releases``: upload, history, patch, promote and rollback of a deployment's releases."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from typing import Any, Literal, overload

import attrs

from .._core.outcome import may_have_acted
from .._core.retry import retries_left
from .._core.timeouts import Timeouts
from .._display.tables import ModelList
from .._exceptions import ConflictError, IdenticalReleaseError, OutcomeUnknownError, ServerError
from .._models.entities import Deployment, Package, ReleaseMethod
from .._models.secret import redacted
from .._release.integrity import SentHash, check_stored
from .._release.multipart import MultipartBody, PackageSource
from .._release.package import ReleaseContents, check_contents, package_source, zip_layout
from .._release.progress import ProgressCallback, with_progress
from .._wire.codec import MISSING, StreamingContent, encode_json
from .._wire.decode import encode_package_info
from .._wire.flavors import COMMUNITY
from .._wire.semver import is_valid_range
from .._wire.validate import (
    check_bool,
    check_name,
    check_optional_name,
    check_optional_str,
    check_rollout,
    check_size_limit,
)
from ._base import Resource
from ._lookup import find_deployment, find_package, oldest_first
from ._reconcile import NotStored, reconciled, settle

__all__ = ["ReleasesResource", "check_app_version"]

logger = logging.getLogger("codepush_async")


def check_app_version(value: Any, arg: str) -> str:
    """A semver range the server accepts: ``1.2.3``, ``1.2.x``, ``^1.2``, ``>=1.0 <2``, ``*``."""
    check_name(value, arg)
    if not is_valid_range(value):
        raise ValueError(
            f"{arg} must be a semver version or range such as '1.2.3', '1.2.x', '^1.2.0' "
            f"or '>=1.0.0 <2.0.0', got {value!r}"
        )
    return str(value)


IDENTICAL_MESSAGE = (
    "The uploaded package was not released because it is identical to the contents of "
    "the specified deployment's current release."
)
# Date headers have whole seconds, and some servers keep whole-second upload times.
_CLOCK_TOLERANCE = 2.0


def is_identical_release(error: ConflictError) -> bool:
    """The server's answer to a release whose content equals the current one."""
    return isinstance(error, IdenticalReleaseError)


def _package_info(
    *,
    app_version: Any,
    description: Any,
    is_mandatory: Any,
    is_disabled: Any,
    rollout: Any,
    label: Any = None,
) -> dict[str, Any]:
    """The checked ``packageInfo`` fields that are set (``None`` = leave unchanged)."""
    return encode_package_info(
        label=check_optional_name(label, "label"),
        app_version=None if app_version is None else check_app_version(app_version, "app_version"),
        description=check_optional_str(description, "description"),
        is_mandatory=check_bool(is_mandatory, "is_mandatory"),
        is_disabled=check_bool(is_disabled, "is_disabled"),
        rollout=check_rollout(rollout),
    )


def _is_promote(package: Package) -> bool:
    return package.release_method == ReleaseMethod.PROMOTE


def _hash_is(expected: str) -> Callable[[Package], bool]:
    return lambda package: package.package_hash == expected


def _deployment(app: Any, deployment: Any) -> dict[str, str | None]:
    return {"app": check_name(app, "app"), "deployment": check_name(deployment, "deployment")}


@attrs.frozen
class _Upload:
    """One release on its way: where to, its body, its hash, when it was first sent."""

    app: str
    deployment: str
    body: StreamingContent = attrs.field(repr=False)
    timeout: Timeouts
    sent: SentHash = attrs.field(repr=False)
    first_sent: float


class ReleasesResource(Resource):
    """Releases of one deployment."""

    @overload
    async def release(
        self,
        app: str,
        deployment: str,
        contents: ReleaseContents,
        target_binary_version: str,
        *,
        description: str | None = ...,
        is_mandatory: bool | None = ...,
        is_disabled: bool | None = ...,
        rollout: int | None = ...,
        on_progress: ProgressCallback | None = ...,
        no_duplicate_release_error: Literal[False] = ...,
        max_package_size: int | None = ...,
        private_key: str | bytes | os.PathLike[str] | None = ...,
    ) -> Package: ...

    @overload
    async def release(
        self,
        app: str,
        deployment: str,
        contents: ReleaseContents,
        target_binary_version: str,
        *,
        description: str | None = ...,
        is_mandatory: bool | None = ...,
        is_disabled: bool | None = ...,
        rollout: int | None = ...,
        on_progress: ProgressCallback | None = ...,
        no_duplicate_release_error: bool,
        max_package_size: int | None = ...,
        private_key: str | bytes | os.PathLike[str] | None = ...,
    ) -> Package | None: ...

    async def release(
        self,
        app: str,
        deployment: str,
        contents: ReleaseContents,
        target_binary_version: str,
        *,
        description: str | None = None,
        is_mandatory: bool | None = None,
        is_disabled: bool | None = None,
        rollout: int | None = None,
        on_progress: ProgressCallback | None = None,
        no_duplicate_release_error: bool = False,
        max_package_size: int | None = None,
        private_key: str | bytes | os.PathLike[str] | None = None,
    ) -> Package | None:
        """Upload a new release: a directory (zipped), a file (sent as-is) or bytes.

        Everything is checked before the first byte is sent; the upload streams from
        disk, and ``on_progress(sent, total)`` (sync or async) follows it. With
        ``no_duplicate_release_error=True`` a release identical to the current one is
        logged and ``None`` returned instead of raising ``IdenticalReleaseError`` (any other
        conflict, e.g. an unfinished rollout, is still raised). If the answer
        is lost after the body went out, the deployment is checked (by package hash)
        before anything is sent again, so a release is never made twice. The stored
        ``packageHash`` is compared with the hash of what was sent: a mismatch (another
        upload's bundle) raises ``ReleaseIntegrityError``, never a success. Releases of
        one client go out one at a time (``serialize_releases``).

        A directory's entries are named as the JS SDK names them (relative to the given
        path's parent: ``index.html`` for ``"."``, ``www/index.html`` for ``"www"``), so both
        tools give the same package hash. ``private_key`` (PEM text, bytes or a path) signs a
        directory release as the CLI's ``release-react --privateKeyPath`` does: files under
        ``CodePush/``, the JWT as ``CodePush/.codepushrelease`` in the zip (``signing`` extra).
        """
        private_key = redacted(private_key)  # no plain copy in this frame's locals
        _deployment(app, deployment)  # the names are checked before anything else
        info = _package_info(
            app_version=check_app_version(target_binary_version, "target_binary_version"),
            description=description,
            is_mandatory=is_mandatory,
            is_disabled=is_disabled,
            rollout=rollout,
        )
        check_bool(no_duplicate_release_error, "no_duplicate_release_error")
        limit = (self._requester.max_package_size if max_package_size is None
                 else check_size_limit(max_package_size))
        source = check_contents(contents)
        if on_progress is not None and not callable(on_progress):
            raise ValueError(f"on_progress must be callable, got {type(on_progress).__name__}")
        prefix, signer = zip_layout(contents, source, private_key, self._requester.now)
        async with package_source(source, limit, prefix=prefix, signer=signer) as package:
            body = with_progress(MultipartBody(package, encode_json(info)), on_progress)
            try:
                return await self._upload(app, deployment, package, body)
            except ConflictError as error:
                if not (no_duplicate_release_error and is_identical_release(error)):
                    raise
                logger.warning("release to %s/%s skipped: %s", app, deployment, error.message)
                return None

    async def _upload(
        self, app: str, deployment: str, package: PackageSource, body: StreamingContent
    ) -> Package:
        """Send a release and check what was stored; settle a lost or 5xx answer first.

        It is resent only when the answer was lost and the deployment's current release
        is not this package.
        """
        upload = _Upload(
            app=app,
            deployment=deployment,
            body=body,
            timeout=self._requester.timeouts.for_upload(body.length),
            sent=SentHash(package).start(),  # hashed in a thread while the upload runs
            first_sent=self._requester.now(),
        )
        attempt = 1
        while (stored := await self._release_attempt(upload, attempt)) is None:
            attempt += 1
            logger.warning("release to %s/%s was not stored; sending it again",
                           app, deployment)
        return stored

    async def _release_attempt(self, upload: _Upload, attempt: int) -> Package | None:
        """What attempt ``attempt`` stored; ``None`` when its answer was lost, it did not
        land and a retry is left."""
        try:
            stored = await self._send_release(upload)
        except OutcomeUnknownError:
            landed = await self._landed(upload, attempt)
            if landed is None and not retries_left(self._requester.retry_policy, attempt):
                raise
            return landed
        except ServerError as error:
            if not may_have_acted(error):
                raise
            read_back = functools.partial(
                self._stored_since, upload.app, upload.deployment, upload.first_sent,
                _hash_is(await self._sent_hash(upload.sent)),
            )
            return await settle(error, f"release to {upload.app}/{upload.deployment}", read_back)
        except ConflictError as error:
            if attempt > 1 and is_identical_release(error):
                # "Identical to the current release" after a resend: ours landed before.
                landed = await self._landed(upload, attempt)
                if landed is not None:
                    return landed
            raise
        return await self._checked(upload, stored)

    async def _send_release(self, upload: _Upload) -> Package:
        async with self._requester.release_slot():
            return await self._get(
                Package,
                "releases.release",
                _deployment(upload.app, upload.deployment),
                stream=upload.body,
                timeout=upload.timeout,
                read_back=lambda: find_package(self, upload.app, upload.deployment),
            )

    async def _checked(self, upload: _Upload, stored: Package) -> Package:
        """``stored`` if it holds what was sent, else ``ReleaseIntegrityError``."""
        app, deployment = upload.app, upload.deployment
        expected = await upload.sent.expected(self._requester.flavor)
        if self._requester.flavor == COMMUNITY and expected not in (None, stored.package_hash):
            # Its answer carries no package: the latest one read back may be a release
            # made just after ours by someone else.
            stored = await self._ours_since(app, deployment, expected, upload.first_sent) or stored
        return check_stored(stored, expected, app=app, deployment=deployment)

    async def _ours_since(
        self, app: str, deployment: str, package_hash: str | None, since: float
    ) -> Package | None:
        """The newest release with ``package_hash`` uploaded since ``since``, if any."""
        started = self._requester.server_time(since) - _CLOCK_TOLERANCE
        for package in reversed(await self.history(app, deployment)):
            if package.package_hash == package_hash and (
                package.upload_time is None or package.upload_time.timestamp() >= started
            ):
                return package
        return None

    async def _sent_hash(self, sent: SentHash) -> str:
        """The hash this server gives what was sent (its own algorithm where it differs)."""
        return await sent.expected(self._requester.flavor) or await sent.value()

    async def _stored_since(
        self,
        app: str,
        deployment: str,
        since: float,
        is_ours: Callable[[Package], bool],
    ) -> Package:
        """The current release if it is the write sent at ``since`` (after a 5xx answer).

        ``NotStored`` when nothing was released since; ``OutcomeUnknownError`` when another
        release was, which may be ours stored with other contents.
        """
        current = await self._current(app, deployment)
        started = self._requester.server_time(since) - _CLOCK_TOLERANCE
        if current is None or (
            current.upload_time is not None and current.upload_time.timestamp() < started
        ):
            raise NotStored
        if is_ours(current):
            return current
        raise OutcomeUnknownError(
            f"{app}/{deployment}: release {current.label} was stored since, but it is not "
            "what was sent (another release, or ours stored with other contents): check it "
            "before releasing again",
            500,
        )

    async def _current(self, app: str, deployment: str) -> Package | None:
        params = _deployment(app, deployment)
        found = await self._get_or_find(
            Deployment, "deployments.get", params, lambda: find_deployment(self, app, deployment)
        )
        return found.package

    async def _landed(self, upload: _Upload, attempt: int) -> Package | None:
        """The deployment's current release if our upload made it, else ``None``.

        The same content released before our first attempt means the server refused ours
        as identical: that is raised as the ``IdenticalReleaseError`` the lost answer carried.
        """
        sent_hash = await self._sent_hash(upload.sent)
        policy = self._requester.retry_policy
        if policy is not None:
            await self._requester.sleep(policy.backoff(attempt))
        package = await self._current(upload.app, upload.deployment)
        if package is None or package.package_hash != sent_hash:
            return None
        started = self._requester.server_time(upload.first_sent) - _CLOCK_TOLERANCE
        if package.upload_time is not None and package.upload_time.timestamp() < started:
            raise IdenticalReleaseError(IDENTICAL_MESSAGE)
        logger.info("release was stored despite the lost answer: %s", package.label)
        return package

    async def history(self, app: str, deployment: str) -> ModelList[Package]:
        """Every release of the deployment, oldest first."""
        history = await self._get(list[Package], "releases.history", _deployment(app, deployment))
        ordered = oldest_first(history, newest_first=self._requester.flavor == COMMUNITY)
        return ModelList(ordered, item_type=Package)

    async def clear_history(self, app: str, deployment: str) -> None:
        """Delete every release of the deployment (Owner only); labels restart at v1."""
        await self._send("releases.clear_history", _deployment(app, deployment))

    async def patch(
        self,
        app: str,
        deployment: str,
        label: str | None = None,
        *,
        app_version: str | None = None,
        description: str | None = None,
        is_mandatory: bool | None = None,
        is_disabled: bool | None = None,
        rollout: int | None = None,
    ) -> Package | None:
        """Change a release's metadata (``label=None``: the latest release).

        Returns the updated release, or ``None`` when the server reports nothing changed.
        """
        params = _deployment(app, deployment)
        params["label"] = check_optional_name(label, "label")
        info = _package_info(
            app_version=app_version,
            description=description,
            is_mandatory=is_mandatory,
            is_disabled=is_disabled,
            rollout=rollout,
        )
        if not info:
            raise ValueError(
                "patch needs at least one of app_version, description, is_mandatory, "
                "is_disabled or rollout: there is nothing to change"
            )
        if label is None and self._requester.takes_in_path("releases.patch", "label"):
            label = (await find_package(self, app, deployment)).label  # /api/v1 needs one
            params["label"] = label
        community = await self._requester.server_flavor() == COMMUNITY
        if community:
            info.setdefault("appVersion", None)  # it fails without the key; null keeps it
        answer = await self._requester.call("releases.patch", params, info)
        if answer.value is MISSING and community:  # it answers with an empty body
            return await find_package(self, app, deployment, label)
        if answer.value is None or answer.value is MISSING:
            return None
        return self._decode(answer, Package)

    @overload
    async def promote(
        self,
        app: str,
        source: str,
        destination: str,
        *,
        label: str | None = ...,
        app_version: str | None = ...,
        description: str | None = ...,
        is_mandatory: bool | None = ...,
        is_disabled: bool | None = ...,
        rollout: int | None = ...,
        no_duplicate_release_error: Literal[False] = ...,
    ) -> Package: ...

    @overload
    async def promote(
        self,
        app: str,
        source: str,
        destination: str,
        *,
        label: str | None = ...,
        app_version: str | None = ...,
        description: str | None = ...,
        is_mandatory: bool | None = ...,
        is_disabled: bool | None = ...,
        rollout: int | None = ...,
        no_duplicate_release_error: bool,
    ) -> Package | None: ...

    async def promote(
        self,
        app: str,
        source: str,
        destination: str,
        *,
        label: str | None = None,
        app_version: str | None = None,
        description: str | None = None,
        is_mandatory: bool | None = None,
        is_disabled: bool | None = None,
        rollout: int | None = None,
        no_duplicate_release_error: bool = False,
    ) -> Package | None:
        """Copy the source's latest release (or ``label``) to ``destination``, with overrides.

        With ``no_duplicate_release_error=True`` a promote identical to the destination's
        current release is logged and ``None`` returned; other conflicts are raised. The
        promoted ``packageHash`` must be the source release's, else ``ReleaseIntegrityError``.
        """
        params = _deployment(app, source)
        params["destination"] = check_name(destination, "destination")
        info = _package_info(
            label=label,
            app_version=app_version,
            description=description,
            is_mandatory=is_mandatory,
            is_disabled=is_disabled,
            rollout=rollout,
        )
        check_bool(no_duplicate_release_error, "no_duplicate_release_error")
        started = self._requester.now()
        try:
            promoted = await self._get(
                Package,
                "releases.promote",
                params,
                info,
                read_back=lambda: find_package(self, app, destination),
                required=("packageHash",),  # the community server answers with a database row
            )
        except IdenticalReleaseError as error:
            if not no_duplicate_release_error:
                raise
            logger.warning("promote to %s/%s skipped: %s", app, destination, error.message)
            return None
        except ServerError as error:
            if not may_have_acted(error):
                raise
            return await settle(
                error,
                f"promote of {app}/{source} to {destination}",
                lambda: self._stored_since(app, destination, started, _is_promote),
            )
        copied = await self._promoted_source(app, source, label or promoted.original_label)
        return check_stored(promoted, copied, app=app, deployment=destination)

    async def _promoted_source(self, app: str, source: str, label: str | None) -> str | None:
        """The package hash of the source release a promote copied (read after it).

        By label when the call or the answer names one, else the source's latest.
        """
        history = [
            p for p in await self.history(app, source) if label is None or p.label == label
        ]
        return history[-1].package_hash if history else None

    async def rollback(
        self, app: str, deployment: str, target_release: str | None = None
    ) -> Package:
        """Release the previous package again (or ``target_release``, a label) as the latest."""
        params = _deployment(app, deployment)
        operation = "releases.rollback"
        if target_release is not None:  # checked before the flavor probe sends anything
            params["label"] = check_name(target_release, "target_release")
            operation = "releases.rollback_to"
        if await self._requester.server_flavor() == COMMUNITY:
            await find_deployment(self, app, deployment)  # it crashes (500) on an unknown one
        started = self._requester.now()
        return await reconciled(
            lambda: self._get(
                Package, operation, params, read_back=lambda: find_package(self, app, deployment)
            ),
            f"rollback of {app}/{deployment}",
            lambda: self._stored_since(
                app, deployment, started, lambda p: p.release_method == ReleaseMethod.ROLLBACK
            ),
        )
