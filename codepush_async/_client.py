"""``AsyncCodePush``: the client users hold, owning one pooled HTTP session."""

from __future__ import annotations

import copy
import platform
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

import attrs

from ._aliases import FlatAliases
from ._core.clock import Clock, SystemClock
from ._core.headers import check_headers, merge_headers
from ._core.lifecycle import Lifecycle
from ._core.ratelimit import RateLimiter
from ._core.release_gate import ReleaseGate
from ._core.requester import Requester
from ._core.retry import DEFAULT_RETRY, RetryPolicy
from ._core.session import SessionState
from ._core.timeouts import DEFAULT_TIMEOUTS, Timeouts, to_timeouts
from ._core.transport import AsyncBaseTransport, AsyncHTTPClient, HttpSession
from ._exceptions import _StatusConstants
from ._models.secret import Secret, redacted
from ._release.package import DEFAULT_MAX_PACKAGE_SIZE
from ._resources.account import AccountResource
from ._resources.apps import AppsResource
from ._resources.collaborators import CollaboratorsResource
from ._resources.deployments import DeploymentsResource
from ._resources.devices import DevicesResource
from ._resources.releases import ReleasesResource
from ._resources.tokens import TokensResource
from ._version import __version__
from ._wire.dialects import get_dialect
from ._wire.flavors import FLAVORS, Flavor
from ._wire.validate import check_access_key, check_size_limit

if TYPE_CHECKING:
    from .lib.bulk import Bulk
    from .lib.fleet import DeviceFleet  # type: ignore[import-not-found, unused-ignore]
    from .lib.rollouts import Rollouts

__all__ = ["AsyncCodePush"]

ACCEPT = "application/vnd.code-push.v2+json"
_PLATFORM = f"{platform.python_implementation()} {platform.python_version()}"
_UNSET: Any = object()


def _check_retry(retry: Any) -> RetryPolicy | None:
    if retry is not None and not isinstance(retry, RetryPolicy):
        raise ValueError(f"retry must be a RetryPolicy or None, got {type(retry).__name__}")
    return retry


def _check_flavor(flavor: str) -> Flavor | None:
    """The flavor given, or ``None`` for ``"auto"`` (learned from the server's answers)."""
    if flavor not in FLAVORS:
        known = ", ".join(map(repr, FLAVORS))
        raise ValueError(f"flavor must be one of {known}, got {flavor!r}")
    return None if flavor == "auto" else cast(Flavor, flavor)


def _check_clock(clock: Any) -> Clock:
    if clock is None:
        return SystemClock()
    if not (callable(getattr(clock, "now", None)) and callable(getattr(clock, "sleep", None))):
        raise TypeError(
            "clock must be a Clock (an object with now() -> epoch seconds and "
            f"async sleep(seconds)) or None, got {type(clock).__name__}"
        )
    return cast(Clock, clock)


def _check_serialize(serialize_releases: Any) -> bool:
    if not isinstance(serialize_releases, bool):
        raise ValueError(
            f"serialize_releases must be a bool, got {type(serialize_releases).__name__}"
        )
    return serialize_releases


def _headers(extra: Mapping[str, str], access_key: Secret, http: HttpSession) -> dict[str, str]:
    """The SDK's headers for every request, under the caller's ``extra`` ones."""
    backend = http.backend
    return merge_headers(extra, {
        "Accept": ACCEPT,
        "User-Agent": f"codepush-async/{__version__} ({_PLATFORM}; {backend.name} "
                      f"{backend.version})",
        "X-CodePush-SDK-Version": __version__,
        "Authorization": Secret(f"Bearer {access_key}"),
    })


class Devices(DevicesResource):
    """``cp.devices``, with ``fleet()``: simulated devices (their module loads on first use)."""

    def __init__(self, requester: Requester, client: AsyncCodePush) -> None:
        super().__init__(requester)
        self._client = client

    def fleet(self, deployment_key: str, app_version: str, **options: Any) -> DeviceFleet:
        """A ``DeviceFleet`` of simulated devices on ``app_version`` (see its options)."""
        from .lib.fleet import DeviceFleet  # type: ignore[import-not-found, unused-ignore]

        return DeviceFleet(self._client, deployment_key, app_version, **options)


def _describe(server_url: str, dialect: str) -> str:
    return f"AsyncCodePush(server_url={server_url!r}, dialect={dialect!r})"


class AsyncCodePush(_StatusConstants, FlatAliases):
    """An asyncio client for a CodePush management server.

    Use it as ``async with AsyncCodePush(key, server_url) as cp:`` (or call
    ``aclose()``); the access key is never printed, logged or put in an error.
    ``backend`` is the HTTP library: ``"aiohttp"``, ``"httpx"``, ``"httpx2"``, or ``"auto"``
    (the one a given ``transport``/``http_client`` belongs to, else the fastest installed:
    aiohttp, httpx2, httpx).
    """

    def __init__(
        self,
        access_key: str,
        server_url: str = "http://localhost:3000",
        *,
        dialect: str = "classic",
        timeout: Timeouts | float | None = DEFAULT_TIMEOUTS,
        retry: RetryPolicy | None = DEFAULT_RETRY,
        backend: str = "auto",
        transport: AsyncBaseTransport | None = None,
        http_client: AsyncHTTPClient | None = None,
        proxy: str | None = None,
        headers: Mapping[str, str] | None = None,
        clock: Clock | None = None,
        max_package_size: int = DEFAULT_MAX_PACKAGE_SIZE,
        flavor: str = "auto",
        serialize_releases: bool = True,
    ) -> None:
        access_key = redacted(access_key)  # no plain copy in this frame's locals
        secret = Secret(check_access_key(access_key))
        max_package_size = check_size_limit(max_package_size)
        timeouts = to_timeouts(timeout)
        retry_policy = _check_retry(retry)
        wire_dialect = get_dialect(dialect)
        known_flavor = _check_flavor(flavor)
        checked_clock = _check_clock(clock)
        extra_headers = check_headers(headers)
        serialize = _check_serialize(serialize_releases)
        http = HttpSession(
            server_url, backend=backend, transport=transport, http_client=http_client, proxy=proxy
        )
        state = SessionState(
            http=http,
            dialect=wire_dialect,
            headers=_headers(extra_headers, secret, http),
            access_key=secret,
            clock=checked_clock,
            life=Lifecycle(_describe(http.server_url, wire_dialect.name),
                           owns_connections=http_client is None),
            release_gate=ReleaseGate(serialize),
            limiter=RateLimiter(checked_clock),
            flavor=known_flavor,
        )
        self._requester = Requester(
            state, timeouts=timeouts, retry_policy=retry_policy, max_package_size=max_package_size
        )
        self._bind_resources()

    def _bind_resources(self) -> None:
        requester = self._requester
        self.tokens = TokensResource(requester)
        self.apps = AppsResource(requester)
        self.collaborators = CollaboratorsResource(requester)
        self.deployments = DeploymentsResource(requester)
        self.releases = ReleasesResource(requester)
        self.account = AccountResource(requester)
        self.devices = Devices(requester, self)
        self._bulk: Bulk[AsyncCodePush] | None = None
        self._rollouts: Rollouts | None = None

    @property
    def bulk(self) -> Bulk[AsyncCodePush]:
        """``cp.bulk``: fleets, many apps at once (its module loads on first use)."""
        if self._bulk is None:
            from .lib.bulk import Bulk

            self._bulk = Bulk(self)
        return self._bulk

    @property
    def rollouts(self) -> Rollouts:
        """``cp.rollouts``: health-gated staged rollouts (its module loads on first use)."""
        if self._rollouts is None:
            from .lib.rollouts import Rollouts

            self._rollouts = Rollouts(self)
        return self._rollouts

    def with_options(
        self,
        *,
        timeout: Timeouts | float | None = _UNSET,
        retry: RetryPolicy | None = _UNSET,
        max_package_size: int = _UNSET,
    ) -> AsyncCodePush:
        """A view of this client with other options, sharing its connections and limits.

        For one call: ``await cp.with_options(timeout=5).apps.list()``. Close the original.
        """
        changes: dict[str, Any] = {}
        if timeout is not _UNSET:
            changes["timeouts"] = to_timeouts(timeout)
        if retry is not _UNSET:
            changes["retry_policy"] = _check_retry(retry)
        if max_package_size is not _UNSET:
            changes["max_package_size"] = check_size_limit(max_package_size)
        view = copy.copy(self)
        view._set_options(**changes)
        return view

    @property
    def timeouts(self) -> Timeouts:
        """The timeouts of this client's (or view's) calls."""
        return self._requester.timeouts

    @timeouts.setter
    def timeouts(self, value: Timeouts | float | None) -> None:
        self._set_options(timeouts=to_timeouts(value))

    @property
    def retry_policy(self) -> RetryPolicy | None:
        """How this client's (or view's) calls are retried; ``None``: never."""
        return self._requester.retry_policy

    @retry_policy.setter
    def retry_policy(self, value: RetryPolicy | None) -> None:
        self._set_options(retry_policy=_check_retry(value))

    @property
    def max_package_size(self) -> int:
        """The largest release package this client (or view) uploads, in bytes."""
        return self._requester.max_package_size

    @max_package_size.setter
    def max_package_size(self, value: int) -> None:
        self._set_options(max_package_size=check_size_limit(value))

    def _set_options(self, **changes: Any) -> None:
        """This client (or view) with checked new options; other views keep theirs."""
        self._requester = attrs.evolve(self._requester, **changes)
        self._bind_resources()

    @property
    def clock(self) -> Clock:
        """The clock this client waits on: the one given as ``clock=``, or the system clock."""
        return self._requester.state.clock

    @property
    def server_url(self) -> str:
        """The server's URL, as parsed from the ``server_url`` argument."""
        return self._requester.state.http.server_url

    @property
    def backend(self) -> str:
        """The HTTP library in use: ``"aiohttp"``, ``"httpx"`` or ``"httpx2"``."""
        return self._requester.state.http.backend.name

    @property
    def dialect(self) -> str:
        """The management API spoken: ``"classic"`` or ``"v1"`` (``/api/v1``)."""
        return self._requester.state.dialect.name

    def __repr__(self) -> str:
        if "_requester" not in vars(self):  # half-built: a traceback of __init__ prints it
            return "AsyncCodePush(<not constructed>)"
        return _describe(self.server_url, self.dialect)

    async def __aenter__(self) -> AsyncCodePush:
        """Raises ``ClientStateError`` for a closed client or one of another event loop."""
        self._requester.state.check_open()
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
        state = self._requester.state
        state.life.closed = True
        await state.http.aclose()

    @property
    def flavor(self) -> Flavor | None:
        """``"official"`` or ``"community"`` once known (given, or learned from answers)."""
        return self._requester.flavor

    async def resolve_flavor(self) -> Flavor:
        """The server's flavor: ``flavor`` once known, else learned with one read (never a
        write), so orchestration can refuse what the server cannot do before acting."""
        return await self._requester.server_flavor()
