"""``/api/v1/apps`` and ``/api/v1/apps/:app/collaborators`` on the shared app rules."""

from __future__ import annotations

from starlette.responses import Response

from .._classic.apps import add_collaborator, create_app, remove_collaborator, rename_app
from .._classic.base import Ctx, deployment_names
from .._classic.validation import is_valid_name
from .._classic.wire import display_names, json_response, send_status
from .._store import COLLABORATOR, OWNER
from .base import V1Base
from .body import check, is_collaborator_permission, is_text
from .errors import raise_field_errors
from .shapes import app as app_shape
from .shapes import collaborators


class AppRoutes(V1Base):
    """Apps (created with the default Production and Staging deployments) and their members."""

    async def _list_apps(self, ctx: Ctx) -> Response:
        apps = display_names(self.store.apps_of(ctx.account.id), ctx.account.id)
        return json_response(
            {"apps": [app_shape(a, name, deployment_names(self.store, a)) for a, name in apps]}
        )

    async def _create_app(self, ctx: Ctx) -> Response:
        check(ctx.body, [("name", is_valid_name), ("platform", is_text)], required=("name",))
        platform = ctx.body.get("platform")
        app, names = create_app(
            self.store,
            ctx.account,
            ctx.body["name"],
            self._now(),
            platform=platform if isinstance(platform, str) else None,
        )
        return json_response({"app": app_shape(app, app.name, names or [])}, status=201)

    async def _rename_app(self, ctx: Ctx) -> Response:
        check(ctx.body, [("name", is_valid_name)], required=("name",))
        app = self._app(ctx)
        raise_field_errors(rename_app(self.store, app, ctx.account, ctx.body["name"]))
        return json_response({"app": app_shape(app, app.name, deployment_names(self.store, app))})

    async def _delete_app(self, ctx: Ctx) -> Response:
        self.store.remove_app(self._app(ctx, OWNER).id)
        return send_status(204)

    # Collaborators

    async def _list_collaborators(self, ctx: Ctx) -> Response:
        return json_response({"collaborators": collaborators(self._app(ctx, COLLABORATOR))})

    async def _add_collaborator(self, ctx: Ctx) -> Response:
        check(
            ctx.body,
            [("email", is_text), ("permission", is_collaborator_permission)],
            required=("email",),
        )
        target = add_collaborator(self.store, self._app(ctx), ctx.account, ctx.body["email"])
        return json_response(
            {"collaborator": {"email": target.email, "permission": COLLABORATOR}}, status=201
        )

    async def _remove_collaborator(self, ctx: Ctx) -> Response:
        remove_collaborator(self._app(ctx), ctx.account, ctx.params["email"])
        return send_status(204)
