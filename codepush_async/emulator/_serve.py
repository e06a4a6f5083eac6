"""Serving the emulator on a real loopback port with uvicorn (a CLI, or a background thread)."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from ._faults import ABORT_EXTENSION


def _protocol_class() -> Any:
    """An h11 protocol that lets fault rules abort the TCP connection (see ABORT_EXTENSION).

    Falls back to uvicorn's default when its internals are not as expected; dropped-connection
    faults then end the response early instead of resetting the connection.
    """
    try:
        from uvicorn.protocols.http.h11_impl import H11Protocol
    except ImportError:  # pragma: no cover - h11 is a uvicorn dependency
        return "auto"

    class AbortableH11Protocol(H11Protocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            inner = self.app

            async def app(scope: Scope, receive: Receive, send: Send) -> None:
                scope.setdefault("extensions", {})[ABORT_EXTENSION] = self._abort_connection
                await inner(scope, receive, send)

            self.app = app

        def _abort_connection(self) -> None:
            if self.transport is not None:
                self.transport.abort()

    return AbortableH11Protocol


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket; port 0 picks a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only turns Nagle off (TCP_NODELAY) for such sockets.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def base_url(host: str, port: int, *, https: bool = False) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"{'https' if https else 'http'}://{shown}:{port}"


def make_server(
    app: ASGIApp,
    *,
    log_level: str = "warning",
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
) -> uvicorn.Server:
    """uvicorn serving ``app``; HTTPS when given a certificate (PEM) and its key."""
    config = uvicorn.Config(
        app,
        log_level=log_level,
        access_log=False,
        lifespan="off",
        loop="asyncio",
        http=_protocol_class(),
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
    )
    return uvicorn.Server(config)


class BackgroundServer:
    """uvicorn serving ``app`` in a daemon thread until ``stop``."""

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self._sock = bind_socket(host, port)
        self.host = host
        self.port: int = self._sock.getsockname()[1]
        self.url = base_url(host, self.port)
        self._server = make_server(app)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    @property
    def started(self) -> bool:
        return bool(self._server.started)

    def start(self) -> None:
        self._thread.start()

    def check_alive(self) -> None:
        """Raise if the server thread died before it started serving."""
        if not self.started and not self._thread.is_alive():
            self.stop()
            raise RuntimeError("the emulator server did not start")

    def wait_started(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.started:
            self.check_alive()
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the emulator server did not start in time")
            time.sleep(0.005)

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._sock.close()
