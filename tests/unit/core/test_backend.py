"""Choosing the HTTP backend (aiohttp, httpx or httpx2) and what each choice sends."""

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
from tests.conftest import ACCESS_KEY, SERVER, Recorder

pytestmark = pytest.mark.anyio

# httpx is a dependency, httpx2 and aiohttp extras: their nox sessions install them.
INSTALLED = [
    name for name in ("aiohttp", "httpx2", "httpx") if importlib.util.find_spec(name) is not None
]
AVAILABLE = [name for name in INSTALLED if name != "aiohttp"]  # those with mock transports


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


@pytest.mark.parametrize("missing", [(), ("aiohttp",), ("aiohttp", "httpx2")])
def test_auto_picks_the_fastest_installed(
    monkeypatch: pytest.MonkeyPatch, missing: tuple[str, ...]
) -> None:
    monkeypatch.setattr(transport_module, "_AUTO_ORDER", transport_module.BACKENDS)
    monkeypatch.setattr(transport_module, "_loaded", {})
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name in missing else real_find_spec(name)
    )
    expected = next(name for name in INSTALLED if name not in missing)
    assert AsyncCodePush(ACCESS_KEY, SERVER).backend == expected


def test_auto_skips_aiohttp_for_a_socks_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport_module, "_AUTO_ORDER", transport_module.BACKENDS)
    chosen = transport_module.resolve_backend("auto", None, "socks5://127.0.0.1:1080")
    assert chosen.name == next(name for name in INSTALLED if name != "aiohttp")
    if "aiohttp" in INSTALLED:
        with pytest.raises(ValueError, match=r"proxy must be an http:// or https:// URL"):
            AsyncCodePush(ACCESS_KEY, SERVER, proxy="socks5://127.0.0.1:1080", backend="aiohttp")


def test_auto_follows_the_emulator_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    """The in-process transport is an httpx (and httpx2) transport: auto never picks aiohttp."""
    monkeypatch.setattr(transport_module, "_AUTO_ORDER", transport_module.BACKENDS)
    cp = AsyncCodePush(ACCESS_KEY, SERVER, transport=CodePushEmulator().transport)
    assert cp.backend == AVAILABLE[0]


@pytest.mark.parametrize("name", INSTALLED)
def test_backend_can_be_pinned(name: str) -> None:
    assert AsyncCodePush(ACCESS_KEY, SERVER, backend=name).backend == name


def test_unknown_backend() -> None:
    with pytest.raises(
        ValueError, match="backend must be 'auto', 'aiohttp', 'httpx' or 'httpx2', got 'requests'"
    ):
        AsyncCodePush(ACCESS_KEY, SERVER, backend="requests")


@pytest.mark.parametrize("name", ["httpx2", "aiohttp"])
def test_missing_backend_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setattr(transport_module, "_loaded", {})
    real_import = importlib.import_module

    def without(module: str, package: str | None = None) -> types.ModuleType:
        if module == name:
            raise ModuleNotFoundError(f"No module named {name!r}")
        return real_import(module, package)

    monkeypatch.setattr(importlib, "import_module", without)
    with pytest.raises(ImportError, match=rf"pip install 'codepush-async\[{name}\]'"):
        AsyncCodePush(ACCESS_KEY, SERVER, backend=name)


def test_a_transport_of_the_other_backend_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    other = types.ModuleType("httpx2")
    other.AsyncBaseTransport = type("AsyncBaseTransport", (), {})  # type: ignore[attr-defined]
    other.AsyncClient = type("AsyncClient", (), {})  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "httpx2", other)
    foreign = other.AsyncBaseTransport()
    with pytest.raises(ValueError, match="is a httpx2 object; pass one of httpx's"):
        AsyncCodePush(ACCESS_KEY, SERVER, backend="httpx", transport=foreign)  # type: ignore[arg-type]


def test_a_transport_of_no_backend_is_refused() -> None:
    transport, client = (
        ("BaseConnector", "ClientSession") if BACKEND == "aiohttp"
        else ("AsyncBaseTransport", "AsyncClient")
    )
    with pytest.raises(TypeError, match=f"transport must be an {BACKEND}.{transport}"):
        AsyncCodePush(ACCESS_KEY, SERVER, backend=BACKEND, transport=object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=f"http_client must be an {BACKEND}.{client}"):
        AsyncCodePush(ACCESS_KEY, SERVER, backend=BACKEND, http_client=object())  # type: ignore[arg-type]


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
    session = transport_module.HttpSession("https://example.com/base", backend=BACKEND)
    assert session.url_for("/apps") is session.url_for("/apps")
    assert str(session.url_for("/apps/a%2Fb")) == "https://example.com/base/apps/a%2Fb"
    for index in range(transport_module._URL_CACHE_SIZE + 5):
        session.url_for(f"/apps/{index}")
    assert len(session._urls) <= transport_module._URL_CACHE_SIZE
    url_type = importlib.import_module("yarl").URL if BACKEND == "aiohttp" else httpx.URL
    assert isinstance(session.url_for("/apps"), url_type)
    await session.aclose()


def test_auto_skips_aiohttp_under_trio(monkeypatch: pytest.MonkeyPatch) -> None:
    """aiohttp runs on asyncio only: a client built under trio gets httpx2 or httpx."""
    monkeypatch.setattr(transport_module, "_AUTO_ORDER", transport_module.BACKENDS)
    monkeypatch.setattr(transport_module, "_under_trio", lambda: True)
    assert AsyncCodePush(ACCESS_KEY, SERVER).backend == AVAILABLE[0]
    if "aiohttp" in INSTALLED:
        pinned = AsyncCodePush(ACCESS_KEY, SERVER, backend="aiohttp")._requester.state.http._session
        with pytest.raises(RuntimeError, match="asyncio only"):
            pinned._open()  # type: ignore[union-attr]
