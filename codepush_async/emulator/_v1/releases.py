"""Release upload, the releases list with metrics, and patch by label, on the shared rules."""

from __future__ import annotations

from starlette.responses import Response

from .._classic.base import MSG_NO_FILE, Ctx, try_json
from .._classic.releases import (
    patch_package,
    release_package,
    release_to_patch,
    staged_package,
)
from .._classic.upload import read_upload
from .._classic.validation import validate_package_info
from .._classic.wire import json_response
from .._store import COLLABORATOR
from .base import V1Base
from .errors import invalid_parameter, raise_field_errors
from .shapes import release, release_with_metrics

PATCH_FIELDS = ("appVersion", "description", "isDisabled", "isMandatory", "rollout")
"""What ``PATCH .../releases/:label`` may change (the label comes from the path)."""


class ReleaseRoutes(V1Base):
    """``/api/v1/apps/:app/deployments/:dep/release`` and ``.../releases``."""

    async def _release(self, ctx: Ctx) -> Response:
        async with read_upload(ctx.request, self.max_package_size) as upload:
            if upload.package is None:
                raise invalid_parameter("package", MSG_NO_FILE)
            if upload.info is None:
                raise invalid_parameter("packageInfo", "Field is required")
            info = try_json(upload.info) if isinstance(upload.info, str) else None
            if not isinstance(info, dict):
                raise invalid_parameter("packageInfo", "Field must be a JSON object")
            raise_field_errors(validate_package_info(info, all_optional=False))
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
        return json_response({"release": release(pkg, ctx.blobs)}, status=201)

    async def _list_releases(self, ctx: Ctx) -> Response:
        _, deployment = self._app_and_deployment(ctx, COLLABORATOR)
        metrics = self.store.metrics_of(deployment)
        return json_response(
            {
                "releases": [
                    release_with_metrics(pkg, metrics.get(pkg.label or ""), ctx.blobs)
                    for pkg in deployment.history
                ]
            }
        )

    async def _patch_release(self, ctx: Ctx) -> Response:
        """Apply the classic patch rules; an unchanged release is answered as it is (200)."""
        info = {name: ctx.body[name] for name in PATCH_FIELDS if name in ctx.body}
        raise_field_errors(validate_package_info(info, all_optional=True))
        _, deployment = self._app_and_deployment(ctx, COLLABORATOR)
        target = release_to_patch(deployment, ctx.params["label"])
        updated = patch_package(deployment, target, info)
        return json_response({"release": release(updated or target, ctx.blobs)})
