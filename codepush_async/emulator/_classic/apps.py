"""Classic routes for apps, collaborators, transfer and deployments."""

from __future__ import annotations

from starlette.responses import Response

from .._node.coercion import js_string, js_truthy, locale_key
from .._node.headers import location
from .._store import (
    COLLABORATOR,
    OWNER,
    Account,
    App,
    Collaborator,
    Deployment,
    Store,
    generate_secure_key,
)
from .base import (
    DEFAULT_DEPLOYMENTS,
    MSG_UNREGISTERED,
    PROTOTYPE_KEYS,
    ClassicBase,
    Ctx,
    owns_app_named,
    require_permission,
)
from .validation import FieldError, validate_app, validate_deployment
from .wire import (
    HTTPError,
    collaborator_map,
    display_names,
    json_response,
    listed_deployment,
    rest_app,
    rest_deployment,
    send_status,
    validation_error,
)

# The rules below are shared by both dialects: they raise HTTPError(status, message) and leave
# the wire shape (and request validation) to the caller.


def create_app(
    store: Store,
    owner: Account,
    name: str,
    now: int,
    *,
    os: str | None = None,
    platform: str | None = None,
    provision: bool = True,
) -> tuple[App, list[str] | None]:
    """A new app (409 if the owner has one of that name) and, when ``provision``, its default
    deployments' names."""
    if owns_app_named(store, owner.id, name):
        raise HTTPError(409, f"An app named '{name}' already exists.")
    app = store.add_app(owner, name, now, os=os, platform=platform)
    if not provision:
        return app, None
    for deployment_name in DEFAULT_DEPLOYMENTS:
        store.add_deployment(app.id, deployment_name, generate_secure_key(owner.id), now)
    return app, list(DEFAULT_DEPLOYMENTS)


def rename_app(store: Store, app: App, account: Account, new_name: object) -> list[FieldError]:
    """Rename (Owner only; 409 on a clash); a missing name keeps the old one. Returns the
    validation errors of the resulting name (nothing changes when there are any)."""
    require_permission(app, account, OWNER)
    candidate: object = app.name
    if (js_truthy(new_name) or new_name == "") and new_name != app.name:
        if owns_app_named(store, account.id, new_name):
            raise HTTPError(409, f"An app named '{js_string(new_name)}' already exists.")
        candidate = new_name
    errors = validate_app({"name": candidate}, is_update=True)
    if not errors:
        app.name = str(candidate)
    return errors


def add_deployment(
    store: Store, app: App, account: Account, name: str, key: str | None, now: int
) -> Deployment:
    """A new deployment (Owner only); 409 when the name or the key is taken."""
    require_permission(app, account, OWNER)
    if store.find_deployment(app.id, name) is not None:
        raise HTTPError(409, f"A deployment named '{name}' already exists.")
    key = key or generate_secure_key(account.id)
    if store.deployment_by_key(key) is not None:
        raise HTTPError(409, "The specified entity already exists.")
    return store.add_deployment(app.id, name, key, now)


def rename_deployment(store: Store, app: App, deployment: Deployment, name: str) -> None:
    """Rename a deployment; 409 when the app has another one of that name."""
    if name != deployment.name:
        if store.find_deployment(app.id, name) is not None:
            raise HTTPError(409, f"A deployment named '{name}' already exists.")
        deployment.name = name


def add_collaborator(store: Store, app: App, account: Account, email: str) -> Account:
    """Add a registered account as Collaborator (Owner only); 404 unknown, 409 already one."""
    require_permission(app, account, OWNER)
    target = store.account_by_email(email)
    if target is None:
        raise HTTPError(404, MSG_UNREGISTERED)
    if target.email in app.collaborators:
        raise HTTPError(409, "The given account is already a collaborator for this app.")
    app.collaborators[target.email] = Collaborator(target.id, COLLABORATOR)
    return target


def remove_collaborator(app: App, account: Account, email: str) -> None:
    """Remove a collaborator (Owner, or anyone removing themself); the Owner cannot go."""
    member = app.collaborators.get(email)
    removing_self = member is not None and member.account_id == account.id
    require_permission(app, account, COLLABORATOR if removing_self else OWNER)
    if member is None:
        raise HTTPError(404, "The given email is not a collaborator for this app.")
    if member.permission == OWNER:
        raise HTTPError(409, "Cannot remove the owner of the app from collaborator list.")
    del app.collaborators[email]


class AppRoutes(ClassicBase):
    """``/apps`` and everything under it except releases."""

    async def _list_apps(self, ctx: Ctx) -> Response:
        apps = self.store.apps_of(ctx.account.id)
        return json_response(
            {
                "apps": [
                    rest_app(app, name, self._deployment_names(app), ctx.account.id)
                    for app, name in display_names(apps, ctx.account.id)
                ]
            }
        )

    async def _create_app(self, ctx: Ctx) -> Response:
        name = ctx.body.get("name")
        errors = validate_app({"name": name}, is_update=False)
        if errors:
            return validation_error(errors)
        assert isinstance(name, str)
        os_name, platform = ctx.body.get("os"), ctx.body.get("platform")
        app, names = create_app(
            self.store,
            ctx.account,
            name,
            self._now(),
            os=os_name if isinstance(os_name, str) else None,
            platform=platform if isinstance(platform, str) else None,
            provision=not js_truthy(ctx.body.get("manuallyProvisionDeployments")),
        )
        return json_response(
            {"app": rest_app(app, app.name, names, None)},
            status=201,
            headers={"Location": location("apps", name)},
        )

    async def _get_app(self, ctx: Ctx) -> Response:
        app = self._resolve_app(ctx)
        names = self._deployment_names(app)
        return json_response({"app": rest_app(app, ctx.params["appName"], names, ctx.account.id)})

    async def _patch_app(self, ctx: Ctx) -> Response:
        app = self._resolve_app(ctx)
        errors = rename_app(self.store, app, ctx.account, ctx.body.get("name"))
        if errors:
            return validation_error(errors)
        names = self._deployment_names(app)
        return json_response({"app": rest_app(app, app.name, names, ctx.account.id)})

    async def _delete_app(self, ctx: Ctx) -> Response:
        app = self._resolve_app(ctx)
        require_permission(app, ctx.account, OWNER)
        self.store.remove_app(app.id)
        return send_status(204)

    def _email_param(self, ctx: Ctx) -> str:
        email = ctx.params["email"]
        if email in PROTOTYPE_KEYS:
            raise HTTPError(400, "Invalid email parameter")
        return email

    async def _transfer_app(self, ctx: Ctx) -> Response:
        email = self._email_param(ctx)
        app = self._resolve_app(ctx)
        require_permission(app, ctx.account, OWNER)
        target = self.store.account_by_email(email)
        if target is None:
            raise HTTPError(404, MSG_UNREGISTERED)
        requester = app.email_of(ctx.account.id)
        if requester == target.email:
            raise HTTPError(409, "The given account already owns the app.")
        if self._owns_app_named(target.id, app.name):
            raise HTTPError(
                409,
                f'Cannot transfer ownership. An app with name "{app.name}" already exists '
                "for the given collaborator.",
            )
        if requester is not None:
            app.collaborators[requester].permission = COLLABORATOR
        member = app.collaborators.get(target.email)
        if member is not None:
            member.permission = OWNER
        else:
            app.collaborators[target.email] = Collaborator(target.id, OWNER)
        return send_status(201)

    async def _add_collaborator(self, ctx: Ctx) -> Response:
        email = self._email_param(ctx)
        add_collaborator(self.store, self._resolve_app(ctx), ctx.account, email)
        return send_status(201)

    async def _list_collaborators(self, ctx: Ctx) -> Response:
        app = self._resolve_app(ctx)
        require_permission(app, ctx.account, COLLABORATOR)
        return json_response({"collaborators": collaborator_map(app, ctx.account.id)})

    async def _remove_collaborator(self, ctx: Ctx) -> Response:
        email = self._email_param(ctx)
        remove_collaborator(self._resolve_app(ctx), ctx.account, email)
        return send_status(204)

    # Deployments

    async def _list_deployments(self, ctx: Ctx) -> Response:
        app = self._resolve_app(ctx)
        require_permission(app, ctx.account, COLLABORATOR)
        deployments = sorted(self.store.deployments_of(app.id), key=lambda d: locale_key(d.name))
        return json_response(
            {"deployments": [listed_deployment(d, ctx.blobs) for d in deployments]}
        )

    async def _create_deployment(self, ctx: Ctx) -> Response:
        name, key = ctx.body.get("name"), ctx.body.get("key")
        errors = validate_deployment({"name": name, "key": key}, is_update=False)
        if errors:
            return validation_error(errors)
        assert isinstance(name, str)
        deployment = add_deployment(
            self.store,
            self._resolve_app(ctx),
            ctx.account,
            name,
            key if isinstance(key, str) else None,
            self._now(),
        )
        return json_response(
            {"deployment": rest_deployment(deployment, None)},
            status=201,
            headers={"Location": location("apps", ctx.params["appName"], "deployments", name)},
        )

    async def _get_deployment(self, ctx: Ctx) -> Response:
        _, deployment = self._app_and_deployment(ctx, COLLABORATOR)
        return json_response({"deployment": rest_deployment(deployment, ctx.blobs)})

    async def _delete_deployment(self, ctx: Ctx) -> Response:
        _, deployment = self._app_and_deployment(ctx, OWNER)
        self.store.remove_deployment(deployment.id)
        return send_status(204)

    async def _patch_deployment(self, ctx: Ctx) -> Response:
        name, key = ctx.body.get("name"), ctx.body.get("key")
        errors = validate_deployment({"name": name, "key": key}, is_update=True)
        if errors:
            return validation_error(errors)
        app, deployment = self._app_and_deployment(ctx, OWNER)
        if isinstance(name, str):
            rename_deployment(self.store, app, deployment, name)
        return json_response({"deployment": rest_deployment(deployment, ctx.blobs)})
