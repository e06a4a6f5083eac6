"""Assembles the ASGI application: a Starlette app handing every request to the dialect,
wrapped by the recording and fault-injection layer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from ._faults import FaultBook
from ._middleware import EmulatorMiddleware, RequestLog

DialectHandler = Callable[[Request], Awaitable[Response]]


def _endpoint(handler: DialectHandler) -> ASGIApp:
    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        response = await handler(Request(scope, receive))
        await response(scope, receive, send)

    return asgi


def build_app(
    handler: DialectHandler,
    faults: FaultBook,
    log: RequestLog,
    body_limit: int | None,
) -> ASGIApp:
    """The emulator's ASGI app; the dialect does its own (Express-style) routing."""
    starlette = Starlette(routes=[Mount("/", app=_endpoint(handler))])
    return EmulatorMiddleware(starlette, faults, log, body_limit)
