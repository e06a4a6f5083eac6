"""Bad arguments of an operation are refused with an error naming them, before any request.

The path-parameter table and property run over every operation of both dialects: whatever
the name, the request goes to the operation's own route. The other checks sit at their
boundaries: what is just accepted and what is just refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codepush_async import AsyncCodePush, PackageInfo
from codepush_async._core.transport import HttpSession
from codepush_async._wire.codec import build_request
from codepush_async._wire.dialects import DIALECTS
from tests._backend import BACKEND, httpx
from tests.conftest import ACCESS_KEY, SERVER, Recorder
from tests.payloads import PACKAGE_WIRE

# --- path parameters ------------------------------------------------------------------

PATH_OPERATIONS = [
    (dialect.name, operation)
    for dialect in DIALECTS.values()
    for operation, route in sorted(dialect.routes.items())
    if "{" in route.path
]
DOT_SEGMENTS = ["", ".", ".."]
# Names that look dangerous but are one segment once encoded (they must go through as-is).
ODD_NAMES = [
    "...", ". ", " .", "..a", "a..", "%2e", "%2e%2e", ".%2e", "%2E%2E", "a/../b", "../x", "./",
    "/", "//", "?", "#", "?x=1", "#frag", "\\", "..\\..", "%", "%25", "%2F", " ", "a b", "trail ",
    ";", ".;", "..;", "é", "名前", "\u202e", "\ufeff..", "+", "&", "@", ":", "a:b", "~", "*",
]
_HTTP = HttpSession(SERVER, backend=BACKEND)


def _request_target(url: Any) -> bytes:
    """The path the backend puts on the request line for ``url``."""
    if BACKEND == "aiohttp":
        return str(url.raw_path_qs).encode("ascii")  # a yarl URL, sent as it is
    return bytes(httpx.Request("GET", url).url.raw_path)


def _params_of(dialect: str, operation: str) -> list[str]:
    path = DIALECTS[dialect].routes[operation].path
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def _assert_routed(dialect_name: str, operation: str, values: dict[str, str]) -> None:
    """The URL httpx would send has the route's shape, each value exactly one segment."""
    dialect = DIALECTS[dialect_name]
    route = dialect.routes[operation]
    bad = [name for name, value in values.items() if value in DOT_SEGMENTS]
    if bad:
        with pytest.raises(ValueError, match=f"^({'|'.join(bad)}) must not be") as info:
            build_request(dialect, operation, values)
        assert "route" in str(info.value)
        return
    request = build_request(dialect, operation, values)
    assert not any(value in DOT_SEGMENTS for value in values.values()), values
    raw = _request_target(_HTTP.url_for(request.path))
    segments = raw.decode("ascii").split("/")
    template = (dialect.base_path + route.path).split("/")
    assert len(segments) == len(template), (raw, template)
    for sent, expected in zip(segments, template, strict=True):
        if expected.startswith("{"):
            assert sent not in (".", ".."), raw
            assert unquote(sent, errors="strict") == values[expected[1:-1]]
        else:
            assert sent == expected, raw


def test_path_table_every_operation_every_dialect() -> None:
    """Each parameter of each operation, given each dot segment and odd name."""
    tried = 0
    for dialect, operation in PATH_OPERATIONS:
        for param in _params_of(dialect, operation):
            for value in DOT_SEGMENTS + ODD_NAMES:
                values = dict.fromkeys(_params_of(dialect, operation), "ok")
                values[param] = value
                _assert_routed(dialect, operation, values)
                tried += 1
    assert tried == sum(len(_params_of(*op)) for op in PATH_OPERATIONS) * len(DOT_SEGMENTS + ODD_NAMES)


@pytest.mark.parametrize(("dialect", "operation"), PATH_OPERATIONS)
@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_no_name_redirects_an_operation(dialect: str, operation: str, data: st.DataObject) -> None:
    names = st.one_of(st.sampled_from(DOT_SEGMENTS + ODD_NAMES), st.text(), st.text("./%\\?#"))
    values = {param: data.draw(names, label=param) for param in _params_of(dialect, operation)}
    _assert_routed(dialect, operation, values)


# --- names and dot segments ----------------------------------------------------------------


async def _no_request(
    recorder: Recorder, call: Callable[[AsyncCodePush], Awaitable[Any]], **options: Any
) -> ValueError:
    async with AsyncCodePush(
        ACCESS_KEY, SERVER, transport=httpx.MockTransport(recorder), retry=None, **options
    ) as cp:
        with pytest.raises(ValueError, match="must") as info:
            await call(cp)
    assert recorder.requests == []
    return info.value


DOT_CALLS: list[tuple[str, Callable[[AsyncCodePush], Awaitable[Any]], str]] = [
    ("remove deployment ..", lambda cp: cp.deployments.remove("A", ".."), "name"),
    ("get app ..", lambda cp: cp.apps.get(".."), "name"),
    ("remove app .", lambda cp: cp.apps.remove("."), "name"),
    ("clear history .", lambda cp: cp.releases.clear_history("A", "."), "deployment"),
    ("rollback to ..", lambda cp: cp.releases.rollback("A", "P", ".."), "target_release"),
    ("promote to ..", lambda cp: cp.releases.promote("A", "S", ".."), "destination"),
    ("remove key ..", lambda cp: cp.tokens.remove(".."), "name"),
    ("patch label .", lambda cp: cp.releases.patch("A", "P", ".", rollout=5), "label"),
    ("remove session ..", lambda cp: cp.tokens.remove_session(".."), "machine_name"),
    ("metrics of ..", lambda cp: cp.deployments.metrics("..", "P"), "app"),
]


@pytest.mark.anyio
@pytest.mark.parametrize("flavor", ["auto", "community"])
@pytest.mark.parametrize(("what", "call", "arg"), DOT_CALLS, ids=[c[0] for c in DOT_CALLS])
async def test_dot_segments_refused_before_any_request(
    recorder: Recorder, what: str, call: Callable[[AsyncCodePush], Awaitable[Any]], arg: str,
    flavor: str,
) -> None:
    error = await _no_request(recorder, call, flavor=flavor)
    assert str(error).startswith(arg), error


@pytest.mark.anyio
@pytest.mark.parametrize("flavor", ["auto", "community"])
@pytest.mark.parametrize("target", ["", " ", "..", 5])
async def test_rollback_target_checked_before_the_flavor_probe(
    recorder: Recorder, flavor: str, target: Any
) -> None:
    error = await _no_request(recorder, lambda cp: cp.releases.rollback("A", "P", target),
                              flavor=flavor)
    assert "target_release" in str(error)


# The domain is what follows the last "@", so a stray trailing "@" leaves it empty.
@pytest.mark.anyio
@pytest.mark.parametrize(
    "email", ["@example.com", "someone@", "no-at-sign", "a b@example.com", "ops@example.com@"]
)
async def test_an_email_needs_something_on_both_sides_of_the_at(
    cp: AsyncCodePush, recorder: Recorder, email: str
) -> None:
    with pytest.raises(ValueError, match=f"email must be an e-mail address, got {email!r}"):
        await cp.collaborators.add("A", email)
    assert recorder.requests == []


@pytest.mark.anyio
async def test_an_email_check_names_the_argument(cp: AsyncCodePush) -> None:
    with pytest.raises(ValueError, match=r"^email must be a string, got int$"):
        await cp.collaborators.add("A", 42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^email must not contain control characters$"):
        await cp.apps.transfer("A", "x\x7f@example.com")


@pytest.mark.anyio
@pytest.mark.parametrize("char", ["\x00", "\x1f", "\x7f"], ids=["nul", "us", "del"])
async def test_names_with_nul_or_del_are_refused(cp: AsyncCodePush, char: str) -> None:
    with pytest.raises(ValueError, match=r"^name must not contain control characters$"):
        await cp.apps.create(f"My{char}App")


@pytest.mark.anyio
async def test_characters_past_del_are_fine_in_names(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(201, json_body={"app": {"name": "My\x80App"}})
    assert (await cp.apps.create("My\x80App")).name == "My\x80App"


@pytest.mark.anyio
@pytest.mark.parametrize("name", ["a\ud800b", "\udfff"], ids=["inner", "alone"])
async def test_a_name_with_a_lone_surrogate_is_refused_before_any_request(
    cp: AsyncCodePush, recorder: Recorder, name: str
) -> None:
    with pytest.raises(ValueError, match=r"^deployment must be valid Unicode text$"):
        await cp.deployments.get("App", name)
    assert recorder.requests == []


# --- the other arguments of an operation --------------------------------------------------

BAD_CALLS: list[tuple[str, Callable[[AsyncCodePush], Awaitable[Any]], str]] = [
    ("empty app name", lambda cp: cp.apps.create(""), "name must not be empty"),
    ("blank app name", lambda cp: cp.apps.get("   "), "name must not be empty"),
    ("non-string app name", lambda cp: cp.apps.get(42), "name must be a string, got int"),
    ("None app", lambda cp: cp.deployments.list(None), "app must be a string, got NoneType"),
    ("control char", lambda cp: cp.apps.get("a\nb"), "name must not contain control"),
    ("new name empty", lambda cp: cp.apps.rename("a", ""), "new_name must not be empty"),
    ("bad email", lambda cp: cp.collaborators.add("a", "not-an-email"), "email must be an e-mail"),
    ("transfer email", lambda cp: cp.apps.transfer("a", "x@"), "email must be an e-mail"),
    ("rollout 0", lambda cp: cp.releases.patch("a", "b", rollout=0), "rollout must be from 1 to 100"),
    ("rollout 101", lambda cp: cp.releases.promote("a", "b", "c", rollout=101),
     "rollout must be from 1 to 100"),
    ("rollout float", lambda cp: cp.releases.patch("a", "b", rollout=50.0),
     "rollout must be an integer"),
    ("rollout bool", lambda cp: cp.releases.patch("a", "b", rollout=True),
     "rollout must be an integer"),
    ("rollout str", lambda cp: cp.releases.patch("a", "b", rollout="50"),
     "rollout must be an integer"),
    ("is_mandatory str", lambda cp: cp.releases.patch("a", "b", is_mandatory="yes"),
     "is_mandatory must be True, False or None"),
    ("is_disabled int", lambda cp: cp.releases.promote("a", "b", "c", is_disabled=0),
     "is_disabled must be True, False or None"),
    ("empty patch", lambda cp: cp.releases.patch("a", "b", "v1"), "nothing to change"),
    ("empty label", lambda cp: cp.releases.patch("a", "b", "", rollout=5),
     "label must not be empty"),
    ("rollback target", lambda cp: cp.releases.rollback("a", "b", ""),
     "target_release must not be empty"),
    ("ttl zero on create", lambda cp: cp.tokens.create("ci", ttl=0), "ttl must be > 0"),
    ("ttl negative", lambda cp: cp.tokens.update("ci", ttl=-1), "ttl must be >= 0"),
    ("ttl str", lambda cp: cp.tokens.create("ci", ttl="1d"), "ttl must be milliseconds"),
    ("empty token update", lambda cp: cp.tokens.update("ci"), "nothing to change"),
    ("manual flag", lambda cp: cp.apps.create("a", manually_provision_deployments="yes"),
     "manually_provision_deployments must be True, False or None"),
    ("os type", lambda cp: cp.apps.create("a", os=1), "os must be a string or None"),
    ("flat metadata type", lambda cp: cp.promote("a", "b", "c", {"rollout": 5}),
     "update_metadata must be a PackageInfo"),
    ("flat label clash", lambda cp: cp.patch_release("a", "b", "v1", PackageInfo(label="v2")),
     "differs from label"),
    ("deployment key empty", lambda cp: cp.deployments.create("a", "b", key=""),
     "key must not be empty"),
]


@pytest.mark.anyio
@pytest.mark.parametrize(("label", "call", "message"), BAD_CALLS, ids=[c[0] for c in BAD_CALLS])
async def test_bad_input_raises_before_any_request(
    cp: AsyncCodePush, recorder: Recorder, label: str, call: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        await call(cp)
    assert recorder.requests == []


@pytest.mark.anyio
async def test_ttl_accepts_timedelta(cp: AsyncCodePush, recorder: Recorder) -> None:
    recorder.reply(201, json_body={"accessKey": {"name": "secret", "friendlyName": "ci"}})
    await cp.tokens.create("ci", ttl=timedelta(days=1))
    assert recorder.last.content == b'{"friendlyName":"ci","ttl":86400000}'


@pytest.mark.anyio
async def test_wrong_types_are_named_in_the_message(cp: AsyncCodePush) -> None:
    with pytest.raises(ValueError, match=r"^description must be a string or None, got int$"):
        await cp.releases.release("A", "S", b"x", "1.0.0", description=3)  # type: ignore[arg-type]
    with pytest.raises(
        ValueError, match=r"^ttl must be milliseconds \(int\) or a timedelta, got str$"
    ):
        await cp.tokens.create("ci", ttl="1d")  # type: ignore[arg-type]


def stored(data: bytes) -> dict[str, object]:
    """The answer of a server that stored ``data`` as it was sent."""
    return {"package": {**PACKAGE_WIRE, "packageHash": hashlib.sha256(data).hexdigest()}}


@pytest.mark.anyio
@pytest.mark.parametrize("rollout", [1, 100])
async def test_rollout_bounds_are_accepted(
    cp: AsyncCodePush, recorder: Recorder, rollout: int
) -> None:
    recorder.reply_history()
    recorder.reply(201, json_body=stored(b"bundle"))
    await cp.releases.release("A", "Staging", b"bundle", "1.0.0", rollout=rollout)
    assert f'"rollout":{rollout}'.encode() in recorder.last.content


@pytest.mark.anyio
@pytest.mark.parametrize("rollout", [0, 101, -1])
async def test_rollout_outside_one_to_a_hundred_is_refused(
    cp: AsyncCodePush, recorder: Recorder, rollout: int
) -> None:
    with pytest.raises(ValueError, match=f"rollout must be from 1 to 100, got {rollout}"):
        await cp.releases.release("A", "Staging", b"bundle", "1.0.0", rollout=rollout)
    assert recorder.requests == []


@pytest.mark.anyio
async def test_one_byte_is_a_valid_package_size_limit(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    assert AsyncCodePush(ACCESS_KEY, SERVER, max_package_size=1).max_package_size == 1
    recorder.reply_history()
    recorder.reply(201, json_body=stored(b"x"))
    await cp.releases.release("A", "Staging", b"x", "1.0.0", max_package_size=1)
    with pytest.raises(ValueError, match="over max_package_size"):
        await cp.releases.release("A", "Staging", b"xy", "1.0.0", max_package_size=1)
    assert [r.method for r in recorder.requests] == ["GET", "POST"]  # the first release only


@pytest.mark.anyio
@pytest.mark.parametrize("version", ["1.2.3-01", "1.x.2", "==1.2.3", "1.2.3-rc.007"])
async def test_release_with_a_range_the_server_refuses_sends_nothing(
    recorder: Recorder, version: str
) -> None:
    error = await _no_request(
        recorder, lambda cp: cp.releases.release("A", "P", b"bundle", version), flavor="auto"
    )
    assert "target_binary_version" in str(error)
