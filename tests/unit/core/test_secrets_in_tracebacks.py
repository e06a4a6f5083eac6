"""No secret in what a traceback renderer prints (``--showlocals``, rich, Sentry).

Each path that holds a secret is made to fail, then every exception of the chain and
every local of every SDK frame is rendered and searched (``tests/_tracebacks.py``): the
signing private key (bad, damaged or fine, by each entry point), a new access key's
secret in a malformed create answer, and the access key echoed in a server's answer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from rich.pretty import pretty_repr

import codepush_async
from codepush_async import (
    AccessKey,
    AsyncCodePush,
    CodePushError,
    ConflictError,
    ResponseDecodeError,
    prepare_release,
    verify_release,
)
from codepush_async._core.outcome import Answer
from codepush_async._wire.codec import WireResponse
from tests._backend import httpx
from tests._tracebacks import frames_seen, leaks, needles
from tests._tracebacks import shown as renderings
from tests.conftest import ACCESS_KEY, SERVER, FakeClock, Recorder

pytestmark = pytest.mark.anyio

APP, DEP = "Signed", "Staging"
NEW_SECRET = "NEWSECRET-0123456789abcdef"  # a module constant: no test frame holds it

_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PRIVATE = _RSA.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
)
PUBLIC = _RSA.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)
_LINES = PRIVATE.splitlines()
DAMAGED = b"\n".join([*_LINES[:5], _LINES[5][::-1], *_LINES[6:]]) + b"\n"  # armour intact
BARE = b"".join(_LINES[1:-1])  # the base64 body without its BEGIN/END lines
EC_KEY = ec.generate_private_key(ec.SECP256R1()).private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
)
ENCRYPTED = _RSA.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
    serialization.BestAvailableEncryption(b"passphrase"),
)
BAD_KEYS = {"damaged": DAMAGED, "bare": BARE, "ec": EC_KEY, "encrypted": ENCRYPTED}
FORMS: dict[str, Callable[[bytes, Path], Any]] = {
    "str": lambda pem, _: pem.decode(),
    "bytes": lambda pem, _: pem,
    "bytearray": lambda pem, _: bytearray(pem),
    "memoryview": lambda pem, _: memoryview(pem),
    "path": lambda pem, tmp: _write(tmp / "key.pem", pem),
    "path str": lambda pem, tmp: str(_write(tmp / "key.pem", pem)),
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _bundle(tmp_path: Path) -> Path:
    root = tmp_path / "build"
    root.mkdir()
    (root / "main.jsbundle").write_text("console.log(1)")
    return root


def _client(handler: Callable[[httpx.Request], httpx.Response], **options: Any) -> AsyncCodePush:
    return AsyncCodePush(ACCESS_KEY, SERVER, transport=httpx.MockTransport(handler),
                         retry=None, clock=FakeClock(), flavor="official", **options)


def _unexpected(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"unexpected request {request.method} {request.url}")


async def _caught(call: Callable[[], Awaitable[Any]]) -> BaseException:
    try:
        await call()
    except Exception as error:
        return error
    raise AssertionError("the call did not fail")


def _assert_hidden(error: BaseException, *secrets: str | bytes) -> None:
    found = leaks(error, *secrets)
    assert not found, f"the secret shows in {found}"


# The private key: an entry point given a bad key fails before any request...

async def _release(key: Any, bundle: Path) -> Any:
    async with _client(_unexpected) as cp:
        return await cp.releases.release(APP, DEP, bundle, "1.0.0", private_key=key)


async def _prepare(key: Any, bundle: Path) -> Any:
    async with prepare_release(bundle, private_key=key):
        pass


async def _bulk(key: Any, bundle: Path) -> Any:
    async with _client(_unexpected) as cp:
        return await cp.bulk.release([APP], DEP, bundle, "1.0.0", private_key=key)


ENTRY_POINTS = {"releases.release": _release, "prepare_release": _prepare, "bulk.release": _bulk}


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize("bad", list(BAD_KEYS))
async def test_a_bad_private_key_stays_out_of_the_traceback(
    entry: str, form: str, bad: str, tmp_path: Path
) -> None:
    pem = BAD_KEYS[bad]
    key = FORMS[form](pem, tmp_path)
    error = await _caught(lambda: ENTRY_POINTS[entry](key, _bundle(tmp_path)))
    assert isinstance(error, ValueError), repr(error)
    assert "private_key" in str(error)
    assert "_load" in frames_seen(error)  # the search went down to the key's loading
    _assert_hidden(error, pem)


# ...and a good key stays hidden when what follows it fails.

async def test_a_release_signed_with_a_good_key_that_fails_hides_the_key(tmp_path: Path) -> None:
    recorder = Recorder()
    recorder.reply(409, text="the release is identical to the current release")
    async with _client(recorder) as cp:
        error = await _caught(lambda: cp.releases.release(
            APP, DEP, _bundle(tmp_path), "1.0.0", private_key=PRIVATE.decode()))
    assert isinstance(error, ConflictError)
    assert "ReleasesResource.release" in frames_seen(error)
    _assert_hidden(error, PRIVATE)


async def test_a_failure_inside_prepare_release_hides_the_key(tmp_path: Path) -> None:
    error = await _caught(lambda: _prepare_too_big(tmp_path))
    assert "prepare_release" in frames_seen(error)
    _assert_hidden(error, PRIVATE)


async def _prepare_too_big(tmp_path: Path) -> None:
    async with prepare_release(_bundle(tmp_path), private_key=PRIVATE, max_package_size=10):
        pass


async def test_a_bulk_release_refused_for_another_option_hides_the_key(tmp_path: Path) -> None:
    async with _client(_unexpected) as cp:
        error = await _caught(lambda: cp.bulk.release(
            [APP], DEP, _bundle(tmp_path), "1.0.0", private_key=PRIVATE.decode(),
            description=5))
    assert isinstance(error, ValueError)
    assert "Bulk.release" in frames_seen(error)
    _assert_hidden(error, PRIVATE)


@pytest.mark.parametrize("form", list(FORMS))
async def test_a_key_in_any_form_still_signs(form: str, tmp_path: Path) -> None:
    """Holding the key in a redacting value changes nothing in what is signed."""
    async with prepare_release(_bundle(tmp_path), private_key=FORMS[form](PRIVATE, tmp_path),
                               clock=FakeClock()) as prepared:
        assert isinstance(prepared.contents, Path)
        assert await verify_release(prepared.contents, PUBLIC)


# A new access key's secret in a malformed create answer.

NEW_KEY_ANSWERS: list[tuple[str, Any]] = [
    ("classic", {"accessKey": {"name": NEW_SECRET, "friendlyName": "ci", "expires": "soon"}}),
    ("classic", {"accessKey": {"name": NEW_SECRET, "friendlyName": "ci", "isSession": "yes"}}),
    ("classic", {"accessKey": {"name": NEW_SECRET, "friendlyName": "ci", "createdTime": []}}),
    ("classic", {"accessKey": {"name": NEW_SECRET, "friendlyName": 7}}),
    ("classic", {"accessKey": {"name": NEW_SECRET}}),
    ("classic", {"accessKey": NEW_SECRET}),
    ("classic", {"accessKey": [NEW_SECRET]}),
    ("classic", {"accessKey": {"name": [NEW_SECRET], "friendlyName": "ci"}}),
    ("v1", {"accessToken": NEW_SECRET, "expires": "soon"}),
    ("v1", {"accessToken": NEW_SECRET, "description": 3}),
    ("v1", [NEW_SECRET]),
    ("v1", NEW_SECRET),
]


async def _create(dialect: str, body: Any) -> BaseException:
    answer = json.dumps(body).encode()
    async with _client(lambda request: httpx.Response(201, content=answer),
                       dialect=dialect) as cp:
        return await _caught(lambda: cp.tokens.create("ci"))


@pytest.mark.parametrize(("dialect", "body"), NEW_KEY_ANSWERS)
async def test_a_malformed_new_key_answer_keeps_the_secret_out_of_the_traceback(
    dialect: str, body: Any
) -> None:
    error = await _create(dialect, body)
    assert isinstance(error, ResponseDecodeError), repr(error)
    assert "Secret" not in str(error)  # the message names JSON types, not ours
    assert "TokensResource.create" in frames_seen(error)
    _assert_hidden(error, NEW_SECRET)


WRONG_VALUES = st.one_of(
    st.integers(), st.booleans(), st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.text(max_size=8).filter(lambda s: not s.isdigit()),
)
CLASSIC_FIELDS = ["friendlyName", "createdTime", "expires", "createdBy", "description",
                  "isSession", "id"]
V1_FIELDS = ["friendlyName", "createdTime", "expires", "createdBy", "description", "id"]


async def _created(dialect: str, body: Any) -> AccessKey | BaseException:
    answer = json.dumps(body).encode()
    async with _client(lambda request: httpx.Response(201, content=answer),
                       dialect=dialect) as cp:
        try:
            return await cp.tokens.create("ci")
        except Exception as error:
            return error


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    dialect=st.sampled_from(["classic", "v1"]),
    fields=st.dictionaries(st.sampled_from(CLASSIC_FIELDS), WRONG_VALUES, min_size=1,
                           max_size=3),
)
@example(dialect="classic", fields={"expires": "soon"})
@example(dialect="v1", fields={"friendlyName": [1]})
def test_any_new_key_answer_keeps_the_secret_out(dialect: str, fields: dict[str, Any]) -> None:
    """Whichever fields of the answer do not fit, the secret shows nowhere; when they all
    fit, the key is decoded and hidden all the same."""
    if dialect == "v1":
        fields = {k: v for k, v in fields.items() if k in V1_FIELDS}
        body: Any = {"accessToken": NEW_SECRET, **fields}
    else:
        body = {"accessKey": {"name": NEW_SECRET, **fields}}
    result = anyio.run(_created, dialect, body)
    if isinstance(result, AccessKey):
        assert result.key == NEW_SECRET
        assert NEW_SECRET not in repr(result.to_dict()) + pretty_repr(result)
        return
    assert isinstance(result, ResponseDecodeError), repr(result)
    assert "Secret" not in str(result)  # the message names JSON types, not ours
    _assert_hidden(result, NEW_SECRET)


async def test_a_new_key_is_a_redacting_value_once_decoded() -> None:
    answer = {"accessKey": {"name": NEW_SECRET, "friendlyName": "ci", "createdBy": "me"}}
    async with _client(lambda request: httpx.Response(201, json=answer)) as cp:
        key = await cp.tokens.create("ci")
    assert key.key == NEW_SECRET  # the value is unchanged...
    assert (key.name, key.created_by) == ("ci", "me")
    assert [type(key.name), type(key.created_by)] == [str, str]  # only the secret hides
    for shown in (repr(key), repr(key.to_dict()), pretty_repr(key), pretty_repr(key.to_dict()),
                  repr(key.key), pretty_repr(key.key, max_string=8)):
        assert NEW_SECRET[:8] not in shown, shown
    assert json.loads(json.dumps(key.to_dict()))["key"] == NEW_SECRET


# The access key echoed in a server's answer.

ECHOES: list[tuple[str, int, bytes, Callable[[AsyncCodePush], Awaitable[Any]]]] = [
    ("401 text", 401, b"Unauthorized: no such key " + ACCESS_KEY.encode(),
     lambda cp: cp.apps.list()),
    ("401 json", 401, json.dumps({"message": f"bad key {ACCESS_KEY}"}).encode(),
     lambda cp: cp.apps.get("A")),
    ("500 html", 500, f"<pre>Bearer {ACCESS_KEY}</pre>".encode(), lambda cp: cp.apps.create("A")),
    ("400 v1 envelope", 400, json.dumps(
        {"error": {"code": "InvalidParameter", "message": ACCESS_KEY,
                   "details": {"parameter": ACCESS_KEY, "reason": ACCESS_KEY}}}).encode(),
     lambda cp: cp.apps.create("A")),
    ("201 without envelope", 201, f"ok {ACCESS_KEY}".encode(), lambda cp: cp.apps.create("A")),
]


@pytest.mark.parametrize(("status", "body", "call"), [e[1:] for e in ECHOES],
                         ids=[e[0] for e in ECHOES])
async def test_an_access_key_echoed_by_the_server_stays_out_of_the_traceback(
    status: int, body: bytes, call: Callable[[AsyncCodePush], Awaitable[Any]]
) -> None:
    async with _client(lambda request: httpx.Response(status, content=body)) as cp:
        error = await _caught(lambda: call(cp))
    assert isinstance(error, CodePushError), repr(error)
    _assert_hidden(error, ACCESS_KEY)
    for value in vars(error).values():  # body, headers, field errors...
        assert ACCESS_KEY not in repr(value)


async def test_an_echoed_key_stays_out_after_the_retries_run_out() -> None:
    from codepush_async import RetryPolicy

    body = f"overloaded, key {ACCESS_KEY}".encode()
    async with _client(lambda request: httpx.Response(503, content=body),
                       ) as cp:
        retrying = cp.with_options(retry=RetryPolicy(max_attempts=3, jitter=0.0))
        error = await _caught(lambda: retrying.apps.list())
    assert "Requester.call" in frames_seen(error)
    _assert_hidden(error, ACCESS_KEY)


SPELLINGS: dict[str, Callable[[str], str]] = {
    "as is": lambda key: key,
    "JSON-escaped": lambda key: json.dumps(key)[1:-1],
    "JSON-escaped, \\/": lambda key: json.dumps(key)[1:-1].replace("/", "\\/"),
    "percent-encoded": lambda key: quote(key, safe=""),
}
_KEY = "\x00"  # where the spelled key goes in a body
BODIES = {
    "text": f"no such key {_KEY}",
    "message": json.dumps({"message": f"bad key {_KEY}"}),
    "v1": json.dumps({"error": {"code": _KEY, "message": _KEY,
                                "details": {"parameter": _KEY, "reason": _KEY}}}),
    "fields": json.dumps([{"field": _KEY, "message": _KEY}]),
}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    key=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=6,
                max_size=30).map(lambda tail: f"sk-{tail}"),
    spelling=st.sampled_from(list(SPELLINGS)),
    shape=st.sampled_from(list(BODIES)),
    status=st.sampled_from([400, 401, 403, 404, 409, 429, 500, 503]),
)
def test_an_echoed_key_is_hidden_however_the_body_spells_it(
    key: str, spelling: str, shape: str, status: int
) -> None:
    spelled = SPELLINGS[spelling](key)
    # Unescaped in JSON, a backslash would be an escape: that reads as another text.
    assume(shape == "text" or spelled == json.dumps(spelled)[1:-1] or spelling != "as is")
    body = BODIES[shape].replace(json.dumps(_KEY)[1:-1], spelled).replace(_KEY, spelled).encode()

    async def call() -> BaseException:
        async with AsyncCodePush(key, SERVER, retry=None, clock=FakeClock(), flavor="official",
                                 transport=httpx.MockTransport(
                                     lambda request: httpx.Response(status, content=body))) as cp:
            return await _caught(lambda: cp.apps.get("A"))

    error = anyio.run(call)
    assert isinstance(error, CodePushError), repr(error)
    found = [where for where, text in renderings(error) if key in text or spelled in text]
    found += [name for name, value in vars(error).items()
              if key in repr(value) or spelled in repr(value)]
    assert not found, found


def test_response_reprs_never_show_bodies() -> None:
    body = b'{"accessKey": {"name": "' + NEW_SECRET.encode() + b'"}}'
    response = WireResponse(201, {"content-type": "application/json"}, body)
    answer = Answer({"name": NEW_SECRET}, "$.accessKey", 201, body)
    for value in (response, answer):
        for shown in (repr(value), pretty_repr(value), str(value)):
            assert NEW_SECRET not in shown, shown
    assert "201" in repr(response)


# End to end: what ``pytest --showlocals`` prints of a failing test of each path.

INNER_TESTS = '''
import json, os
import anyio, httpx
from codepush_async import AsyncCodePush

def client(status, body, **options):
    handler = lambda request: httpx.Response(status, content=body())
    return AsyncCodePush(os.environ["CP_KEY"], "https://cp.example", retry=None,
                         transport=httpx.MockTransport(handler), flavor="official", **options)

def test_damaged_private_key(tmp_path):
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "main.jsbundle").write_text("1")
    async def main():
        async with client(201, bytes) as cp:
            await cp.releases.release("A", "P", tmp_path / "build", "1.0.0",
                                      private_key=os.environ["CP_PEM"])
    anyio.run(main)

def test_malformed_new_key():
    body = lambda: json.dumps({"accessKey": {"name": os.environ["CP_NEW"], "expires": "x"}}).encode()
    async def main():
        async with client(201, body) as cp:
            await cp.tokens.create("ci")
    anyio.run(main)

def test_echoed_access_key():
    async def main():
        async with client(401, lambda: ("bad key " + os.environ["CP_KEY"]).encode()) as cp:
            await cp.apps.list()
    anyio.run(main)
'''


def test_pytest_showlocals_shows_none_of_the_secrets(tmp_path: Path) -> None:
    (tmp_path / "test_inner.py").write_text(INNER_TESTS)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--showlocals", "--tb=long", "-p", "no:cacheprovider",
         "-p", "no:randomly", "test_inner.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "CP_KEY": ACCESS_KEY, "CP_PEM": DAMAGED.decode(),
             "CP_NEW": NEW_SECRET, "PYTHONPATH": str(Path(codepush_async.__file__).parents[1])},
    )
    out = result.stdout + result.stderr
    assert "3 failed" in out, out
    for shown in ("pem        = b'***'", "ResponseDecodeError", "UnauthorizedError"):
        assert shown in out, shown  # the locals were printed...
    found = [n for n in [*needles(DAMAGED), ACCESS_KEY, NEW_SECRET] if n in out]
    assert not found, found  # ...without a secret
