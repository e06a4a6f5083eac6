"""The one module that talks to httpx: sends ``WireRequest``s, returns ``WireResponse``s.

Everything else in the client speaks the wire layer's types, so swapping httpx for
its fork means editing this file alone.
"""

from __future__ import annotations

from typing import Any, TypeAlias
from urllib.parse import urlsplit

import httpx

from ._exceptions import APIConnectionError, APITimeoutError, ResponseDecodeError
from ._timeouts import Timeouts
from ._wire import WireRequest, WireResponse

__all__ = ["AsyncBaseTransport", "AsyncHTTPClient", "HttpSession", "httpx_version"]

AsyncBaseTransport: TypeAlias = httpx.AsyncBaseTransport
AsyncHTTPClient: TypeAlias = httpx.AsyncClient

httpx_version: str = httpx.__version__

# Failures where the request provably never reached the server.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def _has_userinfo(text: str) -> bool:
    try:
        return "@" in urlsplit(text).netloc
    except ValueError:
        return "@" in text


def _base_url(server_url: str) -> httpx.URL:
    if not isinstance(server_url, str) or not server_url.strip():
        raise ValueError("server_url must be a non-empty URL such as 'https://codepush.example.com'")
    if _has_userinfo(server_url.strip()):  # checked first: no message below may echo it
        raise ValueError(
            "server_url must not carry user info ('user:password@'): the access key is "
            "the credential, sent as a Bearer token"
        )
    try:
        url = httpx.URL(server_url.strip())
    except httpx.InvalidURL as exc:
        raise ValueError(f"server_url is not a valid URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"server_url must be an http(s) URL with a host, got {server_url!r}")
    if url.query or url.fragment:
        raise ValueError("server_url must not carry a query or fragment")
    return url


def _check_type(value: Any, expected: type, arg: str, example: str) -> None:
    if value is not None and not isinstance(value, expected):
        raise TypeError(f"{arg} must be {example} or None, got {type(value).__name__}")


def _check_proxy(proxy: Any) -> None:
    if proxy is None or isinstance(proxy, (httpx.Proxy, httpx.URL)):
        return
    if not isinstance(proxy, str):
        raise TypeError(f"proxy must be a URL string or None, got {type(proxy).__name__}")
    try:
        scheme = httpx.URL(proxy).scheme
    except httpx.InvalidURL:
        scheme = ""
    if scheme not in ("http", "https", "socks5", "socks5h"):
        raise ValueError("proxy must be an http://, https:// or socks5:// URL")


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
        _check_type(transport, httpx.AsyncBaseTransport, "transport",
                    "an httpx.AsyncBaseTransport (e.g. httpx.AsyncHTTPTransport)")
        _check_type(http_client, httpx.AsyncClient, "http_client", "an httpx.AsyncClient")
        _check_proxy(proxy)
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
        response: httpx.Response | None = None
        try:
            response = await self._client.send(http_request, stream=True)
            try:
                content = await response.aread()
            finally:
                await response.aclose()
        except httpx.TimeoutException as exc:
            raise _connection_error(APITimeoutError, request, exc) from _bare(exc)
        except httpx.TransportError as exc:
            raise _connection_error(APIConnectionError, request, exc) from _bare(exc)
        except httpx.DecodingError as exc:  # e.g. Content-Encoding: gzip over plain bytes
            raise _undecodable(response, exc) from _bare(exc)
        except httpx.TooManyRedirects as exc:  # a caller's client that follows redirects
            raise _connection_error(APIConnectionError, request, exc) from _bare(exc)
        assert response is not None
        return WireResponse(
            status_code=response.status_code,
            headers={k.lower(): v for k, v in response.headers.items()},
            content=content,
        )

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()


def _undecodable(response: httpx.Response | None, exc: httpx.DecodingError) -> ResponseDecodeError:
    encoding = "" if response is None else response.headers.get("content-encoding", "")
    return ResponseDecodeError(
        f"Unexpected response from the server: its body could not be decoded "
        f"(Content-Encoding {encoding!r}): {exc}",
        None if response is None else response.status_code,
    )


def _bare(exc: BaseException) -> BaseException:
    """``exc`` without its traceback: httpx's frames hold the raw Authorization header."""
    return exc.with_traceback(None)


def _connection_error(
    cls: type[APIConnectionError], request: WireRequest, exc: httpx.HTTPError
) -> APIConnectionError:
    kind = type(exc).__name__
    detail = str(exc) or kind
    error = cls(f"{request.method} {request.path} failed with no response ({kind}): {detail}")
    error.request_sent = not isinstance(exc, _NOT_SENT)
    return error
