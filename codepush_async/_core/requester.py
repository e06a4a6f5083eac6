"""The seam between resources and the client: one view's options over the shared session.

``call`` is the request loop: send one attempt, turn its outcome into an answer or an
error, then decide whether to wait and retry, settle, or raise.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any

import attrs

from .._exceptions import APIConnectionError, APIStatusError, CodePushError, NotFoundError
from .._wire.codec import StreamingContent, WireRequest, build_request, route_for
from .._wire.dialects import Route
from .._wire.errors import error_from_response
from .._wire.flavors import COMMUNITY, OFFICIAL, Flavor, is_missing_route
from .._wire.time_headers import parse_retry_after
from .outcome import (
    Answer,
    Outcome,
    answer_from,
    is_retryable,
    may_have_acted,
    outcome_unknown,
    succeeded,
)
from .retry import DEFAULT_RETRY, RetryPolicy, retry_wait
from .session import SessionState
from .timeouts import Timeouts

__all__ = ["Requester"]

logger = logging.getLogger("codepush_async")

_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "DELETE"})
_FLAVOR_PROBE = "codepush-async-flavor-probe"
_RATE_LIMITED = frozenset({429})  # refused by the rate limiter, before any handler ran


@attrs.frozen(eq=False)
class Requester:
    """What resources call: the client's shared ``state`` plus one view's options.

    ``AsyncCodePush`` makes one; each ``with_options`` view makes another over the same
    state (``attrs.evolve``), so views share connections, limits and what was learned.
    """

    state: SessionState = attrs.field(repr=False)
    timeouts: Timeouts
    retry_policy: RetryPolicy | None
    max_package_size: int

    @property
    def flavor(self) -> Flavor | None:
        """``"official"`` or ``"community"`` once known (given, or learned from answers)."""
        return self.state.flavor

    def learn_flavor(self, flavor: Flavor) -> None:
        """Take ``flavor`` as the server's, unless one is known already."""
        if self.state.flavor is None:
            logger.info("the server at %s behaves like the %s server",
                        self.state.http.server_url, flavor)
            self.state.flavor = flavor

    async def server_flavor(self) -> Flavor:
        """The flavor, asking the server once if it is not known yet.

        Only the community server lacks ``GET /accessKeys/:name`` (a bare 404 ``Not Found``).
        """
        if self.flavor is None and not self.supports("tokens.get"):
            self.learn_flavor(OFFICIAL)  # a dialect without the probe's endpoint
        if self.flavor is None:
            try:
                await self.call("tokens.get", {"name": _FLAVOR_PROBE})
                self.learn_flavor(OFFICIAL)
            except NotFoundError as error:
                self.learn_flavor(COMMUNITY if is_missing_route(error) else OFFICIAL)
        assert self.flavor is not None
        return self.flavor

    @property
    def secrets(self) -> tuple[str, ...]:
        """What no message may quote: the access key (a server may echo it)."""
        return (self.state.access_key,)

    def anonymous_headers(self, replace: Mapping[str, str | None]) -> dict[str, str]:
        """The client's headers without the access key, for requests that must not carry it
        (devices); ``replace`` sets headers by name (``None`` leaves one out)."""
        names = {"authorization", *(name.lower() for name in replace)}
        kept = {k: v for k, v in self.state.headers.items() if k.lower() not in names}
        return {**kept, **{k: v for k, v in replace.items() if v is not None}}

    def supports(self, operation: str) -> bool:
        """Whether the dialect has a route for ``operation``."""
        return self.state.dialect.route(operation) is not None

    def check_supported(self, operation: str) -> None:
        """``UnsupportedOperationError`` unless the dialect has ``operation`` (sends nothing)."""
        route_for(self.state.dialect, operation)

    def takes_in_path(self, operation: str, param: str) -> bool:
        """Whether ``operation``'s route puts ``param`` in its path."""
        route = self.state.dialect.route(operation)
        return route is not None and route.takes_in_path(param)

    def now(self) -> float:
        """Epoch seconds on the client's clock (the one given as ``clock=``)."""
        return self.state.clock.now()

    async def sleep(self, seconds: float) -> None:
        """Wait on the client's clock, so tests that inject one never really sleep."""
        await self.state.clock.sleep(seconds)

    def wait_to_resend(self, error: CodePushError, attempt: int) -> float | None:
        """Seconds to wait before sending again a write that provably did not land after
        attempt ``attempt`` failed with ``error``; ``None`` when ``error`` is final."""
        if not is_retryable(error, (self.retry_policy or DEFAULT_RETRY).retry_statuses):
            return None
        requested = (parse_retry_after(error.headers, self.now())
                     if isinstance(error, APIStatusError) else None)
        return retry_wait(self.retry_policy, attempt, requested)

    def release_slot(self) -> AbstractAsyncContextManager[object]:
        """Held while a release uploads, unless ``serialize_releases=False``."""
        return self.state.release_gate.slot()

    async def call(
        self,
        operation: str,
        params: Mapping[str, str | None] | None = None,
        body: Mapping[str, Any] | None = None,
        *,
        stream: StreamingContent | None = None,
        timeout: Timeouts | None = None,
        resend: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """Send one operation, retrying what is safe to retry; return its unwrapped value.

        ``resend=False`` is for writes whose caller proves their effect by reading the
        server's state: a failure that may have followed the write (any but a lost
        connection before sending, or a 429) is raised as it is, never resent. ``headers``
        replace the client's (see ``anonymous_headers``).
        """
        dialect = self.state.dialect
        route = route_for(dialect, operation)
        request = build_request(
            dialect, operation, params, body,
            headers=self.state.headers if headers is None else headers, stream=stream,
        )
        self.state.check_open()
        self.state.life.used = True
        maybe_done = False  # an earlier attempt may have acted (matters for DELETE)
        attempt = 0
        while True:
            attempt += 1
            outcome = await self._attempt(request, timeout or self.timeouts, attempt)
            if succeeded(outcome):
                return answer_from(route, outcome)
            error = self._error_from(outcome)
            if maybe_done and _is_gone(route, error):
                logger.info("%s %s: gone after an unanswered attempt; taken as done",
                            request.method, request.path)
                return Answer(None, f"$.{route.unwrap}", error.status_code)
            wait = self._wait_before_retry(error, request, attempt, resend)
            maybe_done = maybe_done or may_have_acted(error)
            logger.info(
                "%s %s: attempt %d failed (%s); retrying in %.3fs",
                request.method, request.path, attempt, error.status_code, wait,
            )
            await self.sleep(wait)

    async def _attempt(self, request: WireRequest, timeout: Timeouts, attempt: int) -> Outcome:
        """One try through the rate limiter; the limiter and the server clock learn from it."""
        limiter = self.state.limiter
        key = self.state.dialect.rate_limit_key(request.operation)
        await limiter.acquire(key, max_wait=(self.retry_policy or DEFAULT_RETRY).max_wait)
        try:
            outcome = await self._exchange(request, timeout, attempt)
        except BaseException:  # an undecodable body, a cancellation: free the slot
            limiter.observe(key, None)
            raise
        headers = None if isinstance(outcome, APIConnectionError) else outcome.headers
        limiter.observe(key, headers)
        return outcome

    async def _exchange(self, request: WireRequest, timeout: Timeouts, attempt: int) -> Outcome:
        """Send ``request`` once: its response, or the connection error in its place."""
        if not logger.isEnabledFor(logging.DEBUG):  # the usual case: no timing, no record
            try:
                return await self.state.http.send(request, timeout)
            except APIConnectionError as error:
                return error
        started = time.monotonic()
        try:
            response = await self.state.http.send(request, timeout)
        except APIConnectionError as error:
            logger.debug("%s %s -> no response (attempt %d, %.3fs): %s", request.method,
                         request.path, attempt, time.monotonic() - started, error.message)
            return error
        logger.debug("%s %s -> %s (attempt %d, %.3fs)", request.method, request.path,
                     response.status_code, attempt, time.monotonic() - started)
        return response

    def _error_from(self, outcome: Outcome) -> CodePushError:
        """The typed error of a failed attempt (a 406 says: the community server)."""
        if isinstance(outcome, APIConnectionError):
            return outcome
        if outcome.status_code == 406:
            self.learn_flavor(COMMUNITY)
        return error_from_response(outcome, now=self.now(), secrets=self.secrets)

    def _wait_before_retry(
        self, error: CodePushError, request: WireRequest, attempt: int, resend: bool
    ) -> float:
        """Seconds to wait before the next attempt; raises ``error`` when it is final, or
        ``OutcomeUnknownError`` for a write that was sent and may have been acted on."""
        requested = self._requested_wait(error, request, resend)
        wait = retry_wait(self.retry_policy, attempt, requested)
        if wait is None:
            raise error
        return wait

    def _requested_wait(
        self, error: CodePushError, request: WireRequest, resend: bool
    ) -> float | None:
        """The server's requested wait (``None``: use backoff) if ``error`` may be retried."""
        if not is_retryable(error, (self.retry_policy or DEFAULT_RETRY).retry_statuses):
            raise error
        if request.method not in _IDEMPOTENT_METHODS:
            if not resend and may_have_acted(error, _RATE_LIMITED):
                raise error
            if may_have_acted(error):
                raise outcome_unknown(request, error) from error
        if isinstance(error, APIStatusError):
            return parse_retry_after(error.headers, self.now())
        return None


def _is_gone(route: Route, error: CodePushError) -> bool:
    """A DELETE answered 404: after an attempt that may have acted, that means done."""
    return route.method == "DELETE" and isinstance(error, NotFoundError)
