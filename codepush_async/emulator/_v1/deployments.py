"""``/api/v1/apps/:app/deployments`` on the shared deployment rules."""

from __future__ import annotations

from starlette.responses import Response

from .._classic.apps import add_deployment, rename_deployment
from .._classic.base import Ctx
from .._classic.validation import is_valid_name
from .._classic.wire import json_response, send_status
from .._node.coercion import locale_key
from .._store import COLLABORATOR, OWNER
from .base import V1Base
from .body import check
from .shapes import deployment as deployment_shape


class DeploymentRoutes(V1Base):
    """List (sorted by name, current release included), create, rename and delete."""

    async def _list_deployments(self, ctx: Ctx) -> Response:
        app = self._app(ctx, COLLABORATOR)
        deployments = sorted(self.store.deployments_of(app.id), key=lambda d: locale_key(d.name))
        return json_response({"deployments": [deployment_shape(d, ctx.blobs) for d in deployments]})

    async def _create_deployment(self, ctx: Ctx) -> Response:
        check(ctx.body, [("name", is_valid_name)], required=("name",))
        deployment = add_deployment(
            self.store, self._app(ctx), ctx.account, ctx.body["name"], None, self._now()
        )
        return json_response({"deployment": deployment_shape(deployment, ctx.blobs)}, status=201)

    async def _rename_deployment(self, ctx: Ctx) -> Response:
        check(ctx.body, [("name", is_valid_name)], required=("name",))
        app, deployment = self._app_and_deployment(ctx, OWNER)
        rename_deployment(self.store, app, deployment, ctx.body["name"])
        return json_response({"deployment": deployment_shape(deployment, ctx.blobs)})

    async def _delete_deployment(self, ctx: Ctx) -> Response:
        _, deployment = self._app_and_deployment(ctx, OWNER)
        self.store.remove_deployment(deployment.id)
        return send_status(204)
