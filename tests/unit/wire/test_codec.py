"""The wire layer's codec: requests built from the dialect tables, answers unwrapped.

Mostly without a client or I/O; the decode errors of answers without their value go
through a client on a mock transport.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from codepush_async import AsyncCodePush, ResponseDecodeError
from codepush_async._exceptions import UnsupportedOperationError
from codepush_async._wire.codec import MISSING, WireResponse, build_request, unwrap_response
from codepush_async._wire.dialects import CLASSIC, Dialect, Route
from tests._backend import httpx
from tests.conftest import Recorder

# --- requests ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "encoded"),
    [
        ("My App", "My%20App"),
        ("a#b", "a%23b"),
        ("owner@example.com:MyApp", "owner%40example.com%3AMyApp"),
        ("a/b?c", "a%2Fb%3Fc"),
        ("100%", "100%25"),
        ("Ünïcödé", "%C3%9Cn%C3%AFc%C3%B6d%C3%A9"),
    ],
    ids=["space", "hash", "at-colon", "slash-query", "percent", "non-ascii"],
)
def test_every_path_segment_is_percent_encoded(name: str, encoded: str) -> None:
    request = build_request(CLASSIC, "deployments.get", {"app": name, "deployment": name})
    assert request.path == f"/apps/{encoded}/deployments/{encoded}"


def test_params_named_as_body_params_travel_in_the_wrapped_body() -> None:
    request = build_request(
        CLASSIC,
        "releases.patch",
        {"app": "a", "deployment": "d", "label": "v2"},
        {"rollout": 10},
    )
    assert request.path == "/apps/a/deployments/d/release"
    assert request.content == b'{"packageInfo":{"label":"v2","rollout":10}}'
    assert dict(request.headers)["Content-Type"] == "application/json;charset=UTF-8"


def test_no_body_means_no_content_type() -> None:
    request = build_request(CLASSIC, "apps.list", headers={"Accept": "x"})
    assert request.content == b""
    assert dict(request.headers) == {"Accept": "x"}


def test_non_ascii_json_is_utf8() -> None:
    request = build_request(CLASSIC, "apps.create", body={"name": "Café ☕"})
    assert request.content == '{"name":"Café ☕"}'.encode()


def test_a_second_dialect_is_just_a_table() -> None:
    other = Dialect(
        name="other",
        base_path="/api/v1",
        routes={"releases.patch": Route("PATCH", "/apps/{app}/deployments/{deployment}/releases/"
                                                 "{label}", unwrap=None)},
    )
    request = build_request(
        other, "releases.patch", {"app": "a", "deployment": "d", "label": "v2"}, {"rollout": 10}
    )
    assert request.path == "/api/v1/apps/a/deployments/d/releases/v2"
    assert request.content == b'{"rollout":10}'
    with pytest.raises(UnsupportedOperationError, match=r"apps\.list is not supported by the 'other'"):
        build_request(other, "apps.list")


class Stream:
    content_type = "multipart/form-data; boundary=b"
    length = 1234

    async def stream(self) -> AsyncIterator[bytes]:
        yield b""


def test_a_streamed_body_gets_its_type_and_exact_length() -> None:
    request = build_request(CLASSIC, "releases.release", {"app": "A", "deployment": "S"},
                            headers={"Accept": "x"}, stream=Stream())
    assert request.operation == "releases.release"
    assert request.headers == (
        ("Accept", "x"),
        ("Content-Type", "multipart/form-data; boundary=b"),
        ("Content-Length", "1234"),
    )


def test_a_json_body_gets_the_json_type() -> None:
    request = build_request(CLASSIC, "apps.create", body={"name": "Ünï"})
    assert request.operation == "apps.create"
    assert dict(request.headers) == {"Content-Type": "application/json;charset=UTF-8"}
    assert request.content == '{"name":"Ünï"}'.encode()


def test_programming_errors_say_what_is_wrong() -> None:
    with pytest.raises(AssertionError, match=r"^missing path parameter 'app' for /apps/\{app\}$"):
        build_request(CLASSIC, "apps.get", {})
    with pytest.raises(AssertionError, match=r"^apps.create: a streamed body cannot also carry"):
        build_request(CLASSIC, "apps.create", body={"name": "A"}, stream=Stream())


def test_missing_reads_as_missing() -> None:
    assert repr(MISSING) == "MISSING"


def test_the_wire_layer_refuses_a_path_parameter_that_is_not_text() -> None:
    """The last guard, for a resource that forgot to check its argument."""
    with pytest.raises(ValueError, match=r"^app must be a string, got int$"):
        build_request(CLASSIC, "apps.get", {"app": 42})  # type: ignore[dict-item]


# --- answers -------------------------------------------------------------------------------


def test_unwrap_tolerates_empty_and_text_answers() -> None:
    route = CLASSIC.routes["apps.transfer"]
    assert unwrap_response(route, WireResponse(201, {}, b"Created")) is None
    patch = CLASSIC.routes["releases.patch"]
    assert unwrap_response(patch, WireResponse(204, {}, b"")) is None
    assert unwrap_response(patch, WireResponse(200, {}, b'{"package":{"label":"v1"}}')) == {
        "label": "v1"
    }


@pytest.mark.anyio
async def test_a_success_without_its_value_names_the_field_and_shows_the_body(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(200, json_body={"msg": "ok"})
    with pytest.raises(ResponseDecodeError) as caught:
        await cp.deployments.get("A", "Staging")
    error = caught.value
    assert error.message == (
        "Unexpected response from the server: required field missing at $.deployment "
        """(the body was '{"msg": "ok"}')"""
    )
    assert (error.status_code, error.field) == (200, "$.deployment")


@pytest.mark.anyio
@pytest.mark.parametrize(("length", "shown"), [(80, 80), (81, 83)])
async def test_the_body_shown_is_cut_at_eighty_characters(
    cp: AsyncCodePush, recorder: Recorder, length: int, shown: int
) -> None:
    recorder.reply(200, text="y" * length)
    with pytest.raises(ResponseDecodeError) as caught:
        await cp.deployments.get("A", "Staging")
    preview = caught.value.message.split("(the body was ", 1)[1][1:-2]
    assert len(preview) == shown
    assert preview.endswith("y" if length == 80 else "y...")


@pytest.mark.anyio
async def test_a_body_that_is_not_utf8_is_shown_readably(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder._replies.append(httpx.Response(200, content=b" \xffok "))
    with pytest.raises(ResponseDecodeError) as caught:
        await cp.deployments.get("A", "Staging")
    assert caught.value.message.endswith("(the body was '\ufffdok')")
