"""Each backend's own client, bare, behind the two calls the benchmarks time (``get``,
``patch``), and the caller's transport that trusts a benchmark's certificate.

httpx and httpx2 clients have these calls already; aiohttp's ``ClientSession`` is wrapped.
"""

from __future__ import annotations

import importlib
import ssl
from typing import Any

BACKENDS = ("aiohttp", "httpx2", "httpx")


class Answer:
    """What the benchmarks read from a raw answer."""

    def __init__(self, status_code: int, content: bytes) -> None:
        self.status_code = status_code
        self.content = content


class AiohttpClient:
    """An ``aiohttp.ClientSession`` made on first use (it binds to the running loop)."""

    def __init__(self, context: ssl.SSLContext | None = None) -> None:
        self._context = context
        self._session: Any = None

    async def request(self, method: str, url: str, headers: Any, content: Any = None) -> Answer:
        if self._session is None:
            import aiohttp

            connector = aiohttp.TCPConnector(ssl=self._context or True)
            self._session = aiohttp.ClientSession(connector=connector)
        async with self._session.request(method, url, headers=headers, data=content) as answer:
            return Answer(answer.status, await answer.read())

    async def get(self, url: str, headers: Any) -> Answer:
        return await self.request("GET", url, headers)

    async def patch(self, url: str, headers: Any, content: bytes) -> Answer:
        return await self.request("PATCH", url, headers, content)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def __aenter__(self) -> AiohttpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def raw_client(backend: str, context: ssl.SSLContext | None = None) -> Any:
    """``backend``'s own client, verifying with ``context`` when given."""
    if backend == "aiohttp":
        return AiohttpClient(context)
    module = importlib.import_module(backend)
    transport = None if context is None else module.AsyncHTTPTransport(verify=context)
    return module.AsyncClient(transport=transport)


def sdk_transport(backend: str, context: ssl.SSLContext | None) -> Any:
    """The ``transport=`` an SDK client on ``backend`` takes to verify with ``context``."""
    if context is None:
        return None
    module = importlib.import_module(backend)
    if backend == "aiohttp":
        return module.TCPConnector(ssl=context)
    return module.AsyncHTTPTransport(verify=context)
