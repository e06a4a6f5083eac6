"""``AsyncCodePush``: the client users hold, owning one pooled HTTP session."""

from __future__ import annotations

import logging
import platform
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from ._aliases import FlatAliases
from ._clock import Clock, SystemClock
from ._dialects import get_dialect
from ._errors import error_from_response
from ._exceptions import CodePushError, _StatusConstants
from ._package import DEFAULT_MAX_PACKAGE_SIZE
from ._progress import StreamingContent
from ._resources._base import Answer
from ._resources.account import AccountResource
from ._resources.apps import AppsResource
from ._resources.collaborators import CollaboratorsResource
from ._resources.deployments import DeploymentsResource
from ._resources.releases import ReleasesResource
from ._resources.tokens import TokensResource
from ._transport import (
    DEFAULT_TIMEOUT,
    AsyncBaseTransport,
    AsyncHTTPClient,
    HttpSession,
    TimeoutTypes,
    httpx_version,
)
from ._validate import check_access_key, check_size_limit
from ._version import __version__
from ._wire import build_request, route_for, unwrap_response

__all__ = ["AsyncCodePush"]

logger = logging.getLogger("codepush_async")

ACCEPT = "application/vnd.code-push.v2+json"
USER_AGENT = (
    f"codepush-async/{__version__} "
    f"({platform.python_implementation()} {platform.python_version()}; httpx {httpx_version})"
)


class AsyncCodePush(_StatusConstants, FlatAliases):
    """An asyncio client for a CodePush management server.

    Use it as ``async with AsyncCodePush(key, server_url) as cp:`` (or call
    ``aclose()``); the access key is never printed, logged or put in an error.
    """

    def __init__(
        self,
        access_key: str,
        server_url: str = "http://localhost:3000",
        *,
        dialect: str = "classic",
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        transport: AsyncBaseTransport | None = None,
        http_client: AsyncHTTPClient | None = None,
        proxy: str | None = None,
        headers: Mapping[str, str] | None = None,
        clock: Clock | None = None,
        max_package_size: int = DEFAULT_MAX_PACKAGE_SIZE,
    ) -> None:
        self._access_key = check_access_key(access_key)
        self.max_package_size = check_size_limit(max_package_size)
        self._dialect = get_dialect(dialect)
        self._clock: Clock = clock or SystemClock()
        self._http = HttpSession(
            server_url, timeout=timeout, transport=transport, http_client=http_client, proxy=proxy
        )
        self._headers = {
            **dict(headers or {}),
            "Accept": ACCEPT,
            "User-Agent": USER_AGENT,
            "X-CodePush-SDK-Version": __version__,
            "Authorization": f"Bearer {self._access_key}",
        }
        self.tokens = TokensResource(self)
        self.apps = AppsResource(self)
        self.collaborators = CollaboratorsResource(self)
        self.deployments = DeploymentsResource(self)
        self.releases = ReleasesResource(self)
        self.account = AccountResource(self)

    @property
    def server_url(self) -> str:
        return self._http.server_url

    @property
    def dialect(self) -> str:
        return self._dialect.name

    def __repr__(self) -> str:
        return f"AsyncCodePush(server_url={self.server_url!r}, dialect={self.dialect!r})"

    async def __aenter__(self) -> AsyncCodePush:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pooled connections (a caller-supplied ``http_client`` is left open)."""
        await self._http.aclose()

    def _now(self) -> float:
        return self._clock.now()

    async def _call(
        self,
        operation: str,
        params: Mapping[str, str | None] | None = None,
        body: Mapping[str, Any] | None = None,
        *,
        stream: StreamingContent | None = None,
    ) -> Answer:
        route = route_for(self._dialect, operation)
        request = build_request(
            self._dialect, operation, params, body, headers=self._headers, stream=stream
        )
        if self._http.is_closed:
            raise CodePushError("This AsyncCodePush client is closed; create a new one.", 500)
        started = time.monotonic()
        response = await self._http.send(request)
        logger.debug(
            "%s %s -> %s in %.3fs",
            request.method,
            request.path,
            response.status_code,
            time.monotonic() - started,
        )
        if not 200 <= response.status_code < 300:
            raise error_from_response(
                response,
                error_format=self._dialect.error_format,
                now=self._clock.now(),
                secrets=(self._access_key,),
            )
        value = unwrap_response(route, response)
        return Answer(value, f"$.{route.unwrap}", response.status_code)
