"""``cp.collaborators``: who else may release to an app."""

from __future__ import annotations

from .._display.tables import ModelMap
from .._models.entities import CollaboratorProperties
from .._wire.validate import check_email, check_name
from ._base import Resource

__all__ = ["CollaboratorsResource"]


class CollaboratorsResource(Resource):
    """An app's collaborators, keyed by e-mail."""

    async def add(self, app: str, email: str) -> None:
        """Add a registered account as a collaborator (Owner only)."""
        check_name(app, "app")
        await self._send("collaborators.add", {"app": app, "email": check_email(email)})

    async def list(self, app: str) -> ModelMap[CollaboratorProperties]:
        """E-mail -> permission (``Owner`` or ``Collaborator``)."""
        result = await self._get(
            dict[str, CollaboratorProperties], "collaborators.list", {"app": check_name(app, "app")}
        )
        return ModelMap(result, key_name="email", item_type=CollaboratorProperties)

    async def remove(self, app: str, email: str) -> None:
        """Remove a collaborator (Owner, or a collaborator removing themself)."""
        check_name(app, "app")
        await self._send("collaborators.remove", {"app": app, "email": check_email(email)})
