"""Classic routes for releases: upload, patch, promote, rollback, history, metrics, blobs."""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from .._node.coercion import js_truthy
from .._node.package_hash import ZipBombError, hash_with_manifest, serialize_manifest
from .._store import COLLABORATOR, OWNER, Deployment, Package, Store
from .base import (
    MSG_FINISH_ROLLOUT,
    MSG_IDENTICAL_PROMOTE,
    MSG_IDENTICAL_RELEASE,
    MSG_NO_FILE,
    MSG_TOO_MANY,
    ClassicBase,
    Ctx,
    is_unfinished_rollout,
    last_hash_same_app_version,
    package_from_label,
    require_permission,
    socket_ip,
    try_json,
)
from .upload import read_upload
from .validation import rollout_value, validate_package_info
from .wire import (
    HTTPError,
    blob_response,
    json_response,
    raw_package,
    rest_metrics,
    rest_package,
    send_status,
    validation_error,
)


@dataclass
class StagedPackage:
    """An uploaded package hashed and stored off the event loop, in no release yet.

    ``refusal`` is the answer due when the release reaches its hash (a zip bomb); the blob is
    deleted on leaving ``staged_package`` unless a release took it (``committed``).
    """

    size: int
    package_hash: str = ""
    manifest: dict[str, str] | None = None
    blob_id: str = ""
    refusal: HTTPError | None = None
    committed: bool = False


def _stage(store: Store, file: IO[bytes], max_unpacked: int) -> StagedPackage:
    """Hash ``file`` (a zip as streams, unpacking at most ``max_unpacked`` bytes) and store it."""
    size = file.seek(0, io.SEEK_END)
    file.seek(0)
    try:
        digest, manifest = hash_with_manifest(file, max_unpacked)
    except ZipBombError as refused:
        return StagedPackage(size, refusal=HTTPError(413, str(refused)))
    return StagedPackage(size, digest, manifest, store.blobs.put_file(file))


@contextlib.asynccontextmanager
async def staged_package(
    store: Store, file: IO[bytes], max_unpacked: int
) -> AsyncIterator[StagedPackage]:
    """The upload hashed and stored in a worker thread (other clients are served meanwhile)."""
    staged = await anyio.to_thread.run_sync(_stage, store, file, max_unpacked)
    try:
        yield staged
    finally:
        if not staged.committed and staged.blob_id:
            store.blobs.delete(staged.blob_id)


# The rules below are shared by both dialects: they raise HTTPError(status, message), take
# package info that already passed validate_package_info, and leave the wire shape to the caller.


def release_package(
    store: Store,
    deployment: Deployment,
    staged: StagedPackage,
    info: Mapping[str, Any],
    *,
    now: int,
    released_by: str,
) -> Package:
    """Release ``staged`` as the deployment's next label; 409 while the current release is an
    unfinished (enabled) rollout, or when the content equals the release it would replace."""
    current = deployment.package
    if current and is_unfinished_rollout(current.rollout) and not current.is_disabled:
        raise HTTPError(409, MSG_FINISH_ROLLOUT)
    app_version = str(info["appVersion"])
    previous_hash = last_hash_same_app_version(deployment.history, app_version)
    if staged.refusal is not None:
        raise staged.refusal
    if staged.package_hash == previous_hash:
        raise HTTPError(409, MSG_IDENTICAL_RELEASE)
    manifest = staged.manifest
    manifest_id = None if manifest is None else store.blobs.put(serialize_manifest(manifest))
    pkg = Package(
        app_version=app_version,
        package_hash=staged.package_hash,
        blob_id=staged.blob_id,
        size=staged.size,
        upload_time=now,
        release_method="Upload",
        description=info.get("description"),
        is_mandatory=info.get("isMandatory"),
        is_disabled=info.get("isDisabled"),
        manifest_blob_id=manifest_id,
    )
    if "rollout" in info:
        value = info["rollout"]
        pkg.set_rollout(None if value is None else rollout_value(value))
    staged.committed = True
    return store.commit_package(deployment, pkg, released_by)


def release_to_patch(deployment: Deployment, label: object) -> Package:
    """The labelled release (the latest when ``label`` is empty); 404 when there is none."""
    if not deployment.history:
        raise HTTPError(404, "Deployment has no releases.")
    if not label:
        return deployment.history[-1]
    target = package_from_label(deployment.history, label) if isinstance(label, str) else None
    if target is None:
        raise HTTPError(404, "Release not found for given label.")
    return target


def patch_package(
    deployment: Deployment, target: Package, info: Mapping[str, Any]
) -> Package | None:
    """Apply a patch to ``target`` (a release of ``deployment``) and return the updated release,
    or None when nothing changed; 409 when raising the rollout of a completed release or not
    raising it at all."""
    updated = target.copy()
    changed = False
    if info.get("isDisabled") is not None and target.is_disabled != info["isDisabled"]:
        updated.is_disabled = info["isDisabled"]
        changed = True
    if info.get("isMandatory") is not None and target.is_mandatory != info["isMandatory"]:
        updated.is_mandatory = info["isMandatory"]
        changed = True
    description = info.get("description")
    if description and target.description != description:
        updated.description = description
        changed = True
    if info.get("rollout") is not None:
        rollout = rollout_value(info["rollout"])
        if not is_unfinished_rollout(target.rollout):
            raise HTTPError(409, "Cannot update rollout value for a completed rollout release.")
        if target.rollout is not None and target.rollout >= rollout:
            raise HTTPError(
                409,
                f'Rollout value must be greater than "{target.rollout}", the existing value.',
            )
        updated.set_rollout(None if rollout == 100 else rollout)
        changed = True
    app_version = info.get("appVersion")
    if app_version and target.app_version != app_version:
        updated.app_version = app_version
        changed = True
    if not changed:
        return None
    index = next(i for i, p in enumerate(deployment.history) if p is target)
    deployment.history[index] = updated
    return updated


class ReleaseRoutes(ClassicBase):
    """``/apps/:app/deployments/:dep/...`` release operations and package downloads."""

    keeps_metrics = True
    """False: metrics as the official server answers without Redis (``{}``, unchecked)."""

    def _limit_release(self, ctx: Ctx) -> None:
        if self.release_limiter is None:
            return
        result = self.release_limiter.hit(socket_ip(ctx.request))
        ctx.extra_headers.update(result.headers())
        if result.limited:
            raise HTTPError(429, MSG_TOO_MANY)

    async def _release(self, ctx: Ctx) -> Response:
        async with read_upload(ctx.request, self.max_package_size) as upload:
            self._limit_release(ctx)
            if upload.package is None:
                raise HTTPError(400, MSG_NO_FILE)
            parsed = try_json(upload.info) if isinstance(upload.info, str) else None
            info: dict[str, Any] = parsed if isinstance(parsed, dict) else {}
            errors = validate_package_info(info, all_optional=False)
            if errors:
                return validation_error(errors)
            async with staged_package(self.store, upload.package, self.max_unpacked_size) as staged:
                _, deployment = self._app_and_deployment(ctx, COLLABORATOR)
                pkg = release_package(
                    self.store,
                    deployment,
                    staged,
                    info,
                    now=self._now(),
                    released_by=ctx.account.email,
                )
        return json_response(
            {"package": rest_package(pkg, ctx.blobs)},
            status=201,
            headers={"Location": self._deployment_location(ctx)},
        )

    async def _patch_release(self, ctx: Ctx) -> Response:
        info = self._package_info_body(ctx)
        errors = validate_package_info(info, all_optional=True)
        if errors:
            return validation_error(errors)
        _, deployment = self._app_and_deployment(ctx, COLLABORATOR)
        target = release_to_patch(deployment, info.get("label"))
        updated = patch_package(deployment, target, info)
        if updated is None:
            return send_status(204)
        return json_response({"package": rest_package(updated, ctx.blobs)})

    async def _promote(self, ctx: Ctx) -> Response:
        info = self._package_info_body(ctx)
        errors = validate_package_info(info, all_optional=True)
        if errors:
            return validation_error(errors)
        app = self._resolve_app(ctx)
        require_permission(app, ctx.account, COLLABORATOR)
        source_name = ctx.params["sourceDeploymentName"]
        dest_name = ctx.params["destDeploymentName"]
        source = self._resolve_deployment(app, source_name)
        dest = self._resolve_deployment(app, dest_name)
        label = info.get("label")
        source_pkg = package_from_label(source.history, label) if label else source.package
        if source_pkg is None:
            raise HTTPError(404, "Cannot promote from a deployment with no enabled releases.")
        dest_pkg = dest.package
        if dest_pkg and is_unfinished_rollout(dest_pkg.rollout) and not dest_pkg.is_disabled:
            raise HTTPError(
                409,
                "Cannot promote to an unfinished rollout release unless it is already disabled.",
            )
        if source_pkg.package_hash == last_hash_same_app_version(
            dest.history, source_pkg.app_version
        ):
            raise HTTPError(409, MSG_IDENTICAL_PROMOTE)
        rollout = info.get("rollout")
        pkg = Package(
            app_version=info.get("appVersion") or source_pkg.app_version,
            package_hash=source_pkg.package_hash,
            blob_id=source_pkg.blob_id,
            size=source_pkg.size,
            upload_time=self._now(),
            release_method="Promote",
            description=info.get("description") or source_pkg.description,
            is_disabled=(
                info["isDisabled"] if info.get("isDisabled") is not None else source_pkg.is_disabled
            ),
            is_mandatory=(
                info["isMandatory"]
                if info.get("isMandatory") is not None
                else source_pkg.is_mandatory
            ),
            manifest_blob_id=source_pkg.manifest_blob_id,
            original_label=source_pkg.label,
            original_deployment=source_name,
        )
        pkg.set_rollout(rollout_value(rollout) if js_truthy(rollout) else None)
        self.store.commit_package(dest, pkg, ctx.account.email)
        return json_response(
            {"package": rest_package(pkg, ctx.blobs)},
            status=201,
            headers={"Location": self._deployment_location(ctx, dest_name)},
        )

    async def _rollback(self, ctx: Ctx) -> Response:
        """Re-release the previous (or the labelled) package of the same app version.

        As on the official server, the answer is the new package as built before it was
        committed: the target's appVersion, blobUrl, description, isDisabled, isMandatory,
        packageHash, size (and diffPackageMap), a fresh uploadTime, ``releaseMethod: "Rollback"``,
        ``originalLabel`` and ``rollout: 100`` -- but no ``label`` and no ``releasedBy``. The
        history entry does get the next label and the releaser's e-mail.
        """
        _, deployment = self._app_and_deployment(ctx, COLLABORATOR)
        history = deployment.history
        target_label = ctx.params.get("targetRelease")
        if not history:
            raise HTTPError(
                404, "Cannot perform rollback because there are no releases on this deployment."
            )
        latest = history[-1]
        if not target_label:
            if len(history) < 2:
                raise HTTPError(
                    404,
                    "Cannot perform rollback because there are no prior releases to rollback to.",
                )
            target = history[-2]
        else:
            if target_label == latest.label:
                raise HTTPError(
                    409,
                    f"Cannot perform rollback because the target release ({target_label}) "
                    "is already the latest release.",
                )
            found = package_from_label(history, target_label)
            if found is None:
                raise HTTPError(
                    404,
                    f"Cannot perform rollback because the target release ({target_label}) "
                    "could not be found in the deployment history.",
                )
            target = found
        if latest.app_version != target.app_version:
            raise HTTPError(
                409,
                "Cannot perform rollback to a different app version. Please perform a new "
                "release with the desired replacement package.",
            )
        pkg = Package(
            app_version=target.app_version,
            package_hash=target.package_hash,
            blob_id=target.blob_id,
            size=target.size,
            upload_time=self._now(),
            release_method="Rollback",
            description=target.description,
            is_mandatory=target.is_mandatory,
            is_disabled=target.is_disabled,
            manifest_blob_id=target.manifest_blob_id,
            diff_package_map=target.diff_package_map,
            original_label=target.label,
        )
        answer = rest_package(pkg, ctx.blobs)
        self.store.commit_package(deployment, pkg, ctx.account.email)
        return json_response(
            {"package": answer},
            status=201,
            headers={"Location": self._deployment_location(ctx)},
        )

    async def _history(self, ctx: Ctx) -> Response:
        _, deployment = self._app_and_deployment(ctx, COLLABORATOR)
        return json_response({"history": [raw_package(p, ctx.blobs) for p in deployment.history]})

    async def _clear_history(self, ctx: Ctx) -> Response:
        _, deployment = self._app_and_deployment(ctx, OWNER)
        self.store.clear_history(deployment)
        return send_status(204)

    async def _metrics(self, ctx: Ctx) -> Response:
        if not self.keeps_metrics:  # checked before the app: {} even for unknown deployments
            return json_response({"metrics": {}})
        _, deployment = self._app_and_deployment(ctx, COLLABORATOR)
        return json_response({"metrics": rest_metrics(self.store.metric_fields(deployment))})

    # Blobs (emulator-specific download route, unauthenticated like a public blob URL)

    async def _get_blob(self, request: Request, params: dict[str, str]) -> Response:
        response = blob_response(self.store.blobs, params["blobId"])
        return send_status(404) if response is None else response
