"""The one module that talks to httpx: sends ``WireRequest``s, returns ``WireResponse``s.

Everything else in the client speaks the wire layer's types, so swapping httpx for
its fork means editing this file alone.
"""

from __future__ import annotations

from typing import TypeAlias

import httpx

from ._exceptions import APIConnectionError, APITimeoutError
from ._timeouts import Timeouts
from ._wire import WireRequest, WireResponse

__all__ = ["AsyncBaseTransport", "AsyncHTTPClient", "HttpSession", "httpx_version"]

AsyncBaseTransport: TypeAlias = httpx.AsyncBaseTransport
AsyncHTTPClient: TypeAlias = httpx.AsyncClient

httpx_version: str = httpx.__version__

# Failures where the request provably never reached the server.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def _base_url(server_url: str) -> httpx.URL:
    if not isinstance(server_url, str) or not server_url.strip():
        raise ValueError("server_url must be a non-empty URL such as 'https://codepush.example.com'")
    try:
        url = httpx.URL(server_url.strip())
    except httpx.InvalidURL as exc:
        raise ValueError(f"server_url is not a valid URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"server_url must be an http(s) URL with a host, got {server_url!r}")
    if url.query or url.fragment:
        raise ValueError("server_url must not carry a query or fragment")
    return url


class HttpSession:
    """A pooled ``httpx.AsyncClient`` (ours, or the caller's, which we then never close)."""

    def __init__(
        self,
        server_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        proxy: str | None = None,
    ) -> None:
        self._base = _base_url(server_url)
        self._base_path = self._base.raw_path.decode("ascii").rstrip("/")
        if http_client is not None and (transport is not None or proxy is not None):
            raise ValueError("pass either http_client or transport/proxy, not both")
        self._owns_client = http_client is None
        self._client = http_client or httpx.AsyncClient(
            transport=transport,
            proxy=proxy,
            follow_redirects=False,
        )

    @property
    def server_url(self) -> str:
        return str(self._base)

    @property
    def is_closed(self) -> bool:
        return self._client.is_closed

    def url_for(self, path: str) -> httpx.URL:
        return self._base.copy_with(raw_path=(self._base_path + path).encode("ascii"))

    async def send(self, request: WireRequest, timeouts: Timeouts) -> WireResponse:
        """Send ``request`` and read the whole answer, mapping transport failures to 504s."""
        url = self.url_for(request.path)
        body = request.content
        http_request = self._client.build_request(
            request.method,
            url,
            headers=list(request.headers),
            content=body if isinstance(body, bytes) else body.stream(),
            timeout=httpx.Timeout(
                connect=timeouts.connect,
                read=timeouts.read,
                write=timeouts.write,
                pool=timeouts.pool,
            ),
        )
        try:
            response = await self._client.send(http_request)
            try:
                content = await response.aread()
            finally:
                await response.aclose()
        except httpx.TimeoutException as exc:
            raise _connection_error(APITimeoutError, request, exc) from exc
        except httpx.TransportError as exc:
            raise _connection_error(APIConnectionError, request, exc) from exc
        return WireResponse(
            status_code=response.status_code,
            headers={k.lower(): v for k, v in response.headers.items()},
            content=content,
        )

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()


def _connection_error(
    cls: type[APIConnectionError], request: WireRequest, exc: httpx.TransportError
) -> APIConnectionError:
    kind = type(exc).__name__
    detail = str(exc) or kind
    error = cls(f"{request.method} {request.path} failed with no response ({kind}): {detail}")
    error.request_sent = not isinstance(exc, _NOT_SENT)
    return error
