"""``cp.apps``: create, list, rename, transfer and remove apps."""

from __future__ import annotations

import attrs

from .._display.tables import ModelList
from .._models.entities import App
from .._wire.validate import check_bool, check_email, check_name, check_optional_str
from ._base import Resource
from ._lookup import find_app
from ._reconcile import reconciled

__all__ = ["AppsResource"]


class AppsResource(Resource):
    """Apps the account owns or collaborates on."""

    async def create(
        self,
        name: str,
        *,
        os: str | None = None,
        platform: str | None = None,
        manually_provision_deployments: bool = False,
    ) -> App:
        """Create an app with Staging and Production deployments (none if manually provisioned)."""
        body: dict[str, object] = {"name": check_name(name, "name")}
        if check_optional_str(os, "os") is not None:
            body["os"] = os
        if check_optional_str(platform, "platform") is not None:
            body["platform"] = platform
        if check_bool(manually_provision_deployments, "manually_provision_deployments"):
            body["manuallyProvisionDeployments"] = True
        app = await reconciled(
            lambda: self._get(
                App,
                "apps.create",
                body=body,
                read_back=lambda: find_app(self, name),
                required=("deployments",),
            ),
            f"creating app {name!r}",
            lambda: self.get(name),
        )
        return _creator_is_current(app)

    async def get(self, name: str) -> App:
        """One app (an app shared under a clashing name is ``owner@example.com:Name``)."""
        check_name(name, "name")
        return await self._get_or_find(App, "apps.get", {"app": name}, lambda: find_app(self, name))

    async def list(self) -> ModelList[App]:
        """Every app the account can see."""
        return ModelList(await self._get(list[App], "apps.list"), item_type=App)

    async def rename(self, name: str, new_name: str) -> App:
        """Rename an app (Owner only)."""
        check_name(name, "name")
        body = {"name": check_name(new_name, "new_name")}
        return await self._get(
            App, "apps.rename", {"app": name}, body, read_back=lambda: find_app(self, new_name)
        )

    async def remove(self, name: str) -> None:
        """Delete an app with its deployments and history (Owner only)."""
        await self._send("apps.remove", {"app": check_name(name, "name")})

    async def transfer(self, name: str, email: str) -> None:
        """Make the account registered as ``email`` the app's owner (Owner only)."""
        check_name(name, "name")
        await self._send("apps.transfer", {"app": name, "email": check_email(email)})


def _creator_is_current(app: App) -> App:
    """A new app's one collaborator is the caller, as ``apps.list`` says.

    The official server's create answer leaves ``isCurrentAccount`` out.
    """
    if len(app.collaborators) != 1:
        return app
    ((email, properties),) = app.collaborators.items()
    if properties.is_current_account:
        return app
    marked = attrs.evolve(properties, is_current_account=True)
    return attrs.evolve(app, collaborators={email: marked})
