"""The access key stays out of tracebacks with locals; a new key's secret out of errors."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from codepush_async import AsyncCodePush, CodePushError, ResponseDecodeError
from tests._backend import httpx

pytestmark = pytest.mark.anyio

# Module constants, not locals, so the test's own frame does not hold them.
KEY = "sk-LOCALS-0123456789abcdef"
BAD_KEY = "sk-LOCALS-\u00e9\u00e9-0123456789"
NEW_SECRET = "NEWSECRET-0123456789abcdef"
SERVER = "https://codepush.example.com"


def _render(error: BaseException) -> str:
    """What Sentry-like reporters see: the whole chain, with every frame's locals."""
    exc = traceback.TracebackException.from_exception(error, capture_locals=True)
    return "".join(exc.format())


def _answer(status: int, body: bytes = b"") -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(status, content=body)


def _refuse(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


FAILING: list[tuple[str, Callable[[httpx.Request], httpx.Response], Callable[..., Awaitable[Any]]]] = [
    ("404", _answer(404, b"App not found"), lambda cp: cp.apps.get("A")),
    ("500", _answer(500, b"boom"), lambda cp: cp.apps.create("A")),
    ("429", _answer(429, b"slow down"), lambda cp: cp.releases.rollback("A", "P")),
    ("no connection", _refuse, lambda cp: cp.apps.list()),
    ("write lost", lambda r: (_ for _ in ()).throw(httpx.ReadError("reset", request=r)),
     lambda cp: cp.apps.create("A")),
]


@pytest.mark.parametrize(("what", "handler", "call"), FAILING, ids=[f[0] for f in FAILING])
async def test_traceback_locals_of_a_failing_call_hide_the_key(
    what: str,
    handler: Callable[[httpx.Request], httpx.Response],
    call: Callable[..., Awaitable[Any]],
) -> None:
    async with AsyncCodePush(KEY, SERVER, transport=httpx.MockTransport(handler), retry=None,
                             flavor="official") as cp:
        with pytest.raises(CodePushError) as info:
            await call(cp)
    text = _render(info.value)
    assert "request = WireRequest(" in text  # the locals were rendered...
    assert KEY not in text  # ...without the key
    assert "('Authorization', '***')" in text


def test_traceback_locals_of_a_refused_construction_hide_the_key() -> None:
    for make in (lambda: AsyncCodePush(KEY, "ftp://codepush.example.com"),
                 lambda: AsyncCodePush(KEY, SERVER, headers={"Authorization": "x"}),
                 lambda: AsyncCodePush(BAD_KEY, SERVER)):
        with pytest.raises(ValueError, match="must") as info:
            make()
        text = _render(info.value)
        assert "access_key = '***'" in text
        assert "sk-LOCALS" not in text


def test_pytest_showlocals_of_a_failing_call_hides_the_key(tmp_path: Path) -> None:
    (tmp_path / "test_inner.py").write_text(textwrap.dedent("""
        import os
        import anyio, httpx
        from codepush_async import AsyncCodePush

        def test_fails():
            async def main():
                handler = lambda request: httpx.Response(404, text="App not found")
                async with AsyncCodePush(os.environ["CP_KEY"], "https://cp.example", retry=None,
                                         transport=httpx.MockTransport(handler),
                                         flavor="official") as cp:
                    await cp.apps.get("A")
            anyio.run(main)
    """))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--showlocals", "--tb=long", "-p", "no:cacheprovider",
         "test_inner.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "CP_KEY": KEY},
    )
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "NotFoundError" in out
    assert "request    = WireRequest(" in out
    assert KEY not in out


NEW_KEY_ANSWERS: list[tuple[str, bytes]] = [
    ("classic", b'{"key": "%s"}' % NEW_SECRET.encode()),
    ("classic", b'{"accessKey": {"name": "%s", "friendlyName": "ci", "expires": "x%s"}}'
     % (NEW_SECRET.encode(), NEW_SECRET.encode())),
    ("classic", b'{"accessKey": {"name": "%s", "friendlyName": "ci", "isSession": "%s"}}'
     % (NEW_SECRET.encode(), NEW_SECRET.encode())),
    ("classic", b'{"accessKey": {"name": "%s", "friendlyName": "ci", "createdTime": "%s"}}'
     % (NEW_SECRET.encode(), NEW_SECRET.encode())),
    ("classic", b'{"accessKey": "%s"}' % NEW_SECRET.encode()),
    ("v1", b'{"accessToken": "%s", "expires": "%s"}' % (NEW_SECRET.encode(), NEW_SECRET.encode())),
    ("v1", b'["%s"]' % NEW_SECRET.encode()),
]


async def test_a_decode_error_on_tokens_create_never_quotes_the_new_secret() -> None:
    for dialect, body in NEW_KEY_ANSWERS:
        async with AsyncCodePush(KEY, SERVER, transport=httpx.MockTransport(_answer(201, body)),
                                 retry=None, flavor="official", dialect=dialect) as cp:
            with pytest.raises(ResponseDecodeError) as info:
                await cp.tokens.create("ci")
        error = info.value
        assert NEW_SECRET not in str(error), body
        assert NEW_SECRET not in repr(error), body
        assert NEW_SECRET not in repr(error.args)
