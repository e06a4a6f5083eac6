"""The wire layer's edges: streamed bodies, programming errors, answers without a value."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from codepush_async import AsyncCodePush, ResponseDecodeError
from codepush_async._wire.codec import MISSING, build_request
from codepush_async._wire.dialects import CLASSIC
from tests._backend import httpx
from tests.conftest import Recorder


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


def test_the_wire_layer_refuses_a_path_parameter_that_is_not_text() -> None:
    """The last guard, for a resource that forgot to check its argument."""
    with pytest.raises(ValueError, match=r"^app must be a string, got int$"):
        build_request(CLASSIC, "apps.get", {"app": 42})  # type: ignore[dict-item]


@pytest.mark.anyio
@pytest.mark.parametrize("name", ["a\ud800b", "\udfff"])
async def test_a_name_with_a_lone_surrogate_is_refused_before_any_request(
    cp: AsyncCodePush, recorder: Recorder, name: str
) -> None:
    with pytest.raises(ValueError, match=r"^deployment must be valid Unicode text$"):
        await cp.deployments.get("App", name)
    assert recorder.requests == []
