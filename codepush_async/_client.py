"""``AsyncCodePush``: the client users hold, owning one pooled HTTP session."""

from __future__ import annotations

import copy
import logging
import platform
import time
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any, cast

from ._aliases import FlatAliases
from ._core.clock import Clock, SystemClock
from ._core.headers import check_headers, merge_headers
from ._core.lifecycle import Lifecycle
from ._core.ratelimit import RateLimiter
from ._core.retry import DEFAULT_RETRY, SAFE_WRITE_STATUSES, RetryPolicy
from ._core.secret import Secret, redacted
from ._core.timeouts import DEFAULT_TIMEOUTS, Timeouts, to_timeouts
from ._core.transport import AsyncBaseTransport, AsyncHTTPClient, HttpSession
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    CodePushError,
    NotFoundError,
    OutcomeUnknownError,
    _StatusConstants,
)
from ._release.integrity import ReleaseGate
from ._release.package import DEFAULT_MAX_PACKAGE_SIZE
from ._release.progress import StreamingContent
from ._resources._base import Answer
from ._resources.account import AccountResource
from ._resources.apps import AppsResource
from ._resources.collaborators import CollaboratorsResource
from ._resources.deployments import DeploymentsResource
from ._resources.releases import ReleasesResource
from ._resources.tokens import TokensResource
from ._version import __version__
from ._wire.codec import WireRequest, WireResponse, build_request, route_for, unwrap_response
from ._wire.dialects import WHOLE_BODY, get_dialect
from ._wire.errors import error_from_response, parse_retry_after, server_now
from ._wire.flavors import COMMUNITY, FLAVORS, OFFICIAL, Flavor, is_missing_route
from ._wire.validate import check_access_key, check_size_limit
from .lib.bulk import Bulk
from .lib.rollouts import Rollouts

__all__ = ["AsyncCodePush"]

logger = logging.getLogger("codepush_async")

ACCEPT = "application/vnd.code-push.v2+json"
_PLATFORM = f"{platform.python_implementation()} {platform.python_version()}"
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "DELETE"})
_UNSET: Any = object()


def _check_retry(retry: Any) -> RetryPolicy | None:
    if retry is not None and not isinstance(retry, RetryPolicy):
        raise ValueError(f"retry must be a RetryPolicy or None, got {type(retry).__name__}")
    return retry


def _check_clock(clock: Any) -> Clock:
    if clock is None:
        return SystemClock()
    if not (callable(getattr(clock, "now", None)) and callable(getattr(clock, "sleep", None))):
        raise TypeError(
            "clock must be a Clock (an object with now() -> epoch seconds and "
            f"async sleep(seconds)) or None, got {type(clock).__name__}"
        )
    return cast(Clock, clock)


class AsyncCodePush(_StatusConstants, FlatAliases):
    """An asyncio client for a CodePush management server.

    Use it as ``async with AsyncCodePush(key, server_url) as cp:`` (or call
    ``aclose()``); the access key is never printed, logged or put in an error.
    ``backend`` is the HTTP library: ``"httpx"``, ``"httpx2"``, or ``"auto"`` (the one a
    given ``transport``/``http_client`` belongs to, else httpx2 when installed).
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
        self._access_key = Secret(check_access_key(access_key))
        self.max_package_size = check_size_limit(max_package_size)
        self.timeouts = to_timeouts(timeout)
        self.retry_policy = _check_retry(retry)
        self._dialect = get_dialect(dialect)
        if flavor not in FLAVORS:
            known = ", ".join(map(repr, FLAVORS))
            raise ValueError(f"flavor must be one of {known}, got {flavor!r}")
        # A list, so that with_options() views share what is learned about the server.
        self._flavor_box: list[Flavor | None] = [
            None if flavor == "auto" else cast(Flavor, flavor)
        ]
        self._clock: Clock = _check_clock(clock)
        extra_headers = check_headers(headers)
        if not isinstance(serialize_releases, bool):
            raise ValueError(
                f"serialize_releases must be a bool, got {type(serialize_releases).__name__}"
            )
        self._release_gate = ReleaseGate(serialize_releases)  # shared with views
        self._limiter = RateLimiter(self._clock)
        # The last Date header and when it came (our clock), parsed only when asked for.
        self._server_date: list[tuple[str, float] | None] = [None]
        self._http = HttpSession(
            server_url, backend=backend, transport=transport, http_client=http_client, proxy=proxy
        )
        # Shared with with_options() views: closing one closes them all.
        self._life = Lifecycle(repr(self), owns_connections=http_client is None)
        http = self._http.backend
        self._headers = merge_headers(extra_headers, {
            "Accept": ACCEPT,
            "User-Agent": f"codepush-async/{__version__} ({_PLATFORM}; {http.name} {http.version})",
            "X-CodePush-SDK-Version": __version__,
            "Authorization": Secret(f"Bearer {self._access_key}"),
        })
        self._bind_resources()

    def _bind_resources(self) -> None:
        self.tokens = TokensResource(self)
        self.apps = AppsResource(self)
        self.collaborators = CollaboratorsResource(self)
        self.deployments = DeploymentsResource(self)
        self.releases = ReleasesResource(self)
        self.account = AccountResource(self)
        self.bulk = Bulk(self)
        self.rollouts = Rollouts(self)

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
        view = copy.copy(self)
        if timeout is not _UNSET:
            view.timeouts = to_timeouts(timeout)
        if retry is not _UNSET:
            view.retry_policy = _check_retry(retry)
        if max_package_size is not _UNSET:
            view.max_package_size = check_size_limit(max_package_size)
        view._bind_resources()
        return view

    @property
    def clock(self) -> Clock:
        """The clock this client waits on: the one given as ``clock=``, or the system clock."""
        return self._clock

    @property
    def server_url(self) -> str:
        return self._http.server_url

    @property
    def backend(self) -> str:
        """The HTTP library in use: ``"httpx"`` or ``"httpx2"``."""
        return self._http.backend.name

    @property
    def dialect(self) -> str:
        return self._dialect.name

    def __repr__(self) -> str:
        if "_http" not in vars(self):  # half-built: a traceback of __init__ prints it
            return "AsyncCodePush(<not constructed>)"
        return f"AsyncCodePush(server_url={self.server_url!r}, dialect={self.dialect!r})"

    async def __aenter__(self) -> AsyncCodePush:
        """Raises ``ClientStateError`` for a closed client or one of another event loop."""
        self._life.check(transport_closed=self._http.is_closed)
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
        self._life.closed = True
        await self._http.aclose()

    @property
    def flavor(self) -> Flavor | None:
        """``"official"`` or ``"community"`` once known (given, or learned from answers)."""
        return self._flavor_box[0]

    async def resolve_flavor(self) -> Flavor:
        """The server's flavor: ``flavor`` once known, else learned with one read (never a
        write), so orchestration can refuse what the server cannot do before acting."""
        return await self._server_flavor()

    def _learn_flavor(self, flavor: Flavor) -> None:
        if self._flavor_box[0] is None:
            logger.info("the server at %s behaves like the %s server", self.server_url, flavor)
            self._flavor_box[0] = flavor

    async def _server_flavor(self) -> Flavor:
        """The flavor, asking the server once if it is not known yet.

        Only the community server lacks ``GET /accessKeys/:name`` (a bare 404 ``Not Found``).
        """
        if self.flavor is None and not self._supports("tokens.get"):
            self._learn_flavor(OFFICIAL)  # a dialect without the probe's endpoint
        if self.flavor is None:
            try:
                await self._call("tokens.get", {"name": "codepush-async-flavor-probe"})
                self._learn_flavor(OFFICIAL)
            except NotFoundError as error:
                self._learn_flavor(COMMUNITY if is_missing_route(error) else OFFICIAL)
        assert self.flavor is not None
        return self.flavor

    def _now(self) -> float:
        return self._clock.now()

    def _release_slot(self) -> AbstractAsyncContextManager[object]:
        """Held while a release uploads, unless ``serialize_releases=False``."""
        return self._release_gate.slot()

    def _supports(self, operation: str) -> bool:
        """Whether the dialect has a route for ``operation``."""
        return self._dialect.route(operation) is not None

    def _takes_in_path(self, operation: str, param: str) -> bool:
        route = self._dialect.route(operation)
        return route is not None and route.takes_in_path(param)

    def _server_time(self, local: float) -> float:
        """``local`` (our clock) on the server's clock, as far as its Date headers tell."""
        seen = self._server_date[0]
        if seen is None:
            return local
        date, received = seen
        return local + server_now({"date": date}, received) - received

    async def _sleep(self, seconds: float) -> None:
        await self._clock.sleep(seconds)

    async def _call(
        self,
        operation: str,
        params: Mapping[str, str | None] | None = None,
        body: Mapping[str, Any] | None = None,
        *,
        stream: StreamingContent | None = None,
        timeout: Timeouts | None = None,
    ) -> Answer:
        """Send one operation, retrying what is safe to retry; return its unwrapped value."""
        route = route_for(self._dialect, operation)
        request = build_request(
            self._dialect, operation, params, body, headers=self._headers, stream=stream
        )
        self._life.check(transport_closed=self._http.is_closed)
        self._life.used = True
        policy = self.retry_policy
        max_wait = (policy or DEFAULT_RETRY).max_wait
        idempotent = route.method in _IDEMPOTENT_METHODS
        key = self._dialect.rate_limit_key(operation)
        maybe_done = False  # an earlier attempt may have acted (matters for DELETE)
        attempt = 0
        while True:
            attempt += 1
            await self._limiter.acquire(key, max_wait=max_wait)
            try:
                outcome = await self._attempt(request, timeout or self.timeouts, attempt)
            except BaseException:  # an undecodable body, a cancellation: free the slot
                self._limiter.observe(key, None)
                raise
            self._limiter.observe(
                key, outcome.headers if isinstance(outcome, WireResponse) else None
            )
            if isinstance(outcome, WireResponse) and "date" in outcome.headers:
                self._server_date[0] = (outcome.headers["date"], self._clock.now())
            if isinstance(outcome, WireResponse) and 200 <= outcome.status_code < 300:
                return Answer(
                    unwrap_response(route, outcome),
                    "$" if route.unwrap == WHOLE_BODY else f"$.{route.unwrap}",
                    outcome.status_code,
                    b"" if route.secret_answer else outcome.content,
                    required=route.required,
                )
            if isinstance(outcome, WireResponse) and outcome.status_code == 406:
                self._learn_flavor(COMMUNITY)
            error = (
                outcome
                if isinstance(outcome, APIConnectionError)
                else error_from_response(
                    outcome,
                    now=self._clock.now(),
                    secrets=(self._access_key,),
                )
            )
            if maybe_done and route.method == "DELETE" and isinstance(error, NotFoundError):
                logger.info("%s %s: gone after an unanswered attempt; taken as done",
                            request.method, request.path)
                return Answer(None, f"$.{route.unwrap}", error.status_code)
            wait = self._retry_wait(error, request, idempotent)
            maybe_done = maybe_done or not _provably_not_acted(error)
            if policy is None or attempt >= policy.max_attempts:
                raise error
            if wait is None:
                wait = policy.backoff(attempt)
            elif wait > policy.max_wait:
                raise error
            logger.info(
                "%s %s: attempt %d failed (%s); retrying in %.3fs",
                request.method, request.path, attempt, error.status_code, wait,
            )
            await self._clock.sleep(wait)

    async def _attempt(
        self, request: WireRequest, timeout: Timeouts, attempt: int
    ) -> WireResponse | APIConnectionError:
        started = time.monotonic()
        try:
            response = await self._http.send(request, timeout)
        except APIConnectionError as error:
            logger.debug("%s %s -> no response (attempt %d, %.3fs): %s", request.method,
                         request.path, attempt, time.monotonic() - started, error.message)
            return error
        logger.debug("%s %s -> %s (attempt %d, %.3fs)", request.method, request.path,
                     response.status_code, attempt, time.monotonic() - started)
        return response

    def _retry_wait(
        self, error: CodePushError, request: WireRequest, idempotent: bool
    ) -> float | None:
        """The server's requested wait (``None``: use backoff) if ``error`` may be retried.

        Raises ``error`` when it is final, or ``OutcomeUnknownError`` for a write that
        was sent and may have been acted on.
        """
        policy = self.retry_policy or DEFAULT_RETRY
        if isinstance(error, APIConnectionError):
            if idempotent or not error.request_sent:
                return None
            raise _outcome_unknown(request, error) from error
        if not isinstance(error, APIStatusError) or error.http_status not in policy.retry_statuses:
            raise error
        if not idempotent and not _provably_not_acted(error):
            raise _outcome_unknown(request, error) from error
        return parse_retry_after(error.headers, self._clock.now())


def _provably_not_acted(error: CodePushError) -> bool:
    """The request never reached the server, or the server said it did not act on it."""
    if isinstance(error, APIConnectionError):
        return not error.request_sent
    return isinstance(error, APIStatusError) and error.http_status in SAFE_WRITE_STATUSES


def _outcome_unknown(request: WireRequest, error: CodePushError) -> OutcomeUnknownError:
    return OutcomeUnknownError(
        f"{request.method} {request.path} was sent but no usable answer came back "
        f"({error.message}); it may or may not have taken effect, so it was not resent.",
        error.status_code,
    )
