"""The in-process transport: requests go straight to the ASGI app, faults become errors.

One transport serves both httpx and httpx2 clients: it is a transport of each installed library
and answers every request with the request's own library (``ASGITransport`` and exceptions).

A fault that drops the connection before the handler runs raises ``ConnectError`` (nothing
reached the server, like a refused connection: always safe to retry). One that drops it after the
handler ran raises ``RemoteProtocolError`` ("Server disconnected without sending a response."):
the server acted and the client cannot know. A delay longer than the request's read timeout
raises ``ReadTimeout`` at once instead of sleeping.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from typing import TYPE_CHECKING, Any

import httpx
from starlette.types import ASGIApp

from ._faults import IN_PROCESS, ConnectionDropped, InProcessCall, ReadTimedOut


def _bases() -> tuple[type, ...]:
    bases: list[type] = [httpx.AsyncBaseTransport]
    with contextlib.suppress(ImportError):  # httpx2 is optional
        bases.append(importlib.import_module("httpx2").AsyncBaseTransport)
    return tuple(bases)


if TYPE_CHECKING:
    _Base = httpx.AsyncBaseTransport
else:
    _Base = type("_Base", _bases(), {})


class EmulatorTransport(_Base):
    """Wraps the request library's ``ASGITransport`` and translates simulated network failures."""

    def __init__(self, app: ASGIApp, client: tuple[str, int] = ("127.0.0.1", 50000)) -> None:
        self._app = app
        self._client = client
        self._inner: dict[str, Any] = {}

    def _library(self, request: Any) -> tuple[Any, Any]:
        name = type(request).__module__.partition(".")[0]
        module = sys.modules.get(name, httpx)
        inner = self._inner.get(name)
        if inner is None:
            inner = self._inner[name] = module.ASGITransport(app=self._app, client=self._client)
        return module, inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        module, inner = self._library(request)
        timeouts = request.extensions.get("timeout") or {}
        read_timeout = timeouts.get("read") if isinstance(timeouts, dict) else None
        token = IN_PROCESS.set(InProcessCall(read_timeout=read_timeout))
        try:
            response: httpx.Response = await inner.handle_async_request(request)
            return response
        except ConnectionDropped as exc:
            if exc.after_handler:
                raise module.RemoteProtocolError(
                    "Server disconnected without sending a response.", request=request
                ) from None
            raise module.ConnectError(
                "Connection refused (emulated fault)", request=request
            ) from None
        except ReadTimedOut:
            raise module.ReadTimeout("timed out (emulated delay)", request=request) from None
        finally:
            IN_PROCESS.reset(token)

    async def aclose(self) -> None:
        for inner in self._inner.values():
            await inner.aclose()
