"""The one module that talks to httpx or httpx2: sends ``WireRequest``s, returns ``WireResponse``s.

Everything else in the client speaks the wire layer's types. The backend (``httpx``, or its
maintained fork ``httpx2`` with the same API) is imported when the first client is built, so
``import codepush_async`` stays cheap and only the chosen one is loaded.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import TYPE_CHECKING, Any, TypeAlias, Union
from urllib.parse import urlsplit

from .._exceptions import APIConnectionError, APITimeoutError, ResponseDecodeError
from .._wire.codec import WireRequest, WireResponse
from .timeouts import Timeouts

if TYPE_CHECKING:
    import httpx
    import httpx2

__all__ = [
    "BACKENDS",
    "AsyncBaseTransport",
    "AsyncHTTPClient",
    "Backend",
    "HttpSession",
    "resolve_backend",
]

BACKENDS = ("httpx", "httpx2")

AsyncBaseTransport: TypeAlias = Union["httpx.AsyncBaseTransport", "httpx2.AsyncBaseTransport"]
AsyncHTTPClient: TypeAlias = Union["httpx.AsyncClient", "httpx2.AsyncClient"]

_URL_CACHE_SIZE = 512


class Backend:
    """One HTTP library: its module, version and the exception classes the session maps."""

    def __init__(self, name: str, module: Any) -> None:
        self.name = name
        self.module = module
        self.version: str = module.__version__
        # Failures where the request provably never reached the server.
        self.not_sent: tuple[type[Exception], ...] = (
            module.ConnectError,
            module.ConnectTimeout,
            module.PoolTimeout,
            module.UnsupportedProtocol,
        )

    def __repr__(self) -> str:
        return f"<Backend {self.name} {self.version}>"


_loaded: dict[str, Backend] = {}


def _owners(obj: object) -> list[str]:
    """The backends whose transport or client class ``obj`` is an instance of."""
    found = []
    for name in BACKENDS:
        module = sys.modules.get(name)  # an object of a backend means it is imported
        if module is not None and isinstance(obj, (module.AsyncBaseTransport, module.AsyncClient)):
            found.append(name)
    return found


def _load(name: str) -> Backend:
    backend = _loaded.get(name)
    if backend is None:
        try:
            module = importlib.import_module(name)
        except ImportError:
            extra = "codepush-async[httpx2]" if name == "httpx2" else "httpx"
            raise ImportError(
                f"backend={name!r} needs the {name} package, which is not installed "
                f"(pip install '{extra}')"
            ) from None
        backend = _loaded[name] = Backend(name, module)
    return backend


def resolve_backend(backend: str, given: object = None) -> Backend:
    """The backend for ``backend`` ("auto", "httpx" or "httpx2") and a caller's transport/client.

    ``auto`` follows ``given`` when it belongs to one backend, else picks httpx2 when installed.
    """
    if backend not in ("auto", *BACKENDS):
        raise ValueError(f"backend must be 'auto', 'httpx' or 'httpx2', got {backend!r}")
    owners = _owners(given) if given is not None else []
    if backend == "auto":
        if len(owners) == 1:
            backend = owners[0]
        else:
            backend = "httpx2" if importlib.util.find_spec("httpx2") is not None else "httpx"
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


def _base_url(module: Any, server_url: str) -> Any:
    if not isinstance(server_url, str) or not server_url.strip():
        raise ValueError("server_url must be a non-empty URL such as 'https://codepush.example.com'")
    if _has_userinfo(server_url.strip()):  # checked first: no message below may echo it
        raise ValueError(
            "server_url must not carry user info ('user:password@'): the access key is "
            "the credential, sent as a Bearer token"
        )
    try:
        url = module.URL(server_url.strip())
    except module.InvalidURL as exc:
        raise ValueError(f"server_url is not a valid URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"server_url must be an http(s) URL with a host, got {server_url!r}")
    if url.query or url.fragment:
        raise ValueError("server_url must not carry a query or fragment")
    return url


def _check_type(value: Any, expected: type, arg: str, example: str) -> None:
    if value is not None and not isinstance(value, expected):
        raise TypeError(f"{arg} must be {example} or None, got {type(value).__name__}")


def _check_proxy(module: Any, proxy: Any) -> None:
    if proxy is None or isinstance(proxy, (module.Proxy, module.URL)):
        return
    if not isinstance(proxy, str):
        raise TypeError(f"proxy must be a URL string or None, got {type(proxy).__name__}")
    try:
        scheme = module.URL(proxy).scheme
    except module.InvalidURL:
        scheme = ""
    if scheme not in ("http", "https", "socks5", "socks5h"):
        raise ValueError("proxy must be an http://, https:// or socks5:// URL")


class HttpSession:
    """A pooled ``AsyncClient`` of the backend (ours, or the caller's, which we never close)."""

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
        self.backend = resolve_backend(backend, given)
        module, name = self.backend.module, self.backend.name
        self._module = module
        self._base = _base_url(module, server_url)
        _check_type(transport, module.AsyncBaseTransport, "transport",
                    f"an {name}.AsyncBaseTransport (e.g. {name}.AsyncHTTPTransport)")
        _check_type(http_client, module.AsyncClient, "http_client", f"an {name}.AsyncClient")
        _check_proxy(module, proxy)
        self._base_path = self._base.raw_path.decode("ascii").rstrip("/")
        self._urls: dict[str, Any] = {}
        self._timeout_for: tuple[Timeouts, Any] | None = None
        self._owns_client = http_client is None
        self._client: Any = http_client or module.AsyncClient(
            transport=transport,
            proxy=proxy,
            follow_redirects=False,
        )

    @property
    def server_url(self) -> str:
        return str(self._base)

    @property
    def is_closed(self) -> bool:
        return bool(self._client.is_closed)

    def url_for(self, path: str) -> Any:
        """The absolute URL of ``path``, parsed once and reused for later calls."""
        url = self._urls.get(path)
        if url is None:
            if len(self._urls) >= _URL_CACHE_SIZE:
                self._urls.clear()
            url = self._urls[path] = self._base.copy_with(
                raw_path=(self._base_path + path).encode("ascii")
            )
        return url

    def _timeout(self, timeouts: Timeouts) -> Any:
        cached = self._timeout_for
        if cached is not None and cached[0] is timeouts:
            return cached[1]
        timeout = self._module.Timeout(
            connect=timeouts.connect, read=timeouts.read, write=timeouts.write, pool=timeouts.pool
        )
        self._timeout_for = (timeouts, timeout)
        return timeout

    async def send(self, request: WireRequest, timeouts: Timeouts) -> WireResponse:
        """Send ``request`` and read the whole answer, mapping transport failures to 504s."""
        module = self._module
        body = request.content
        http_request = self._client.build_request(
            request.method,
            self.url_for(request.path),
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
            raise self._connection_error(APITimeoutError, request, exc) from _bare(exc)
        except module.TransportError as exc:
            raise self._connection_error(APIConnectionError, request, exc) from _bare(exc)
        except module.DecodingError as exc:  # e.g. Content-Encoding: gzip over plain bytes
            raise _undecodable(response, exc) from _bare(exc)
        except module.TooManyRedirects as exc:  # a caller's client that follows redirects
            raise self._connection_error(APIConnectionError, request, exc) from _bare(exc)
        return WireResponse(
            status_code=response.status_code,
            headers={k.lower(): v for k, v in response.headers.items()},
            content=content,
        )

    def _connection_error(
        self, cls: type[APIConnectionError], request: WireRequest, exc: Exception
    ) -> APIConnectionError:
        kind = type(exc).__name__
        detail = str(exc) or kind
        error = cls(f"{request.method} {request.path} failed with no response ({kind}): {detail}")
        error.request_sent = not isinstance(exc, self.backend.not_sent)
        return error

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()


def _undecodable(response: Any, exc: Exception) -> ResponseDecodeError:
    encoding = "" if response is None else response.headers.get("content-encoding", "")
    return ResponseDecodeError(
        f"Unexpected response from the server: its body could not be decoded "
        f"(Content-Encoding {encoding!r}): {exc}",
        None if response is None else response.status_code,
    )


def _bare(exc: BaseException) -> BaseException:
    """``exc`` without its traceback: the library's frames hold the raw Authorization header."""
    return exc.with_traceback(None)
