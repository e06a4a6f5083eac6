"""The classic management dialect of microsoft/code-push-server: routing, body parsing, auth."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from .._clock import Clock
from .._node.body_parser import read_limited
from .._node.express_query import form_body
from .._node.express_routing import BadParam, Route, Router
from .._store import Account, Store
from .accounts import AccountRoutes
from .acquisition import AcquisitionHandler, AcquisitionRoutes
from .apps import AppRoutes
from .base import (
    FORM_BODY_LIMIT,
    JSON_BODY_LIMIT,
    MSG_EXPIRED_KEY,
    MSG_INVALID_KEY,
    MSG_TOO_MANY,
    Ctx,
    Handler,
    request_client_ip,
    socket_ip,
    try_json,
)
from .releases import ReleaseRoutes
from .validation import is_valid_key
from .wire import (
    HTTPError,
    common_headers,
    express_not_found,
    json_response,
    send_status,
    text,
)

logger = logging.getLogger("codepush_async.emulator")


class ClassicDialect(AccountRoutes, AppRoutes, ReleaseRoutes, AcquisitionRoutes):
    """Answers classic-dialect requests from a ``Store``."""

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
            rate_limit=rate_limit,
            rate_limit_window=rate_limit_window,
            max_package_size=max_package_size,
            max_unpacked_size=max_unpacked_size,
        )
        app = "/apps/:appName"
        dep = app + "/deployments/:deploymentName"
        routes: list[tuple[str, str, Handler]] = [
            ("GET", "/account", self._get_account),
            ("GET", "/accessKeys", self._list_access_keys),
            ("POST", "/accessKeys", self._create_access_key),
            ("GET", "/accessKeys/:accessKeyName", self._get_access_key),
            ("PATCH", "/accessKeys/:accessKeyName", self._patch_access_key),
            ("DELETE", "/accessKeys/:accessKeyName", self._delete_access_key),
            ("DELETE", "/sessions/:createdBy", self._delete_sessions),
            ("GET", "/apps", self._list_apps),
            ("POST", "/apps", self._create_app),
            ("GET", app, self._get_app),
            ("DELETE", app, self._delete_app),
            ("PATCH", app, self._patch_app),
            ("POST", app + "/transfer/:email", self._transfer_app),
            ("POST", app + "/collaborators/:email", self._add_collaborator),
            ("GET", app + "/collaborators", self._list_collaborators),
            ("DELETE", app + "/collaborators/:email", self._remove_collaborator),
            ("GET", app + "/deployments", self._list_deployments),
            ("POST", app + "/deployments", self._create_deployment),
            ("GET", dep, self._get_deployment),
            ("DELETE", dep, self._delete_deployment),
            ("PATCH", dep, self._patch_deployment),
            ("PATCH", dep + "/release", self._patch_release),
            ("POST", dep + "/release", self._release),
            ("DELETE", dep + "/history", self._clear_history),
            ("GET", dep + "/history", self._history),
            ("GET", dep + "/metrics", self._metrics),
            (
                "POST",
                app + "/deployments/:sourceDeploymentName/promote/:destDeploymentName",
                self._promote,
            ),
            ("POST", dep + "/rollback/:targetRelease?", self._rollback),
        ]
        self._router: Router[Handler] = Router([Route(m, p, h) for m, p, h in routes])
        self._acquisition: Router[AcquisitionHandler] = Router(
            [Route(m, p, h) for m, p, h in self.acquisition_routes()]
        )
        self._public: Router[Callable[[Request, dict[str, str]], Awaitable[Response]]] = Router(
            [Route("GET", "/blobs/:blobId", self._get_blob)]
        )

    # Entry point

    async def __call__(self, request: Request) -> Response:
        """Answer one request; never raises (unexpected errors become a bare 500)."""
        try:
            response = await self._dispatch(request)
        except ClientDisconnect:
            response = send_status(400)  # the client left mid-body: nobody reads this
        except Exception:
            logger.exception("codepush emulator: unhandled error")
            response = send_status(500)
        if request.method.upper() == "HEAD":
            response.body = b""
        return response

    async def _dispatch(self, request: Request) -> Response:
        method = request.method.upper()
        raw_path: bytes = request.scope.get("raw_path") or request.url.path.encode("utf-8")
        path = raw_path.split(b"?", 1)[0].decode("latin-1")
        body = await self._json_body(request)
        if isinstance(body, Response):
            return body
        if method in ("GET", "HEAD") and path == "/":
            return text(200, "Welcome to the CodePush REST API!")
        headers = common_headers()
        response = await self._dispatch_api(request, method, path, body)
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response

    async def _dispatch_api(
        self, request: Request, method: str, path: str, body: object
    ) -> Response:
        if method == "OPTIONS":
            return send_status(204)
        acquisition = self._acquisition.match(method, path)
        if acquisition is not None:
            return await self.answer_acquisition(acquisition[0].handler, request, body)
        try:
            public = self._public.match(method, path)
            if public is not None:
                return await public[0].handler(request, public[1])
            if path.rstrip("/").lower() == "/authenticated" and method in ("GET", "HEAD"):
                return self._authenticated(request)
            account = self._authenticate(request)
            if isinstance(account, Response):
                return account
            matched = self._router.match(method, path)
        except BadParam as exc:
            return text(400, str(exc))
        if matched is None:
            query = request.url.query
            return express_not_found(method, path + (f"?{query}" if query else ""))
        route, params = matched
        fields = body if isinstance(body, dict) else {}
        ctx = Ctx(request, account, params, fields, request_client_ip(request))
        try:
            response = await route.handler(ctx)
        except HTTPError as exc:
            response = exc.response()
        for name, value in ctx.extra_headers.items():
            response.headers[name] = value
        return response

    async def _json_body(self, request: Request) -> object:
        """``req.body`` as body-parser leaves it: JSON (10 kB cap; an object or an array, None
        when unparsable, which the management routes read as ``{}``) or a URL-encoded form
        (100 kB cap); any other body is left unread (an upload is read by its route, after
        authentication) and reads as ``{}``. Over a cap: the 413 answer."""
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == "application/x-www-form-urlencoded":
            raw = await read_limited(request, FORM_BODY_LIMIT)
            if raw is None:
                return text(413, "request entity too large")
            return form_body(raw.decode("utf-8", "replace"))
        if content_type != "application/json":
            return {}
        raw = await read_limited(request, JSON_BODY_LIMIT)
        if raw is None:
            return text(413, "request entity too large")
        if not raw:
            return {}
        parsed = try_json(raw.decode("utf-8", "replace"))
        return parsed if isinstance(parsed, (dict, list)) else None

    # Authentication

    def _authenticated(self, request: Request) -> Response:
        limit_headers: dict[str, str] = {}
        if self.auth_limiter is not None:
            result = self.auth_limiter.hit(socket_ip(request))
            limit_headers = result.headers()
            if result.limited:
                return text(429, MSG_TOO_MANY, limit_headers)
        account = self._authenticate(request)
        if isinstance(account, Response):
            for name, value in limit_headers.items():
                account.headers[name] = value
            return account
        return json_response({"authenticated": True}, headers=limit_headers)

    def _authenticate(self, request: Request) -> Account | Response:
        token: str | None = None
        header = request.headers.get("authorization")
        if header:
            parts = header.split(" ")
            if len(parts) != 2:
                return text(401, MSG_INVALID_KEY)
            if parts[0].lower() == "bearer":
                token = parts[1]
        if token is None:
            token = request.query_params.get("access_token")
        if token is None or not is_valid_key(token):
            return text(401, MSG_INVALID_KEY)
        key = self.store.key_by_secret(token)
        account = None if key is None else self.store.accounts.get(key.account_id)
        if key is None or account is None:
            return text(401, MSG_INVALID_KEY)
        if self._now() >= key.expires:
            return text(401, MSG_EXPIRED_KEY)
        return account
