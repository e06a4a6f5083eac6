"""Choosing the HTTP backend (httpx or httpx2) and what each choice sends."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

import pytest

from codepush_async import APIConnectionError, AsyncCodePush
from codepush_async._core import transport as transport_module
from codepush_async.emulator import CodePushEmulator
from tests._backend import BACKEND, httpx
from tests.conftest import ACCESS_KEY, Recorder

pytestmark = pytest.mark.anyio

# httpx is a dependency, httpx2 an extra: the httpx2 nox session has both.
AVAILABLE = [name for name in ("httpx", "httpx2") if importlib.util.find_spec(name) is not None]


def mock(name: str, recorder: Recorder) -> Any:
    module = importlib.import_module(name)

    def handler(request: Any) -> Any:
        recorder.requests.append(request)
        return module.Response(200, json={"apps": []})

    return module.MockTransport(handler)


@pytest.mark.parametrize("name", AVAILABLE)
async def test_auto_follows_the_transport_given(name: str, recorder: Recorder) -> None:
    async with AsyncCodePush(ACCESS_KEY, "https://example.com", transport=mock(name, recorder)) as cp:
        assert cp.backend == name
        assert await cp.apps.list() == []
    version = importlib.import_module(name).__version__
    assert recorder.last.headers["user-agent"].endswith(f"; {name} {version})")


@pytest.mark.parametrize("name", AVAILABLE)
async def test_auto_follows_the_http_client_given(name: str, recorder: Recorder) -> None:
    module = importlib.import_module(name)
    async with module.AsyncClient(transport=mock(name, recorder)) as client:
        cp = AsyncCodePush(ACCESS_KEY, "https://example.com", http_client=client)
        assert cp.backend == name
        assert await cp.apps.list() == []


def test_auto_prefers_httpx2_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = "httpx2" if "httpx2" in AVAILABLE else "httpx"
    assert AsyncCodePush(ACCESS_KEY).backend == expected
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "httpx2" else real_find_spec(name)
    )
    assert AsyncCodePush(ACCESS_KEY).backend == "httpx"


@pytest.mark.parametrize("name", AVAILABLE)
def test_backend_can_be_pinned(name: str) -> None:
    assert AsyncCodePush(ACCESS_KEY, backend=name).backend == name


def test_unknown_backend() -> None:
    with pytest.raises(ValueError, match="backend must be 'auto', 'httpx' or 'httpx2', got 'aiohttp'"):
        AsyncCodePush(ACCESS_KEY, backend="aiohttp")


def test_missing_backend_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport_module, "_loaded", {})
    real_import = importlib.import_module

    def without_httpx2(name: str, package: str | None = None) -> types.ModuleType:
        if name == "httpx2":
            raise ModuleNotFoundError("No module named 'httpx2'")
        return real_import(name, package)

    monkeypatch.setattr(importlib, "import_module", without_httpx2)
    with pytest.raises(ImportError, match=r"pip install 'codepush-async\[httpx2\]'"):
        AsyncCodePush(ACCESS_KEY, backend="httpx2")


def test_a_transport_of_the_other_backend_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    other = types.ModuleType("httpx2")
    other.AsyncBaseTransport = type("AsyncBaseTransport", (), {})  # type: ignore[attr-defined]
    other.AsyncClient = type("AsyncClient", (), {})  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "httpx2", other)
    foreign = other.AsyncBaseTransport()
    with pytest.raises(ValueError, match="is a httpx2 object; pass one of httpx's"):
        AsyncCodePush(ACCESS_KEY, backend="httpx", transport=foreign)  # type: ignore[arg-type]


def test_a_transport_of_no_backend_is_refused() -> None:
    with pytest.raises(TypeError, match=f"transport must be an {BACKEND}.AsyncBaseTransport"):
        AsyncCodePush(ACCESS_KEY, backend=BACKEND, transport=object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=f"http_client must be an {BACKEND}.AsyncClient"):
        AsyncCodePush(ACCESS_KEY, backend=BACKEND, http_client=object())  # type: ignore[arg-type]


@pytest.mark.parametrize("name", AVAILABLE)
async def test_the_emulator_transport_serves_either_backend(name: str) -> None:
    emulator = CodePushEmulator()
    key = emulator.create_account("dev@example.com")
    async with AsyncCodePush(key, "http://emulator", transport=emulator.transport, backend=name) as cp:
        assert cp.backend == name
        await cp.apps.create("App")
        assert [app.name for app in await cp.apps.list()] == ["App"]
        emulator.drop_next()
        with pytest.raises(APIConnectionError) as info:
            await cp.with_options(retry=None).apps.list()
    assert info.value.request_sent is False


async def test_urls_are_built_once_per_path(recorder: Recorder) -> None:
    async with AsyncCodePush(ACCESS_KEY, "https://example.com/base", transport=mock(BACKEND, recorder)) as cp:
        session = cp._requester.state.http
        assert session.url_for("/apps") is session.url_for("/apps")
        assert str(session.url_for("/apps/a%2Fb")) == "https://example.com/base/apps/a%2Fb"
        for index in range(transport_module._URL_CACHE_SIZE + 5):
            session.url_for(f"/apps/{index}")
        assert len(session._urls) <= transport_module._URL_CACHE_SIZE
    assert isinstance(session.url_for("/apps"), httpx.URL)
