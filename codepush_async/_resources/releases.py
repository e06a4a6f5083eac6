"""``cp.releases``: upload, history, patch, promote and rollback of a deployment's releases."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, overload

import attrs

from .._core.timeouts import Timeouts
from .._display.tables import ModelList
from .._exceptions import (
    CodePushError,
    ConflictError,
    IdenticalReleaseError,
    NotFoundError,
    OutcomeUnknownError,
    UnverifiedReleaseError,
)
from .._models.entities import Package, ReleaseMethod
from .._models.secret import redacted
from .._release.download import PackageToFetch, download_package
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
from ._effects import Effect, Mark, same_entry, write_proven
from ._lookup import find_deployment, find_package, oldest_first

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


def _deployment(app: Any, deployment: Any) -> dict[str, str | None]:
    return {"app": check_name(app, "app"), "deployment": check_name(deployment, "deployment")}


@attrs.frozen
class _Upload:
    """One release on its way: where to, its body, its hash, and how to tell it landed."""

    app: str
    deployment: str
    body: StreamingContent = attrs.field(repr=False)
    timeout: Timeouts
    sent: SentHash = attrs.field(repr=False)


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
                return await self._upload(app, deployment, info["appVersion"], package, body)
            except ConflictError as error:
                if not (no_duplicate_release_error and is_identical_release(error)):
                    raise
                logger.warning("release to %s/%s skipped: %s", app, deployment, error.message)
                return None

    async def _upload(
        self,
        app: str,
        deployment: str,
        app_version: str,
        package: PackageSource,
        body: StreamingContent,
    ) -> Package:
        """Send a release and check what was stored; a lost or 5xx answer is read back.

        It is resent only when its package is nowhere in the history since the call began.
        """
        upload = _Upload(
            app=app,
            deployment=deployment,
            body=body,
            timeout=self._requester.timeouts.for_upload(body.length),
            sent=SentHash(package).start(),  # hashed in a thread while the upload runs
        )
        mark = await self._mark(app, deployment)
        effect = Effect(
            f"release to {app}/{deployment}",
            mark,
            functools.partial(self.history, app, deployment),
            functools.partial(self._uploaded, upload.sent, mark),
            # the official server's shared temp file can store ours with other contents
            functools.partial(_may_be_ours, app_version=app_version),
        )
        return await write_proven(
            self._requester, effect, functools.partial(self._release_attempt, upload, effect),
            resend_lost=True,
        )

    async def _release_attempt(self, upload: _Upload, effect: Effect, attempt: int) -> Package:
        """Send the release once and check what the answer says was stored."""
        try:
            stored = await self._send_release(upload, effect)
        except IdenticalReleaseError:
            # "Identical to the current release" after a resend: ours may have landed before.
            if attempt > 1 and (landed := await effect.landed()) is not None:
                return landed
            raise
        return await self._checked(upload, stored)

    async def _send_release(self, upload: _Upload, effect: Effect) -> Package:
        async with self._requester.release_slot():
            return await self._get(
                Package,
                "releases.release",
                _deployment(upload.app, upload.deployment),
                stream=upload.body,
                timeout=upload.timeout,
                read_back=functools.partial(self._answered, effect),
                resend=False,
            )

    async def _checked(self, upload: _Upload, stored: Package) -> Package:
        """``stored`` if it holds what was sent, else ``ReleaseIntegrityError``."""
        expected = await upload.sent.expected(self._requester.flavor)
        return check_stored(stored, expected, app=upload.app, deployment=upload.deployment)

    async def _uploaded(
        self, sent: SentHash, mark: Mark, history: Sequence[Package]
    ) -> Package | None:
        """The entry new since ``mark`` that holds the package sent, if any."""
        new = mark.new_in(history)
        if not new:  # nothing landed: no need to wait for the hash
            return None
        sent_hash = await self._sent_hash(sent)
        return next((p for p in new if p.package_hash == sent_hash), None)

    async def _answered(self, effect: Effect) -> Package:
        """The entry a success answer without it stands for (the community server's).

        This call's own entry when the history shows it, else the newest entry new since
        the mark (which the integrity check then refuses). The write landed, so a failed
        read is ``UnverifiedReleaseError``; nothing new in the history is unknown.
        """
        try:
            history = await effect.read()
        except CodePushError as failure:
            raise UnverifiedReleaseError(
                f"{effect.what} was answered as done, but reading the history to find and "
                f"check what it stored failed ({failure.message})",
                package=None,
            ) from failure
        found = await effect.find(history)
        new = effect.mark.new_in(history)
        if found is None and not new:
            raise OutcomeUnknownError(
                f"{effect.what} was answered as done, but no new entry is in the history: "
                "check the deployment before trying again",
                500,
            )
        return found or new[-1]

    async def _sent_hash(self, sent: SentHash) -> str:
        """The hash this server gives what was sent (its own algorithm where it differs)."""
        return await sent.expected(self._requester.flavor) or await sent.value()

    async def _mark(self, app: str, deployment: str) -> Mark:
        """The deployment's history before a write, to tell its effect apart later."""
        return Mark(tuple(await self.history(app, deployment)))

    async def history(self, app: str, deployment: str) -> ModelList[Package]:
        """Every release of the deployment, oldest first."""
        history = await self._get(list[Package], "releases.history", _deployment(app, deployment))
        ordered = oldest_first(history, newest_first=self._requester.flavor == COMMUNITY)
        return ModelList(ordered, item_type=Package)

    async def download(
        self,
        app: str,
        deployment: str,
        label: str | None = None,
        *,
        dest: str | os.PathLike[str],
        on_progress: ProgressCallback | None = None,
    ) -> Path:
        """Download release ``label`` (``None``: the latest) from its ``blobUrl`` to ``dest``
        (a file, or a folder to name ``<label>.zip`` in), checked against its package hash.

        Streams to disk (flat memory), reports ``on_progress(done, total)``; the access key
        never goes to the blob's host. A mismatch is ``ReleaseIntegrityError`` and leaves
        nothing at ``dest``.
        """
        check_name(app, "app")
        check_name(deployment, "deployment")
        check_optional_name(label, "label")
        found = await find_package(self, app, deployment, label)
        package = PackageToFetch(found.blob_url, found.package_hash, found.label)
        return await download_package(self._requester, package, dest, on_progress=on_progress)

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
        wanted = {"app_version": app_version, "description": description,
                  "is_mandatory": is_mandatory, "is_disabled": is_disabled, "rollout": rollout}
        mark = await self._mark(app, deployment)
        if label is None and self._requester.takes_in_path("releases.patch", "label"):
            label = _latest(mark).label  # /api/v1 needs one
            params["label"] = label
        community = await self._requester.server_flavor() == COMMUNITY
        if community:
            info.setdefault("appVersion", None)  # it fails without the key; null keeps it
        target = mark.labelled(label)
        effect = Effect(
            f"patch of {app}/{deployment} {label or '(latest)'}", mark,
            functools.partial(self.history, app, deployment),
            functools.partial(_patched, target, wanted),
        )
        read_label = label if label is not None or target is None else target.label
        return await write_proven(self._requester, effect, lambda _: self._patch_answer(
            app, deployment, read_label, params, info, community
        ))

    async def _patch_answer(
        self,
        app: str,
        deployment: str,
        label: str | None,
        params: dict[str, str | None],
        info: dict[str, Any],
        community: bool,
    ) -> Package | None:
        """Send the patch once: the updated release, ``None`` when nothing changed."""
        answer = await self._requester.call("releases.patch", params, info, resend=False)
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
        try:
            return await self._promote(app, source, destination, label, params, info)
        except IdenticalReleaseError as error:
            if not no_duplicate_release_error:
                raise
            logger.warning("promote to %s/%s skipped: %s", app, destination, error.message)
            return None

    async def _promote(
        self,
        app: str,
        source: str,
        destination: str,
        label: str | None,
        params: dict[str, str | None],
        info: dict[str, Any],
    ) -> Package:
        """Promote, proven by identity, and check the package it copied."""
        what = f"promote of {app}/{source} to {destination}"
        self._requester.check_supported("releases.promote")  # before the reads it needs
        sources = Mark(tuple(await self.history(app, source)))
        effect = self._effect(what, app, destination, await self._mark(app, destination),
                              ReleaseMethod.PROMOTE, sources.labelled(label))
        promoted = await write_proven(self._requester, effect, lambda _: self._get(
            Package,
            "releases.promote",
            params,
            info,
            read_back=functools.partial(self._answered, effect),
            required=("packageHash",),  # the community server answers with a database row
            resend=False,
        ))
        try:
            expected = await self._promoted_source(
                app, source, sources, label or promoted.original_label
            )
        except CodePushError as failure:
            raise UnverifiedReleaseError(
                f"{what} landed as {promoted.label}, but reading the source's history to "
                f"check the package it copied failed ({failure.message})",
                package=promoted,
            ) from failure
        return check_stored(promoted, expected, app=app, deployment=destination)

    def _effect(
        self,
        what: str,
        app: str,
        deployment: str,
        mark: Mark,
        method: str,
        copied: Package | None,
    ) -> Effect:
        """A promote's or rollback's effect: a new entry by ``method`` holding ``copied``."""
        async def find(history: Sequence[Package]) -> Package | None:
            if copied is None:  # nothing to copy: the server refuses it
                return None
            return next((p for p in mark.new_in(history) if p.release_method in (method, None)
                         and p.package_hash == copied.package_hash
                         and p.original_label in (copied.label, None)), None)

        return Effect(what, mark, functools.partial(self.history, app, deployment), find)

    async def _promoted_source(
        self, app: str, source: str, before: Mark, label: str | None
    ) -> str | None:
        """The package hash of the source release a promote copied.

        From the source's history read before the promote when it names that release
        (by label, else the latest); otherwise read again, and a failed read is
        ``UnverifiedReleaseError``: the promote landed, its check could not be made.
        """
        copied = None if label is None else before.labelled(label)
        if copied is not None:
            return copied.package_hash
        history = [p for p in await self.history(app, source) if label is None or p.label == label]
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
        self._requester.check_supported(operation)  # before the reads it needs
        if await self._requester.server_flavor() == COMMUNITY:
            await find_deployment(self, app, deployment)  # it crashes (500) on an unknown one
        mark = await self._mark(app, deployment)
        effect = self._effect(
            f"rollback of {app}/{deployment}", app, deployment, mark, ReleaseMethod.ROLLBACK,
            _rollback_target(mark, target_release),
        )
        return await write_proven(self._requester, effect, lambda _: self._get(
            Package,
            operation,
            params,
            read_back=functools.partial(self._answered, effect),
            resend=False,
        ))


def _rollback_target(mark: Mark, label: str | None) -> Package | None:
    """The release a rollback copies: ``label``'s, else the one before the latest."""
    if label is not None:
        return mark.labelled(label)
    return mark.history[-2] if len(mark.history) > 1 else None


def _may_be_ours(package: Package, app_version: str) -> bool:
    """An upload that could be a release of ``app_version`` stored with other contents."""
    return package.release_method in (ReleaseMethod.UPLOAD, None) and (
        package.app_version == app_version
    )


def _latest(mark: Mark) -> Package:
    """The deployment's latest release, or the server's ``NotFoundError`` for none."""
    if mark.latest is None:
        raise NotFoundError("Deployment has no releases.")
    return mark.latest


async def _patched(
    before: Package | None, wanted: dict[str, Any], history: Sequence[Package]
) -> Package | None:
    """The release ``before`` in ``history``, if this patch changed it to ``wanted``.

    Fields the patch leaves alone (``None``) are not compared; a release that already held
    every wanted value is no proof of this call (the server answers such a patch itself).
    """
    if before is None:
        return None
    fields = {name: value for name, value in wanted.items() if value is not None}
    now = next((p for p in reversed(history) if same_entry(p, before)), None)
    if now is None or not _holds(now, fields) or _holds(before, fields):
        return None
    return now


def _holds(package: Package, fields: dict[str, Any]) -> bool:
    return all(getattr(package, name) == value for name, value in fields.items())
