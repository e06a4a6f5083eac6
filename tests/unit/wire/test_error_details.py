"""What every error carries (headers, body, statuses) and how error bodies become messages."""

from __future__ import annotations

import json
from datetime import timezone
from typing import Any

import pytest

from codepush_async import (
    APIStatusError,
    AsyncCodePush,
    BadRequestError,
    ConflictError,
    FieldError,
    ForbiddenError,
    NotFoundError,
    PayloadTooLargeError,
    RateLimitError,
    ServerError,
    UnauthorizedError,
)
from tests._backend import httpx
from tests.conftest import FakeClock, Recorder

pytestmark = pytest.mark.anyio

TRACE = {"x-request-id": "req-42", "x-served-by": "edge-7"}


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, UnauthorizedError),
        (403, ForbiddenError),
        (404, NotFoundError),
        (409, ConflictError),
        (413, PayloadTooLargeError),
        (418, APIStatusError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServerError),
    ],
)
async def test_every_error_keeps_the_status_headers_and_body(
    cp: AsyncCodePush, recorder: Recorder, status: int, cls: type[APIStatusError]
) -> None:
    recorder.reply(status, text="the server's own words", headers=TRACE)

    with pytest.raises(cls) as caught:
        await cp.apps.list()

    error = caught.value
    assert type(error) is cls
    assert (error.status_code, error.http_status) == (status, status)
    assert error.headers["x-request-id"] == "req-42"
    assert error.headers["x-served-by"] == "edge-7"
    assert error.body == "the server's own words"
    assert error.message == "the server's own words"


async def test_a_community_406_keeps_its_real_status_headers_and_body(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(406, text="Something the server refused", headers=TRACE)

    with pytest.raises(BadRequestError) as caught:
        await cp.apps.list()

    error = caught.value
    assert (error.status_code, error.http_status) == (400, 406)
    assert error.headers["x-request-id"] == "req-42"
    assert error.body == "Something the server refused"


async def test_a_rate_limit_error_has_aware_reset_time_and_body(
    cp: AsyncCodePush, recorder: Recorder, clock: FakeClock
) -> None:
    recorder.reply(429, text="slow down", headers={
        "x-ratelimit-limit": "100", "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": str(int(clock.time) + 60), **TRACE})

    with pytest.raises(RateLimitError) as caught:
        await cp.apps.list()

    error = caught.value
    assert error.reset_at is not None
    assert error.reset_at.tzinfo is timezone.utc
    assert error.reset_at.timestamp() == int(clock.time) + 60
    assert (error.body, error.headers["x-request-id"]) == ("slow down", "req-42")


async def test_an_unknown_status_without_a_body_is_named_by_its_number(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(599, text="")
    with pytest.raises(ServerError) as caught:
        await cp.apps.list()
    assert caught.value.message == "HTTP 599"


async def test_a_body_that_is_not_utf8_is_still_a_readable_message(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder._replies.append(httpx.Response(400, content=b"bad \xff\xfe name"))
    with pytest.raises(BadRequestError) as caught:
        await cp.apps.list()
    assert caught.value.message == "bad \ufffd\ufffd name"
    assert caught.value.body == "bad \ufffd\ufffd name"


async def test_angle_brackets_in_a_plain_text_message_are_kept(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    text = "Use <app>/<deployment> names, not <b>markup</b>"
    recorder.reply(400, text=text)
    with pytest.raises(BadRequestError) as caught:
        await cp.apps.list()
    assert caught.value.message == text


@pytest.mark.parametrize(("length", "expected"), [(1000, 1000), (1001, 1003)])
async def test_long_messages_are_cut_at_a_thousand_characters(
    cp: AsyncCodePush, recorder: Recorder, length: int, expected: int
) -> None:
    recorder.reply(500, text="x" * length)
    with pytest.raises(ServerError) as caught:
        await cp.apps.list()
    message = caught.value.message
    assert len(message) == expected
    assert message.endswith("x" if length == 1000 else "x...")


async def test_plain_json_message_is_the_message(cp: AsyncCodePush, recorder: Recorder) -> None:
    recorder.reply(403, json_body={"message": "Not your app"})
    with pytest.raises(ForbiddenError) as caught:
        await cp.apps.list()
    assert caught.value.message == "Not your app"


async def test_validation_entries_without_a_message_or_not_objects(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    body: list[Any] = ["stray", 3, {"field": "name"}, {"message": "no field"},
                      {"field": "appVersion", "message": "bad"}]
    recorder.reply(400, json_body=body)
    with pytest.raises(BadRequestError) as caught:
        await cp.apps.list()
    assert caught.value.field_errors == (FieldError("name", ""), FieldError("appVersion", "bad"))


@pytest.mark.parametrize(
    ("error", "message", "fields", "code"),
    [
        ({"code": "InvalidParameter", "details": {"parameter": "name"}}, None,
         (FieldError("name", ""),), "InvalidParameter"),
        ({"message": "", "code": 7}, None, (), None),
        ({"message": ["not", "text"], "code": "X"}, None, (), "X"),
        ({"message": "Name taken", "code": "Conflict",
          "details": {"parameter": "name", "reason": "exists"}},
         "Name taken", (FieldError("name", "exists"),), "Conflict"),
    ],
    ids=["no-message-no-reason", "empty-message-int-code", "non-text-message", "full"],
)
async def test_v1_envelopes_fall_back_to_the_body_text(
    cp: AsyncCodePush, recorder: Recorder, error: dict[str, Any], message: str | None,
    fields: tuple[FieldError, ...], code: str | None,
) -> None:
    recorder.reply(400, json_body={"error": error})
    with pytest.raises(BadRequestError) as caught:
        await cp.apps.list()
    raw = json.dumps({"error": error})
    assert caught.value.message == (raw if message is None else message)
    assert caught.value.field_errors == fields
    assert caught.value.code == code
