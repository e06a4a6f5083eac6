"""The ``/api/v1`` dialect (docs/v1-wire.md): routing, authentication, rate limits, envelopes.

Every request but a blob download is authenticated and counted (by token, or by client address
when unauthenticated), and every such answer carries the ``X-RateLimit-*`` headers. Errors are
JSON envelopes; the business rules are the classic dialect's, shared.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from .._classic.base import Ctx, Handler, request_client_ip, socket_ip
from .._classic.wire import HTTPError, blob_response
from .._clock import Clock
from .._node.express_rate_limit import RateLimitResult
from .._node.express_routing import BadParam, Route, Router
from .._store import Account, Store
from .apps import AppRoutes
from .auth import authenticate
from .body import json_body
from .deployments import DeploymentRoutes
from .errors import MSG_INTERNAL, MSG_TOO_MANY, V1Error, invalid_parameter
from .limits import V1RateLimits
from .releases import ReleaseRoutes
from .tokens import TokenRoutes

logger = logging.getLogger("codepush_async.emulator")

API_PREFIX = "/api/v1"
_BODY_METHODS = ("POST", "PATCH", "PUT")


@dataclass(frozen=True)
class Endpoint:
    """A route's handler; ``multipart`` handlers read the body themselves (release upload)."""

    handler: Handler
    multipart: bool = False


class V1Dialect(TokenRoutes, AppRoutes, DeploymentRoutes, ReleaseRoutes):
    """Answers ``/api/v1`` requests from a ``Store``."""

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
        super().__init__(
            store,
            clock,
            max_package_size=max_package_size,
            max_unpacked_size=max_unpacked_size,
        )
        self.limits = V1RateLimits(rate_limit, rate_limit_window, clock)
        app = "/apps/:appName"
        dep = app + "/deployments/:deploymentName"
        routes: list[tuple[str, str, Endpoint]] = [
            ("POST", "/auth/tokens", Endpoint(self._create_token)),
            ("GET", "/auth/tokens", Endpoint(self._list_tokens)),
            ("DELETE", "/auth/tokens/:tokenName", Endpoint(self._revoke_token)),
            ("GET", "/apps", Endpoint(self._list_apps)),
            ("POST", "/apps", Endpoint(self._create_app)),
            ("PATCH", app, Endpoint(self._rename_app)),
            ("DELETE", app, Endpoint(self._delete_app)),
            ("GET", app + "/collaborators", Endpoint(self._list_collaborators)),
            ("POST", app + "/collaborators", Endpoint(self._add_collaborator)),
            ("DELETE", app + "/collaborators/:email", Endpoint(self._remove_collaborator)),
            ("GET", app + "/deployments", Endpoint(self._list_deployments)),
            ("POST", app + "/deployments", Endpoint(self._create_deployment)),
            ("PATCH", dep, Endpoint(self._rename_deployment)),
            ("DELETE", dep, Endpoint(self._delete_deployment)),
            ("POST", dep + "/release", Endpoint(self._release, multipart=True)),
            ("GET", dep + "/releases", Endpoint(self._list_releases)),
            ("PATCH", dep + "/releases/:label", Endpoint(self._patch_release)),
        ]
        self._router: Router[Endpoint] = Router([Route(m, p, e) for m, p, e in routes])
        self._blobs: Router[None] = Router([Route("GET", "/blobs/:blobId", None)])

    # Entry point

    async def __call__(self, request: Request) -> Response:
        """Answer one request; never raises (unexpected errors become a 500 envelope, with the
        rate-limit headers when they happen in a handler)."""
        try:
            response = await self._dispatch(request)
        except ClientDisconnect:
            response = V1Error(400, "The client left before its request body ended.").response()
        except Exception:
            logger.exception("codepush emulator: unhandled error")
            response = V1Error(500, MSG_INTERNAL).response()
        if request.method.upper() == "HEAD":
            response.body = b""
        return response

    async def _dispatch(self, request: Request) -> Response:
        method = request.method.upper()
        raw_path: bytes = request.scope.get("raw_path") or request.url.path.encode("utf-8")
        path = raw_path.split(b"?", 1)[0].decode("latin-1")
        blob = self._blob(method, path)
        if blob is not None:
            return blob
        try:
            account, key = authenticate(self.store, request, self._now())
        except V1Error as refused:
            limit = self.limits.hit(f"ip:{socket_ip(request)}", authenticated=False)
            response = _too_many(limit)
            if response is None:
                response = refused.response()
            return _with_limit_headers(response, limit)
        limit = self.limits.hit(f"token:{key.id}", authenticated=True)
        response = _too_many(limit)
        if response is None:
            response = await self._route(request, method, path, account)
        return _with_limit_headers(response, limit)

    def _blob(self, method: str, path: str) -> Response | None:
        """A package download (public, like a storage URL, and not rate limited)."""
        try:
            matched = self._blobs.match(method, path)
        except BadParam:
            return None
        if matched is None:
            return None
        response = blob_response(self.store.blobs, matched[1]["blobId"])
        return V1Error(404, "Blob not found.").response() if response is None else response

    async def _route(self, request: Request, method: str, path: str, account: Account) -> Response:
        try:
            matched = self._router.match(method, _api_path(path)) if _in_api(path) else None
            if matched is None:
                raise V1Error(404, f"There is no {method} {path} endpoint.")
            endpoint, params = matched[0].handler, matched[1]
            needs_json = method in _BODY_METHODS and not endpoint.multipart
            body = await json_body(request) if needs_json else {}
            ctx = Ctx(request, account, params, body, request_client_ip(request))
            return await endpoint.handler(ctx)
        except BadParam as exc:
            return invalid_parameter("path", str(exc)).response()
        except HTTPError as exc:
            return V1Error.from_rule(exc).response()
        except V1Error as exc:
            return exc.response()
        except ClientDisconnect:
            raise
        except Exception:
            logger.exception("codepush emulator: unhandled error")
            return V1Error(500, MSG_INTERNAL).response()


def _in_api(path: str) -> bool:
    head = path[: len(API_PREFIX)]
    return head.lower() == API_PREFIX and path[len(API_PREFIX) :][:1] in ("", "/")


def _api_path(path: str) -> str:
    return path[len(API_PREFIX) :] or "/"


def _too_many(limit: RateLimitResult | None) -> Response | None:
    """The 429 answer when the request is over its budget."""
    if limit is None or not limit.limited:
        return None
    return V1Error(429, MSG_TOO_MANY).response()


def _with_limit_headers(response: Response, limit: RateLimitResult | None) -> Response:
    if limit is not None:
        for name, value in limit.headers().items():
            response.headers[name] = value
    return response
