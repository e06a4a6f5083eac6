"""The one module that talks to an HTTP library: sends ``WireRequest``s, returns ``WireResponse``s.

Everything else in the client speaks the wire layer's types. The backend (``aiohttp``,
``httpx``, or its maintained fork ``httpx2`` with the same API) is imported when the first
client is built, so ``import codepush_async`` stays cheap and only the chosen one is loaded.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import math
import sys
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeAlias, Union
from urllib.parse import urlsplit

import anyio
import sniffio

from .._exceptions import APIConnectionError, APITimeoutError, ResponseDecodeError
from .._wire.codec import StreamingContent, WireRequest, WireResponse
from .timeouts import Timeouts

if TYPE_CHECKING:
    import aiohttp
    import httpx
    import httpx2

__all__ = [
    "BACKENDS",
    "AsyncBaseTransport",
    "AsyncHTTPClient",
    "Backend",
    "HttpSession",
    "StreamedResponse",
    "resolve_backend",
]

BACKENDS = ("aiohttp", "httpx2", "httpx")
"""Every backend, fastest first."""
_AUTO_ORDER = BACKENDS  # the order ``backend="auto"`` tries them in (a test suite narrows it)

AsyncBaseTransport: TypeAlias = Union[
    "httpx.AsyncBaseTransport", "httpx2.AsyncBaseTransport", "aiohttp.BaseConnector"
]
AsyncHTTPClient: TypeAlias = Union[
    "httpx.AsyncClient", "httpx2.AsyncClient", "aiohttp.ClientSession"
]

_URL_CACHE_SIZE = 512
_DOWNLOAD_CHUNK = 64 * 1024
# aiohttp's default (8 KiB) refuses a Location naming the longest names a server accepts.
_MAX_HEADER_LINE = 64 * 1024
_EXTRAS = {
    "aiohttp": "codepush-async[aiohttp]", "httpx2": "codepush-async[httpx2]", "httpx": "httpx"
}
# The transport and client classes of each backend: what a caller's object is checked against.
_CLASSES = {
    "aiohttp": ("BaseConnector", "ClientSession"),
    "httpx": ("AsyncBaseTransport", "AsyncClient"),
    "httpx2": ("AsyncBaseTransport", "AsyncClient"),
}


def _not_sent(name: str, module: Any) -> tuple[type[Exception], ...]:
    """The failures where the request provably never reached the server: raised before a byte
    of it was written (connecting, resolving, a TLS handshake, waiting for the pool)."""
    if name == "aiohttp":
        # Not ServerDisconnectedError or ClientOSError: they also end a request whose body
        # went out, and a keep-alive connection the server closed looks the same.
        return (
            module.ClientConnectorError,  # DNS, refused, TLS, proxy unreachable
            module.ConnectionTimeoutError,  # connect or pool timeout
            module.ClientHttpProxyError,  # the proxy refused the tunnel
            module.InvalidURL,
            module.NonHttpUrlClientError,
        )
    return (module.ConnectError, module.ConnectTimeout, module.PoolTimeout,
            module.UnsupportedProtocol)


class Backend:
    """One HTTP library: its module, version and the exception classes the session maps."""

    def __init__(self, name: str, module: Any) -> None:
        self.name = name
        self.module = module
        self.version: str = module.__version__
        self.not_sent: tuple[type[Exception], ...] = _not_sent(name, module)

    def __repr__(self) -> str:
        return f"<Backend {self.name} {self.version}>"


_loaded: dict[str, Backend] = {}


def _owners(obj: object) -> list[str]:
    """The backends whose transport or client class ``obj`` is an instance of, fastest first."""
    found = []
    for name in BACKENDS:
        module = sys.modules.get(name)  # an object of a backend means it is imported
        if module is None:
            continue
        if isinstance(obj, tuple(getattr(module, kind) for kind in _CLASSES[name])):
            found.append(name)
    return found


def _load(name: str) -> Backend:
    backend = _loaded.get(name)
    if backend is None:
        try:
            module = importlib.import_module(name)
        except ImportError:
            raise ImportError(
                f"backend={name!r} needs the {name} package, which is not installed "
                f"(pip install '{_EXTRAS[name]}')"
            ) from None
        backend = _loaded[name] = Backend(name, module)
    return backend


def _installed(name: str) -> bool:
    return name in _loaded or importlib.util.find_spec(name) is not None


def _under_trio() -> bool:
    try:
        return sniffio.current_async_library() == "trio"
    except sniffio.AsyncLibraryNotFoundError:  # built outside any event loop
        return False


def _fastest(proxy: object) -> str:
    """The fastest installed backend that can use ``proxy`` and the running event loop
    (aiohttp speaks no SOCKS and runs on asyncio only)."""
    for name in _AUTO_ORDER:
        if name == "aiohttp" and (_is_socks(proxy) or _under_trio()):
            continue
        if _installed(name):
            return name
    return "httpx"


def resolve_backend(backend: str, given: object = None, proxy: object = None) -> Backend:
    """The backend for ``backend`` ("auto", "aiohttp", "httpx" or "httpx2") and a caller's
    transport/client.

    ``auto`` follows ``given`` when it belongs to a backend, else picks the fastest installed:
    aiohttp, then httpx2, then httpx.
    """
    if backend not in ("auto", *BACKENDS):
        raise ValueError(
            f"backend must be 'auto', 'aiohttp', 'httpx' or 'httpx2', got {backend!r}"
        )
    owners = _owners(given) if given is not None else []
    if backend == "auto":
        backend = owners[0] if owners else _fastest(proxy)
    elif owners and backend not in owners:
        raise ValueError(
            f"backend={backend!r} was asked for, but the transport/http_client given is "
            f"a {owners[0]} object; pass one of {backend}'s or backend={owners[0]!r}"
        )
    return _load(backend)


def _has_userinfo(text: str) -> bool:
    try:
        return "@" in urlsplit(text).netloc
    except ValueError:
        return "@" in text


def _server_url_text(server_url: object) -> str:
    """``server_url`` stripped, refused before parsing when empty or carrying user info."""
    if not isinstance(server_url, str) or not server_url.strip():
        raise ValueError("server_url must be a non-empty URL such as 'https://codepush.example.com'")
    text = server_url.strip()
    if _has_userinfo(text):  # checked first: no message below may echo it
        raise ValueError(
            "server_url must not carry user info ('user:password@'): the access key is "
            "the credential, sent as a Bearer token"
        )
    return text


def _check_parsed(scheme: str, host: str | None, query: str, fragment: str, text: str) -> None:
    if scheme not in ("http", "https") or not host:
        raise ValueError(f"server_url must be an http(s) URL with a host, got {text!r}")
    if query or fragment:
        raise ValueError("server_url must not carry a query or fragment")


def _check_type(value: Any, expected: type, arg: str, example: str) -> None:
    if value is not None and not isinstance(value, expected):
        raise TypeError(f"{arg} must be {example} or None, got {type(value).__name__}")


def _proxy_scheme(text: str) -> str:
    try:
        return urlsplit(text).scheme.lower()
    except ValueError:
        return ""


def _is_socks(proxy: object) -> bool:
    return isinstance(proxy, str) and _proxy_scheme(proxy).startswith("socks")


def _check_proxy_text(proxy: object, schemes: tuple[str, ...], expected: str) -> None:
    if not isinstance(proxy, str):
        raise TypeError(f"proxy must be a URL string or None, got {type(proxy).__name__}")
    if _proxy_scheme(proxy) not in schemes:
        raise ValueError(f"proxy must be {expected} URL")


class StreamedResponse:
    """A response whose body is read chunk by chunk (a download): memory stays flat."""

    def __init__(
        self, status_code: int, headers: dict[str, str], chunks: AsyncIterator[bytes]
    ) -> None:
        self.status_code = status_code
        self.headers = headers
        self.chunks = chunks


def _download_request(url: str) -> WireRequest:
    """What errors of a download name: the URL without its query (it may hold a token)."""
    return WireRequest(operation="download", method="GET", path=url.split("?", 1)[0])


class _Session:
    """What both kinds of session share: telling a request that went out from one that did not."""

    _not_sent: tuple[type[Exception], ...] = ()

    def _failed(
        self, cls: type[APIConnectionError], request: WireRequest, exc: BaseException
    ) -> APIConnectionError:
        """The error of ``request`` left with no response by ``exc``, saying if it went out."""
        return _connection_error(cls, request, exc, self._not_sent)


class _HttpxSession(_Session):
    """A pooled httpx (or httpx2) ``AsyncClient``: ours, or the caller's, which we never close."""

    def __init__(
        self, backend: Backend, server_url: str, transport: Any, http_client: Any, proxy: Any
    ) -> None:
        module, name = backend.module, backend.name
        self._module = module
        self._not_sent = backend.not_sent
        self._base = self._parse(server_url)
        _check_type(transport, module.AsyncBaseTransport, "transport",
                    f"an {name}.AsyncBaseTransport (e.g. {name}.AsyncHTTPTransport)")
        _check_type(http_client, module.AsyncClient, "http_client", f"an {name}.AsyncClient")
        if proxy is not None and not isinstance(proxy, (module.Proxy, module.URL)):
            _check_proxy_text(proxy, ("http", "https", "socks5", "socks5h"),
                              "an http://, https:// or socks5://")
        self.base_path = self._base.raw_path.decode("ascii").rstrip("/")
        self._timeout_for: tuple[Timeouts, Any] | None = None
        self._owns_client = http_client is None
        self._client: Any = http_client or module.AsyncClient(
            transport=transport,
            proxy=proxy,
            follow_redirects=False,
        )

    def _parse(self, server_url: str) -> Any:
        text = _server_url_text(server_url)
        try:
            url = self._module.URL(text)
        except self._module.InvalidURL as exc:
            raise ValueError(f"server_url is not a valid URL: {exc}") from None
        _check_parsed(url.scheme, url.host, url.query, url.fragment, text)
        return url

    @property
    def server_url(self) -> str:
        return str(self._base)

    @property
    def is_closed(self) -> bool:
        return bool(self._client.is_closed)

    def make_url(self, path: str) -> Any:
        return self._base.copy_with(raw_path=(self.base_path + path).encode("ascii"))

    def _timeout(self, timeouts: Timeouts) -> Any:
        cached = self._timeout_for
        if cached is not None and cached[0] is timeouts:
            return cached[1]
        timeout = self._module.Timeout(
            connect=timeouts.connect, read=timeouts.read, write=timeouts.write, pool=timeouts.pool
        )
        self._timeout_for = (timeouts, timeout)
        return timeout

    async def send(self, request: WireRequest, url: Any, timeouts: Timeouts) -> WireResponse:
        """Send ``request`` and read the whole answer, mapping transport failures to 504s."""
        module = self._module
        body = request.content
        http_request = self._client.build_request(
            request.method,
            url,
            headers=request.headers,
            content=body if isinstance(body, bytes) else body.stream(),
            timeout=self._timeout(timeouts),
        )
        response: Any = None
        try:
            response = await self._client.send(http_request, stream=True)
            try:
                content = await response.aread()
            finally:
                await response.aclose()
        except module.TimeoutException as exc:
            raise self._failed(APITimeoutError, request, exc) from _bare(exc)
        except module.TransportError as exc:
            raise self._failed(APIConnectionError, request, exc) from _bare(exc)
        except module.DecodingError as exc:  # e.g. Content-Encoding: gzip over plain bytes
            headers = None if response is None else response.headers
            status = None if response is None else response.status_code
            raise _undecodable(headers, status, exc) from _bare(exc)
        except module.TooManyRedirects as exc:  # a caller's client that follows redirects
            raise self._failed(APIConnectionError, request, exc) from _bare(exc)
        return WireResponse(
            status_code=response.status_code,
            headers={k.lower(): v for k, v in response.headers.items()},
            content=content,
        )

    @asynccontextmanager
    async def stream_get(
        self, url: str, headers: dict[str, str], timeouts: Timeouts
    ) -> AsyncIterator[StreamedResponse]:
        """GET the absolute ``url`` (redirects followed), its body streamed."""
        module = self._module
        request = _download_request(url)
        try:
            http_request = self._client.build_request(
                "GET", url, headers=headers, timeout=self._timeout(timeouts)
            )
            response = await self._client.send(http_request, stream=True, follow_redirects=True)
        except module.InvalidURL as exc:
            raise ValueError(f"the download URL is not valid: {exc}") from None
        except (module.TransportError, module.TooManyRedirects) as exc:
            raise self._failed(_error_class(module, exc), request, exc) from _bare(exc)
        try:
            yield StreamedResponse(
                response.status_code,
                {k.lower(): v for k, v in response.headers.items()},
                self._chunks(response, request),
            )
        finally:
            await response.aclose()

    async def _chunks(self, response: Any, request: WireRequest) -> AsyncIterator[bytes]:
        module = self._module
        try:
            async for chunk in response.aiter_bytes(_DOWNLOAD_CHUNK):
                yield chunk
        except (module.TransportError, module.DecodingError) as exc:
            raise self._failed(_error_class(module, exc), request, exc) from _bare(exc)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()


class _WriteDeadline:
    """The body's chunks, each to be written within ``seconds``: aiohttp has no write timeout.

    Pulling the next chunk means the last one was handed to the socket; the scope's deadline
    moves with each pull and is lifted once the body is out (the read timeout takes over).
    """

    def __init__(self, body: StreamingContent, seconds: float | None, scope: anyio.CancelScope):
        self._body = body
        self._seconds = math.inf if seconds is None else seconds
        self._scope = scope
        self.error: Exception | None = None
        """What the body itself raised (a file changed mid-upload): aiohttp would wrap it."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._body.stream():
                self._scope.deadline = anyio.current_time() + self._seconds
                yield chunk
        except Exception as exc:
            self.error = exc
            raise
        self._scope.deadline = math.inf


class _AiohttpSession(_Session):
    """An aiohttp ``ClientSession``: ours (opened on first use, inside the event loop), or the
    caller's, which we never close."""

    def __init__(
        self, backend: Backend, server_url: str, transport: Any, http_client: Any, proxy: Any
    ) -> None:
        module = backend.module
        self._module = module
        self._not_sent = backend.not_sent
        self._yarl = importlib.import_module("yarl")
        self._base = self._parse(server_url)
        _check_type(transport, module.BaseConnector, "transport",
                    "an aiohttp.BaseConnector (e.g. aiohttp.TCPConnector)")
        _check_type(http_client, module.ClientSession, "http_client", "an aiohttp.ClientSession")
        if proxy is not None:
            _check_proxy_text(proxy, ("http", "https"), "an http:// or https://")
        self._given_proxy: str | None = proxy
        self._proxy: str | None = proxy or _env_proxy(self._base.scheme, self._base.host)
        self.base_path = self._base.raw_path.rstrip("/")
        self._origin = str(self._base.origin())
        self._connector = transport
        self._timeout_for: tuple[Timeouts, Any] | None = None
        self._owns_client = http_client is None
        self._closed = False
        self._client: Any = http_client
        if http_client is not None:
            _no_silent_resend(http_client)

    def _parse(self, server_url: str) -> Any:
        text = _server_url_text(server_url)
        try:
            url = self._yarl.URL(text)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"server_url is not a valid URL: {exc}") from None
        _check_parsed(url.scheme, url.raw_host, url.raw_query_string, url.raw_fragment, text)
        return url

    @property
    def server_url(self) -> str:
        return str(self._base)

    @property
    def is_closed(self) -> bool:
        return self._closed if self._client is None else bool(self._client.closed)

    def make_url(self, path: str) -> Any:
        return self._yarl.URL(self._origin + self.base_path + path, encoded=True)

    def _open(self) -> Any:
        """Our session, made on first use: aiohttp binds it to the running event loop."""
        if _under_trio():
            raise RuntimeError("backend='aiohttp' runs on asyncio only: use backend='httpx' "
                               "(or 'httpx2') under trio")
        module = self._module
        connector = self._connector or module.TCPConnector(limit=100, keepalive_timeout=5.0)
        # trust_env stays off: it would read ~/.netrc on every request and could replace the
        # Bearer header; the proxy from the environment was taken in __init__.
        client = module.ClientSession(
            connector=connector, trust_env=False,
            max_line_size=_MAX_HEADER_LINE, max_field_size=_MAX_HEADER_LINE,
        )
        _no_silent_resend(client)
        self._client = client
        return client

    def _timeout(self, timeouts: Timeouts) -> Any:
        cached = self._timeout_for
        if cached is not None and cached[0] is timeouts:
            return cached[1]
        pool, connect = timeouts.pool, timeouts.connect
        timeout = self._module.ClientTimeout(
            total=None,
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            sock_read=timeouts.read,
        )
        self._timeout_for = (timeouts, timeout)
        return timeout

    async def send(self, request: WireRequest, url: Any, timeouts: Timeouts) -> WireResponse:
        """Send ``request`` and read the whole answer, mapping transport failures to 504s."""
        client = self._client
        if client is None:
            if self._closed:
                raise RuntimeError("the client is closed")
            client = self._open()
        body = request.content
        if not isinstance(body, bytes):
            return await self._stream(client, request, url, body, timeouts)
        try:
            return await self._exchange(client, request, url, body or None, timeouts)
        except (asyncio.TimeoutError, self._module.ClientError) as exc:
            raise self._error(request, exc) from _bare(exc)

    async def _stream(
        self, client: Any, request: WireRequest, url: Any, body: StreamingContent,
        timeouts: Timeouts,
    ) -> WireResponse:
        """Send a streamed body, each chunk within the write timeout."""
        with anyio.CancelScope() as scope:
            data = _WriteDeadline(body, timeouts.write, scope)
            try:
                return await self._exchange(client, request, url, data, timeouts)
            except (asyncio.TimeoutError, self._module.ClientError) as exc:
                if data.error is None:
                    raise self._error(request, exc) from _bare(exc)
            raise _own(data.error)  # the body's own error (a file that changed), as httpx does
        raise _connection_error(  # the write deadline passed
            APITimeoutError, request, TimeoutError("writing the request body timed out"), ())

    async def _exchange(
        self, client: Any, request: WireRequest, url: Any, data: Any, timeouts: Timeouts
    ) -> WireResponse:
        async with client.request(
            request.method, url, headers=request.headers, data=data,
            timeout=self._timeout(timeouts), allow_redirects=False, proxy=self._proxy,
        ) as response:
            try:
                content = await response.read()
            except self._module.ClientPayloadError as exc:
                if _is_decoding(exc, self._module):
                    raise _undecodable(response.headers, response.status, exc) from _bare(exc)
                raise
        return WireResponse(
            status_code=response.status,
            headers=_joined(response.headers.items()),
            content=content,
        )

    def _error(self, request: WireRequest, exc: BaseException) -> APIConnectionError:
        cls = APITimeoutError if isinstance(exc, asyncio.TimeoutError) else APIConnectionError
        return self._failed(cls, request, exc)

    @asynccontextmanager
    async def stream_get(
        self, url: str, headers: dict[str, str], timeouts: Timeouts
    ) -> AsyncIterator[StreamedResponse]:
        """GET the absolute ``url`` (redirects followed), its body streamed."""
        client = self._client or self._open()
        try:
            parsed = self._yarl.URL(url, encoded=url.isascii())
        except (ValueError, TypeError) as exc:
            raise ValueError(f"the download URL is not valid: {exc}") from None
        request = _download_request(url)
        proxy = self._given_proxy or _env_proxy(parsed.scheme, parsed.host)
        try:
            response = await client.get(
                parsed, headers=headers, timeout=self._timeout(timeouts), proxy=proxy
            )
        except (asyncio.TimeoutError, self._module.ClientError) as exc:
            raise self._error(request, exc) from _bare(exc)
        try:
            yield StreamedResponse(
                response.status, _joined(response.headers.items()),
                self._chunks(response, request),
            )
        finally:
            response.release()

    async def _chunks(self, response: Any, request: WireRequest) -> AsyncIterator[bytes]:
        try:
            async for chunk in response.content.iter_chunked(_DOWNLOAD_CHUNK):
                yield chunk
        except (asyncio.TimeoutError, self._module.ClientError) as exc:
            raise self._error(request, exc) from _bare(exc)

    async def aclose(self) -> None:
        self._closed = True
        if self._owns_client:
            if self._client is not None:
                await self._client.close()
            elif self._connector is not None:
                await self._connector.close()


def _is_decoding(exc: BaseException, module: Any) -> bool:
    """``exc`` says the body's Content-Encoding could not be undone (not a cut-off body)."""
    cause = exc.__cause__
    return isinstance(cause, module.http_exceptions.ContentEncodingError) or (
        "content-encoding" in str(exc).lower()
    )


def _joined(items: Any) -> dict[str, str]:
    """Header names lower-cased, a repeated header's values joined with ", " (as httpx does)."""
    headers: dict[str, str] = {}
    for name, value in items:
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


def _no_silent_resend(client: Any) -> None:
    """Turn off aiohttp's own resend of a PUT/DELETE whose kept-alive connection dropped: the
    request loop decides every resend, and counts it."""
    if hasattr(client, "_retry_connection"):
        client._retry_connection = False


def _env_proxy(scheme: str, host: str | None) -> str | None:
    """The proxy ``HTTP(S)_PROXY`` names for the server unless ``NO_PROXY`` covers it, as httpx
    takes it (SOCKS ones are left out: aiohttp cannot use them)."""
    import urllib.request  # 40 ms to import: only aiohttp clients need it

    proxy = urllib.request.getproxies().get(scheme)
    if not proxy or _is_socks(proxy) or (host and urllib.request.proxy_bypass(host)):
        return None
    return proxy


class HttpSession:
    """The connections of one client, on its backend: sends requests, caches their URLs."""

    def __init__(
        self,
        server_url: str,
        *,
        backend: str = "auto",
        transport: AsyncBaseTransport | None = None,
        http_client: AsyncHTTPClient | None = None,
        proxy: str | None = None,
    ) -> None:
        if http_client is not None and (transport is not None or proxy is not None):
            raise ValueError("pass either http_client or transport/proxy, not both")
        given = http_client if http_client is not None else transport
        self.backend = resolve_backend(backend, given, proxy)
        kind = _AiohttpSession if self.backend.name == "aiohttp" else _HttpxSession
        self._session: _HttpxSession | _AiohttpSession = kind(
            self.backend, server_url, transport, http_client, proxy
        )
        self._urls: dict[str, Any] = {}

    @property
    def server_url(self) -> str:
        return self._session.server_url

    @property
    def is_closed(self) -> bool:
        return self._session.is_closed

    def url_for(self, path: str) -> Any:
        """The absolute URL of ``path``, parsed once and reused for later calls."""
        url = self._urls.get(path)
        if url is None:
            if len(self._urls) >= _URL_CACHE_SIZE:
                self._urls.clear()
            url = self._urls[path] = self._session.make_url(path)
        return url

    async def send(self, request: WireRequest, timeouts: Timeouts) -> WireResponse:
        """Send ``request`` and read the whole answer; a failure with no answer raises
        ``APIConnectionError`` (``APITimeoutError``), saying whether the request went out."""
        return await self._session.send(request, self.url_for(request.path), timeouts)

    def stream_get(
        self, url: str, headers: dict[str, str], timeouts: Timeouts
    ) -> AbstractAsyncContextManager[StreamedResponse]:
        """GET an absolute ``url`` (a package's blob, on any host), its body streamed in
        chunks; a failure with no response raises ``APIConnectionError``."""
        return self._session.stream_get(url, headers, timeouts)

    async def aclose(self) -> None:
        await self._session.aclose()


def _error_class(module: Any, exc: BaseException) -> type[APIConnectionError]:
    return APITimeoutError if isinstance(exc, module.TimeoutException) else APIConnectionError


def _connection_error(
    cls: type[APIConnectionError],
    request: WireRequest,
    exc: BaseException,
    not_sent: tuple[type[Exception], ...],
) -> APIConnectionError:
    kind = type(exc).__name__
    detail = str(exc) or kind
    error = cls(f"{request.method} {request.path} failed with no response ({kind}): {detail}")
    error.request_sent = not isinstance(exc, not_sent)
    return error


def _undecodable(headers: Any, status: int | None, exc: BaseException) -> ResponseDecodeError:
    encoding = "" if headers is None else headers.get("content-encoding", "")
    return ResponseDecodeError(
        f"Unexpected response from the server: its body could not be decoded "
        f"(Content-Encoding {encoding!r}): {exc}",
        status,
    )


def _own(exc: Exception) -> Exception:
    """``exc``, raised by the body, without the library's error it was wrapped in."""
    exc.__context__ = None
    return exc


def _bare(exc: BaseException) -> BaseException:
    """``exc`` without its traceback: the library's frames hold the raw Authorization header."""
    return exc.with_traceback(None)
