"""Shared state, messages and helpers of the classic dialect's route modules."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .._clock import Clock, epoch_ms
from .._node import semver as _semver
from .._node.express_rate_limit import RateLimiter
from .._node.headers import location
from .._store import OWNER, Account, App, Deployment, Package, Store
from .wire import HTTPError

DEFAULT_ACCESS_KEY_TTL_MS = 60 * 24 * 60 * 60 * 1000
JSON_BODY_LIMIT = 10 * 1024
FORM_BODY_LIMIT = 100 * 1024
DEFAULT_DEPLOYMENTS = ("Production", "Staging")
PROTOTYPE_KEYS = ("__proto__", "constructor", "prototype")

MSG_INVALID_KEY = (
    'The session or access key being used is invalid, please run "code-push-standalone login" '
    "again. If you are on an older version of the CLI, you may need to run "
    '"code-push-standalone logout" first to clear the session cache.'
)
MSG_EXPIRED_KEY = (
    'The session or access key being used has expired, please run "code-push-standalone login" '
    "again. If you are on an older version of the CLI, you may need to run "
    '"code-push-standalone logout" first to clear the session cache.'
)
MSG_TOO_MANY = "Too many requests, please try again later."
MSG_NO_FILE = "A deployment package must include a file."
MSG_UNREGISTERED = "The specified e-mail address doesn't represent a registered user"
MSG_FINISH_ROLLOUT = (
    "Please update the previous release to 100% rollout before releasing a new package."
)
MSG_IDENTICAL_RELEASE = (
    "The uploaded package was not released because it is identical to the contents of the "
    "specified deployment's current release."
)
MSG_IDENTICAL_PROMOTE = (
    "The uploaded package was not promoted because it is identical to the contents of the "
    "targeted deployment's current release."
)


@dataclass
class Ctx:
    """One authenticated request as the handlers see it (``extra_headers`` go on any answer)."""

    request: Request
    account: Account
    params: dict[str, str]
    body: dict[str, Any]
    client_ip: str
    extra_headers: dict[str, str] = field(default_factory=dict)

    @property
    def blobs(self) -> str:
        """Where blobs download from, on the address this request came to (so a release made
        in-process and then served, or served on another port, links to where it is)."""
        return blobs_url(self.request)


Handler = Callable[[Ctx], Awaitable[Response]]


def blobs_url(request: Request) -> str:
    """The prefix of blob downloads on the address ``request`` came to."""
    return str(request.base_url) + "blobs/"


def is_unfinished_rollout(rollout: int | None) -> bool:
    return bool(rollout) and rollout != 100


def require_permission(app: App, account: Account, permission: str) -> None:
    held = app.permission_of(account.id)
    if held not in (OWNER, permission):
        raise HTTPError(403, f"This action requires {permission} permissions on the app!")


def try_json(text_value: str) -> object:
    def reject(constant: str) -> object:
        raise ValueError(constant)

    try:
        return json.loads(text_value, parse_constant=reject)
    except ValueError:
        return None


def package_from_label(history: list[Package], label: str) -> Package | None:
    for pkg in reversed(history):
        if pkg.label == label:
            return pkg
    return None


def last_hash_same_app_version(history: list[Package], app_version: str) -> str | None:
    """The hash a new release for ``app_version`` must differ from (the server's identical rule)."""
    if not history:
        return None
    last = history[-1]
    if _semver.valid(app_version) is None:
        same = _semver.valid_range(last.app_version) == _semver.valid_range(app_version)
        return last.package_hash if same else None
    for pkg in reversed(history):
        if _semver.satisfies(app_version, pkg.app_version):
            return pkg.package_hash
    return None


def resolve_app(store: Store, account_id: str, name: str) -> App:
    """The caller's app by (display) name, else 404 -- shared by both dialects."""
    app = store.resolve_app(account_id, name)
    if app is None:
        raise HTTPError(404, f'App "{name}" does not exist.')
    return app


def resolve_deployment(store: Store, app: App, name: str) -> Deployment:
    """The app's deployment by name, else 404 -- shared by both dialects."""
    deployment = store.find_deployment(app.id, name)
    if deployment is None:
        raise HTTPError(404, f'Deployment "{name}" does not exist.')
    return deployment


def owns_app_named(store: Store, account_id: str, name: object) -> bool:
    """Whether the account owns an app of this name (app names are unique per owner)."""
    return any(
        app.name == name and app.is_owned_by(account_id) for app in store.apps_of(account_id)
    )


def deployment_names(store: Store, app: App) -> list[str]:
    return [d.name for d in store.deployments_of(app.id)]


def request_client_ip(request: Request) -> str:
    for header in (
        "x-client-ip",
        "x-forwarded-for",
        "x-real-ip",
        "x-cluster-client-ip",
        "x-forwarded",
        "forwarded-for",
        "forwarded",
    ):
        value = request.headers.get(header)
        if value:
            return value.split(",")[0]
    return request.client.host if request.client else "Unknown"


def socket_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class ClassicBase:
    """State and lookups every classic route group uses."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        rate_limit: int | None,
        rate_limit_window: float,
        max_package_size: int,
        max_unpacked_size: int,
    ) -> None:
        self.store = store
        self.clock = clock
        self.max_package_size = max_package_size
        self.max_unpacked_size = max_unpacked_size
        self.release_limiter: RateLimiter | None = None
        self.auth_limiter: RateLimiter | None = None
        if rate_limit is not None:
            self.release_limiter = RateLimiter(rate_limit, rate_limit_window, clock)
            self.auth_limiter = RateLimiter(rate_limit, rate_limit_window, clock)

    def _now(self) -> int:
        return epoch_ms(self.clock)

    def _resolve_app(self, ctx: Ctx, name: str | None = None) -> App:
        return resolve_app(
            self.store, ctx.account.id, ctx.params["appName"] if name is None else name
        )

    def _resolve_deployment(self, app: App, name: str) -> Deployment:
        return resolve_deployment(self.store, app, name)

    def _app_and_deployment(self, ctx: Ctx, permission: str) -> tuple[App, Deployment]:
        app = self._resolve_app(ctx)
        require_permission(app, ctx.account, permission)
        return app, self._resolve_deployment(app, ctx.params["deploymentName"])

    def _deployment_names(self, app: App) -> list[str]:
        return deployment_names(self.store, app)

    def _owns_app_named(self, account_id: str, name: object) -> bool:
        return owns_app_named(self.store, account_id, name)

    @staticmethod
    def _deployment_location(ctx: Ctx, deployment_name: str | None = None) -> str:
        """The ``Location`` of the request's deployment (or of ``deployment_name``)."""
        name = ctx.params["deploymentName"] if deployment_name is None else deployment_name
        return location("apps", ctx.params["appName"], "deployments", name)

    @staticmethod
    def _package_info_body(ctx: Ctx) -> dict[str, Any]:
        info = ctx.body.get("packageInfo")
        return info if isinstance(info, dict) else {}
