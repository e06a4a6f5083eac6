"""The in-process httpx transport: requests go straight to the ASGI app, faults become errors.

A fault that drops the connection before the handler runs raises ``httpx.ConnectError`` (nothing
reached the server, like a refused connection: always safe to retry). One that drops it after the
handler ran raises ``httpx.RemoteProtocolError`` ("Server disconnected without sending a
response."): the server acted and the client cannot know. A delay longer than the request's read
timeout raises ``httpx.ReadTimeout`` at once instead of sleeping.
"""

from __future__ import annotations

import httpx
from starlette.types import ASGIApp

from ._faults import IN_PROCESS, ConnectionDropped, InProcessCall, ReadTimedOut


class EmulatorTransport(httpx.AsyncBaseTransport):
    """Wraps ``httpx.ASGITransport`` and translates simulated network failures."""

    def __init__(self, app: ASGIApp, client: tuple[str, int] = ("127.0.0.1", 50000)) -> None:
        self._inner = httpx.ASGITransport(app=app, client=client)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout") or {}
        read_timeout = timeouts.get("read") if isinstance(timeouts, dict) else None
        token = IN_PROCESS.set(InProcessCall(read_timeout=read_timeout))
        try:
            return await self._inner.handle_async_request(request)
        except ConnectionDropped as exc:
            if exc.after_handler:
                raise httpx.RemoteProtocolError(
                    "Server disconnected without sending a response.", request=request
                ) from None
            raise httpx.ConnectError(
                "Connection refused (emulated fault)", request=request
            ) from None
        except ReadTimedOut:
            raise httpx.ReadTimeout("timed out (emulated delay)", request=request) from None
        finally:
            IN_PROCESS.reset(token)

    async def aclose(self) -> None:
        await self._inner.aclose()
