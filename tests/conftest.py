"""Shared fixtures: a recording transport that answers with scripted responses."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import pytest

from codepush_async import AsyncCodePush
from codepush_async._core import transport as transport_module
from codepush_async._release.hashing import package_hash
from tests._backend import BACKEND, TRANSPORT_BACKEND, httpx

ACCESS_KEY = "k3y_Secret-0123456789"
SERVER = "https://codepush.example.com"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def auto_picks_the_suite_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    """``backend="auto"`` without a transport picks the suite's backend, not the fastest."""
    monkeypatch.setattr(transport_module, "_AUTO_ORDER", (BACKEND,))


Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def sent_package(request: httpx.Request) -> bytes:
    """The ``package`` part of a release's multipart body."""
    boundary = request.headers["content-type"].split("boundary=", 1)[1].encode()
    for part in request.content.split(b"--" + boundary)[1:-1]:
        head, _, data = part[2:-2].partition(b"\r\n\r\n")
        if b'name="package"' in head:
            return data
    raise AssertionError("no package part in the request")


class Recorder:
    """An httpx transport handler that records each request and pops a scripted reply."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self._replies: deque[Reply] = deque()

    def reply(
        self,
        status: int = 200,
        *,
        json_body: Any = None,
        text: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        if json_body is not None:
            content = json.dumps(json_body).encode()
            hdrs = {"content-type": "application/json; charset=utf-8", **(headers or {})}
        else:
            content = (text or "").encode()
            hdrs = {"content-type": "text/html; charset=utf-8", **(headers or {})}
        self._replies.append(httpx.Response(status, headers=hdrs, content=content))

    def reply_release(
        self, package: dict[str, Any], status: int = 201, *, key: str = "package"
    ) -> None:
        """Answer a release with ``package`` carrying the hash of what was sent, as stored."""

        def answer(request: httpx.Request) -> httpx.Response:
            stored = {**package, "packageHash": package_hash(sent_package(request))}
            return httpx.Response(status, json={key: stored})

        self._replies.append(answer)

    def reply_history(
        self, packages: Sequence[dict[str, Any]] = (), *, key: str = "history"
    ) -> None:
        """Answer a history read (every release write reads it first) with ``packages``."""
        self.reply(200, json_body={key: list(packages)})

    def fail(self, exc: Exception) -> None:
        self._replies.append(exc)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        if not self._replies:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        reply = self._replies.popleft()
        if isinstance(reply, Exception):
            raise reply
        if callable(reply):
            return reply(request)
        return reply

    @property
    def last(self) -> httpx.Request:
        assert self.requests, "no request was sent"
        return self.requests[-1]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


class FakeClock:
    """Time that moves only when the SDK sleeps; records every wait."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.time = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.time

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.time += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def cp(recorder: Recorder, clock: FakeClock) -> AsyncIterator[AsyncCodePush]:
    """A client with retries off: one scripted reply per call, asserted on the wire."""
    async with AsyncCodePush(
        ACCESS_KEY, SERVER, transport=httpx.MockTransport(recorder), retry=None, clock=clock,
        flavor="official",
    ) as client:
        yield client


@pytest.fixture
def codepush_backend() -> str:
    """The plugin's ``codepush_client`` (in-process) runs on the suite's transport backend."""
    return TRANSPORT_BACKEND
