"""The public façade: ``CodePushEmulator``."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from enum import Enum
from http import HTTPStatus
from pathlib import Path

import anyio
import anyio.to_thread
import httpx
from starlette.types import ASGIApp

from ._app import build_app
from ._classic.base import DEFAULT_ACCESS_KEY_TTL_MS, MSG_TOO_MANY
from ._classic.dialect import ClassicDialect
from ._clock import Clock, epoch_ms, system_clock
from ._faults import FaultBook, FaultKind, FaultRule
from ._in_process import EmulatorTransport
from ._middleware import RequestLog
from ._serve import BackgroundServer
from ._store import Account, BlobStore, Deployment, Store, generate_secure_key
from ._v1.dialect import V1Dialect
from ._v1.errors import fault_body
from ._v1.limits import DEFAULT_LIMIT as V1_DEFAULT_LIMIT
from ._v1.limits import DEFAULT_WINDOW as V1_DEFAULT_WINDOW


class _Default(Enum):
    """Marks a rate-limit argument left to the dialect's default."""

    DEFAULT = "default"

    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT = _Default.DEFAULT
RATE_LIMIT_DEFAULTS: dict[str, tuple[int, float]] = {
    "classic": (100, 900.0),
    "v1": (V1_DEFAULT_LIMIT, V1_DEFAULT_WINDOW),
}
"""Requests per window and window seconds of each dialect when the caller does not say."""
DIALECTS = tuple(RATE_LIMIT_DEFAULTS)
REQUEST_LOG_SIZE = 1000
"""Requests ``CodePushEmulator.requests`` keeps by default (the most recent)."""
MAX_UNPACKED_SIZE = 1024 * 1024 * 1024
"""Bytes an uploaded zip may unpack to (declared and actual) before it is refused as a bomb."""
REQUEST_BODY_LIMIT = 16 * 1024
"""Bytes of each request body recorded by default: whole JSON bodies (the server takes 10 kB),
the start of release uploads."""
_DEFAULT_FAULT_BODIES = {
    429: MSG_TOO_MANY,
    503: "The CodePush server temporarily timed out. Please try again.",
}


class CodePushEmulator:
    """An in-memory CodePush management server for tests and local development.

    ``emu.app`` is the ASGI application, ``emu.transport`` an httpx transport that calls it
    in-process, ``emu.requests`` the ``request_log_size`` most recent requests (None keeps
    all) with the first ``request_body_limit`` bytes of each body (None keeps whole bodies).
    Time comes from ``clock`` (epoch seconds), so tests can expire keys and rate-limit windows
    without sleeping.

    ``dialect`` is ``"classic"`` (the official server's routes, the devices' acquisition routes
    included) or ``"v1"`` (``/api/v1``, see docs/v1-wire.md). Classic metrics come from device
    reports as the server's Redis keeps them; ``redis=False`` answers them as the official
    server does without Redis (its default deployment): ``{}`` for every deployment, even an
    unknown one, and reports count nothing.
    ``rate_limit`` requests per ``rate_limit_window`` seconds default to
    100/900 (classic: releases and ``/authenticated``) or 1000/3600 (v1: every request, per
    token); ``rate_limit=None`` disables limiting.

    Uploads stream to a temporary file: one over ``max_package_size`` bytes (200 MiB, the
    server's limit) is refused with the server's 413 as the bytes arrive, and a zip whose
    entries unpack to more than ``max_unpacked_size`` (1 GiB) is refused with a 413 too. Every
    request is authenticated before its body is read.
    """

    def __init__(
        self,
        dialect: str = "classic",
        *,
        clock: Clock | None = None,
        rate_limit: int | _Default | None = DEFAULT,
        rate_limit_window: float | _Default = DEFAULT,
        max_package_size: int = 200 * 1024 * 1024,
        max_unpacked_size: int = MAX_UNPACKED_SIZE,
        storage_dir: str | Path | None = None,
        request_log_size: int | None = REQUEST_LOG_SIZE,
        request_body_limit: int | None = REQUEST_BODY_LIMIT,
        redis: bool = True,
    ) -> None:
        if dialect not in DIALECTS:
            raise ValueError(
                f"unsupported emulator dialect {dialect!r}; supported: {', '.join(DIALECTS)}"
            )
        for size_option, size in (
            ("max_package_size", max_package_size),
            ("max_unpacked_size", max_unpacked_size),
        ):
            if size < 1:
                raise ValueError(f"{size_option} must be positive")
        for option, value in (
            ("request_log_size", request_log_size),
            ("request_body_limit", request_body_limit),
        ):
            if value is not None and (
                not isinstance(value, int) or isinstance(value, bool) or value < 0
            ):
                raise ValueError(f"{option} must be a non-negative int or None, not {value!r}")
        self.dialect = dialect
        self.clock: Clock = clock or system_clock
        self.store = Store(BlobStore(storage_dir))
        self.requests = RequestLog(request_log_size)
        self._faults = FaultBook()
        default_limit, default_window = RATE_LIMIT_DEFAULTS[dialect]
        limit = default_limit if rate_limit is DEFAULT else rate_limit
        window = default_window if rate_limit_window is DEFAULT else rate_limit_window
        handler: ClassicDialect | V1Dialect
        if dialect == "v1":
            handler = V1Dialect(
                self.store,
                self.clock,
                rate_limit=limit,
                rate_limit_window=window,
                max_package_size=max_package_size,
                max_unpacked_size=max_unpacked_size,
            )
            self._reset_limits = handler.limits.reset
        else:
            handler = ClassicDialect(
                self.store,
                self.clock,
                rate_limit=limit,
                rate_limit_window=window,
                max_package_size=max_package_size,
                max_unpacked_size=max_unpacked_size,
            )
            self._reset_limits = _classic_limits_reset(handler)
            handler.keeps_metrics = redis
        self._app = build_app(handler, self._faults, self.requests, request_body_limit)
        self._transport = EmulatorTransport(self._app)
        self._key_counter = 0

    @property
    def app(self) -> ASGIApp:
        """The ASGI application (serve it with any ASGI server)."""
        return self._app

    @property
    def transport(self) -> httpx.AsyncBaseTransport:
        """A transport reaching the emulator in-process, for httpx and httpx2 clients alike.

        ``base_url`` can be anything.
        """
        return self._transport

    # Accounts and keys

    def _now_ms(self) -> int:
        return epoch_ms(self.clock)

    def create_account(self, email: str, name: str | None = None) -> str:
        """Register an account (or reuse the one with this e-mail) and return a new access key."""
        if self.store.account_by_email(email) is None:
            self.store.add_account(email, name or email.split("@")[0], self._now_ms())
        return self.create_access_key(email)

    def create_access_key(
        self,
        email: str,
        *,
        friendly_name: str | None = None,
        ttl: int | None = None,
        created_by: str = "codepush-emulator",
    ) -> str:
        """Add an access key to an existing account; ``ttl`` in milliseconds (default 60 days)."""
        account = self._account(email)
        if friendly_name is None:
            self._key_counter += 1
            friendly_name = f"emulator-key-{self._key_counter}"
        if self.store.find_access_key(account.id, friendly_name) is not None:
            raise ValueError(f"access key {friendly_name!r} already exists for {email}")
        now = self._now_ms()
        key = self.store.add_access_key(
            account.id,
            name=generate_secure_key(account.id),
            friendly_name=friendly_name,
            created_by=created_by,
            created_time=now,
            expires=now + (ttl if ttl is not None else DEFAULT_ACCESS_KEY_TTL_MS),
        )
        return key.name

    def create_session(self, email: str, machine_name: str) -> str:
        """Add a login session key (``isSession: true``), as ``code-push login`` would."""
        account = self._account(email)
        now = self._now_ms()
        friendly_name, suffix = f"Login-{now}", 1
        while self.store.find_access_key(account.id, friendly_name) is not None:
            suffix += 1  # several logins in one millisecond (always, under a ManualClock)
            friendly_name = f"Login-{now}-{suffix}"
        key = self.store.add_access_key(
            account.id,
            name=generate_secure_key(account.id),
            friendly_name=friendly_name,
            created_by=machine_name,
            created_time=now,
            expires=now + DEFAULT_ACCESS_KEY_TTL_MS,
            is_session=True,
        )
        return key.name

    def _account(self, email: str) -> Account:
        account = self.store.account_by_email(email)
        if account is None:
            raise ValueError(f"no account for {email!r}; call create_account first")
        return account

    # Metrics

    def _deployment(self, app_name: str, deployment_name: str, owner: str | None) -> Deployment:
        apps = [a for a in self.store.apps.values() if a.name == app_name]
        if owner is not None:
            apps = [a for a in apps if a.owner_email() == owner]
        if len(apps) != 1:
            problem = "no app" if not apps else "several apps (pass owner=...)"
            raise ValueError(f"{problem} named {app_name!r}")
        deployment = self.store.find_deployment(apps[0].id, deployment_name)
        if deployment is None:
            raise ValueError(f"app {app_name!r} has no deployment {deployment_name!r}")
        return deployment

    def record_metrics(
        self,
        app: str,
        deployment: str,
        label: str,
        *,
        downloaded: int = 0,
        installed: int = 0,
        failed: int = 0,
        active: int = 0,
        owner: str | None = None,
    ) -> None:
        """Add to a deployment's metrics for a label (``v2``) or an app version (``1.0.0``),
        the same counters device reports move.

        Counts are deltas (negative ``active`` models devices moving away from a release).
        """
        self.store.record_metrics(
            self._deployment(app, deployment, owner),
            label,
            active=active,
            downloaded=downloaded,
            installed=installed,
            failed=failed,
        )

    def deployment_key(self, app: str, deployment: str, *, owner: str | None = None) -> str:
        """The deployment key of ``app``/``deployment``."""
        return self._deployment(app, deployment, owner).key

    # Faults

    @property
    def faults(self) -> list[FaultRule]:
        """The fault rules still armed."""
        return self._faults.active()

    def add_fault(self, rule: FaultRule) -> FaultRule:
        """Arm a fault rule built by hand."""
        return self._faults.add(rule)

    def fail_next(
        self,
        status: int = 503,
        *,
        body: str | bytes | None = None,
        headers: Mapping[str, str] | None = None,
        retry_after: int | None = None,
        times: int | None = 1,
        method: str | None = None,
        path: str | None = None,
        after_handler: bool = False,
    ) -> FaultRule:
        """Answer the next matching request(s) with ``status`` without running the handler.

        ``body`` defaults to the official server's text for 503 and 429, else the reason phrase
        (in the v1 dialect: a JSON error envelope with that message); ``retry_after`` adds a
        ``Retry-After`` header. ``path`` is a path prefix (raw or decoded). With
        ``after_handler`` the handler runs first (the write is stored) and its answer is
        replaced, as the official server answers 500 after storing a non-Latin-1 name.
        """
        all_headers = dict(headers or {})
        if body is None and self.dialect == "v1":
            body = fault_body(status)
            if not any(name.lower() == "content-type" for name in all_headers):
                all_headers["Content-Type"] = "application/json; charset=utf-8"
        elif body is None:
            body = _DEFAULT_FAULT_BODIES.get(status, HTTPStatus(status).phrase)
        if retry_after is not None:
            all_headers["Retry-After"] = str(retry_after)
        return self._faults.add(
            FaultRule(
                FaultKind.RESPOND_AFTER if after_handler else FaultKind.RESPOND,
                times=times,
                method=method,
                path=path,
                status=status,
                headers=all_headers,
                body=body.encode("utf-8") if isinstance(body, str) else body,
            )
        )

    def drop_next(
        self,
        *,
        after_handler: bool = False,
        times: int | None = 1,
        method: str | None = None,
        path: str | None = None,
    ) -> FaultRule:
        """Drop the connection of the next matching request(s).

        Before the handler (default) the server never acts: in-process the client gets
        ``httpx.ConnectError``. With ``after_handler`` the server acts and the answer is lost:
        ``httpx.RemoteProtocolError``. On a served port the TCP connection is aborted either way
        (the client sees the server disconnect without a response).
        """
        kind = FaultKind.DROP_AFTER if after_handler else FaultKind.DROP_BEFORE
        return self._faults.add(FaultRule(kind, times=times, method=method, path=path))

    def delay_next(
        self,
        seconds: float,
        *,
        before_handler: bool = False,
        times: int | None = 1,
        method: str | None = None,
        path: str | None = None,
    ) -> FaultRule:
        """Delay the answer to the next matching request(s) by ``seconds``.

        In-process, a delay longer than the request's read timeout raises ``httpx.ReadTimeout``
        immediately instead of sleeping: after running the handler (the server acted), or
        without running it when ``before_handler``. Shorter delays really sleep.
        """
        if seconds < 0:
            raise ValueError("delay must not be negative")
        return self._faults.add(
            FaultRule(
                FaultKind.DELAY,
                times=times,
                method=method,
                path=path,
                delay=seconds,
                before_handler=before_handler,
            )
        )

    def clear_faults(self) -> None:
        """Disarm every fault rule."""
        self._faults.clear()

    # Housekeeping

    def reset_rate_limits(self) -> None:
        """Forget every client's rate-limit window."""
        self._reset_limits()

    def clear_requests(self) -> None:
        """Empty ``requests``."""
        self.requests.clear()

    # Serving on a real port

    @contextlib.contextmanager
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve on ``host:port`` (0 = a free port) in a background thread; yields the base URL."""
        server = BackgroundServer(self._app, host, port)
        server.start()
        try:
            server.wait_started()
            yield server.url
        finally:
            server.stop()

    @contextlib.asynccontextmanager
    async def serving(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
        """Async form of ``serve`` (the server still runs in its own thread)."""
        server = BackgroundServer(self._app, host, port)
        server.start()
        try:
            while not server.started:
                server.check_alive()
                await anyio.sleep(0.005)
            yield server.url
        finally:
            await anyio.to_thread.run_sync(server.stop)


def _classic_limits_reset(dialect: ClassicDialect) -> Callable[[], None]:
    def reset() -> None:
        for limiter in (dialect.release_limiter, dialect.auth_limiter):
            if limiter is not None:
                limiter.reset()

    return reset
