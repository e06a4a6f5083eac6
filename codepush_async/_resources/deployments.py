"""``cp.deployments``: an app's deployments, their keys and install metrics."""

from __future__ import annotations

import builtins

from .._display.history import DeploymentHistory, join_history
from .._display.tables import ModelList, ModelMap
from .._models.entities import Deployment, UpdateMetrics
from .._wire.validate import check_name, check_optional_name
from ._base import Resource
from ._lookup import find_deployment, metrics_from_releases
from ._reconcile import reconciled
from .releases import ReleasesResource

__all__ = ["DeploymentsResource"]


class DeploymentsResource(Resource):
    """Deployments (``Staging``, ``Production``, ...) of an app."""

    async def create(self, app: str, name: str, *, key: str | None = None) -> Deployment:
        """Create a deployment; the server makes its key unless ``key`` is given."""
        check_name(app, "app")
        body = {"name": check_name(name, "name")}
        if check_optional_name(key, "key") is not None:
            body["key"] = key  # type: ignore[assignment]
        return await reconciled(
            lambda: self._get(Deployment, "deployments.create", {"app": app}, body),
            f"creating deployment {name!r} of {app!r}",
            lambda: self.get(app, name),
        )

    async def get(self, app: str, name: str) -> Deployment:
        """One deployment with its current package (``None`` before the first release)."""
        params = {"app": check_name(app, "app"), "deployment": check_name(name, "name")}
        return await self._get_or_find(
            Deployment, "deployments.get", params, lambda: find_deployment(self, app, name)
        )

    async def list(self, app: str) -> ModelList[Deployment]:
        """The app's deployments, sorted by name."""
        result = await self._get(
            builtins.list[Deployment], "deployments.list", {"app": check_name(app, "app")}
        )
        # The official server's order (case-insensitive, lower case first on a tie);
        # the community server answers in creation order.
        ordered = sorted(result, key=lambda d: (d.name.casefold(), d.name.swapcase()))
        return ModelList(ordered, item_type=Deployment)

    async def rename(self, app: str, name: str, new_name: str) -> Deployment:
        """Rename a deployment (Owner only); its key stays the same."""
        params = {"app": check_name(app, "app"), "deployment": check_name(name, "name")}
        body = {"name": check_name(new_name, "new_name")}
        return await self._get(
            Deployment,
            "deployments.rename",
            params,
            body,
            read_back=lambda: find_deployment(self, app, new_name),
            required=("key",),
        )

    async def remove(self, app: str, name: str) -> None:
        """Delete a deployment and its history (Owner only)."""
        params = {"app": check_name(app, "app"), "deployment": check_name(name, "name")}
        await self._send("deployments.remove", params)

    async def metrics(self, app: str, name: str) -> ModelMap[UpdateMetrics]:
        """Label (``v3``) or app version (``1.0.0``) -> counters; ``{}`` if none are kept.

        ``{}`` is also what a server without Redis answers: it means "no counters", never
        "healthy". An unknown deployment is a ``NotFoundError`` on every server.
        """
        return ModelMap(await self._metrics(app, name), item_type=UpdateMetrics)

    async def history(self, app: str, name: str) -> DeploymentHistory:
        """The CLI's ``deployment history``: each release (oldest first) with its metrics.

        Two calls, ``releases.history`` and ``metrics``; a release the server keeps no
        metrics for has every metric ``None``.
        """
        packages = await ReleasesResource(self._requester).history(app, name)
        return join_history(packages, await self.metrics(app, name))

    async def _metrics(self, app: str, name: str) -> dict[str, UpdateMetrics]:
        params = {"app": check_name(app, "app"), "deployment": check_name(name, "name")}
        if not self._requester.supports("deployments.metrics"):
            return await metrics_from_releases(self, app, name)
        result = await self._get_optional(dict[str, UpdateMetrics], "deployments.metrics", params)
        if result is None:  # the community server's answer, even for an unknown deployment
            await find_deployment(self, app, name)
            return {}
        if not result:  # a server without Redis (the official default), even for unknown ones
            await self.get(app, name)
        return result
