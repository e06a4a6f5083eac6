"""``cp.releases``: history, patch, promote and rollback of a deployment's releases."""

from __future__ import annotations

from typing import Any

from .._converter import encode_package_info
from .._models import Package
from .._validate import (
    check_bool,
    check_name,
    check_optional_name,
    check_optional_str,
    check_rollout,
)
from ._base import Resource

__all__ = ["ReleasesResource"]


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
        app_version=check_optional_name(app_version, "app_version"),
        description=check_optional_str(description, "description"),
        is_mandatory=check_bool(is_mandatory, "is_mandatory"),
        is_disabled=check_bool(is_disabled, "is_disabled"),
        rollout=check_rollout(rollout),
    )


def _deployment(app: Any, deployment: Any) -> dict[str, str | None]:
    return {"app": check_name(app, "app"), "deployment": check_name(deployment, "deployment")}


class ReleasesResource(Resource):
    """Releases of one deployment."""

    async def history(self, app: str, deployment: str) -> list[Package]:
        """Every release of the deployment, oldest first."""
        result: list[Package] = await self._get(
            list[Package], "releases.history", _deployment(app, deployment)
        )
        return result

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
        return await self._get_optional(Package, "releases.patch", params, info)

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
    ) -> Package:
        """Copy the source's latest release (or ``label``) to ``destination``, with overrides."""
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
        return await self._get(Package, "releases.promote", params, info)

    async def rollback(
        self, app: str, deployment: str, target_release: str | None = None
    ) -> Package:
        """Release the previous package again (or ``target_release``, a label) as the latest."""
        params = _deployment(app, deployment)
        if target_release is None:
            return await self._get(Package, "releases.rollback", params)
        params["label"] = check_name(target_release, "target_release")
        return await self._get(Package, "releases.rollback_to", params)
