"""State and lookups shared by the ``/api/v1`` route groups (lookups are the shared rules)."""

from __future__ import annotations

from .._classic.base import Ctx, require_permission, resolve_app, resolve_deployment
from .._clock import Clock, epoch_ms
from .._store import App, Deployment, Store


class V1Base:
    """The store, the clock and the upload limits; handlers take the classic ``Ctx``."""

    def __init__(
        self, store: Store, clock: Clock, *, max_package_size: int, max_unpacked_size: int
    ) -> None:
        self.store = store
        self.clock = clock
        self.max_package_size = max_package_size
        self.max_unpacked_size = max_unpacked_size

    def _now(self) -> int:
        return epoch_ms(self.clock)

    def _app(self, ctx: Ctx, permission: str | None = None) -> App:
        """The ``:appName`` app (404), checking ``permission`` when given (403)."""
        app = resolve_app(self.store, ctx.account.id, ctx.params["appName"])
        if permission is not None:
            require_permission(app, ctx.account, permission)
        return app

    def _app_and_deployment(self, ctx: Ctx, permission: str) -> tuple[App, Deployment]:
        app = self._app(ctx, permission)
        return app, resolve_deployment(self.store, app, ctx.params["deploymentName"])
