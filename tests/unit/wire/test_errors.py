"""Error answers become exceptions: each status its class, keeping the server's message.

Every error carries its status, headers and body; an error body becomes a message (and
field errors); rate limits say when to come back; no answer is a 504; a success body that
does not fit names the field.
"""

from __future__ import annotations

import json
from datetime import timezone
from typing import Any

import pytest

from codepush_async import (
    AlreadyExistsError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncCodePush,
    BadRequestError,
    CodePushError,
    ConflictError,
    FieldError,
    ForbiddenError,
    NotFoundError,
    PayloadTooLargeError,
    RateLimitError,
    ResponseDecodeError,
    ServerError,
    UnauthorizedError,
)
from codepush_async._wire.time_headers import parse_retry_after
from tests._backend import httpx
from tests.conftest import ACCESS_KEY, FakeClock, Recorder

pytestmark = pytest.mark.anyio


# --- each status its class -----------------------------------------------------------------


STATUS_CASES = [
    (400, "A deployment package must include a file.", BadRequestError),
    (401, "The provided access key is invalid.", UnauthorizedError),
    (403, "This action requires Owner permissions on the app!", ForbiddenError),
    (404, 'App "nope" does not exist.', NotFoundError),
    (408, "Request Timeout", APIStatusError),
    (409, "An app named 'My App' already exists.", AlreadyExistsError),
    (410, "Gone", APIStatusError),
    (413, "The uploaded file is larger than the size limit of 200 megabytes.",
     PayloadTooLargeError),
    (429, "Too many requests, please try again later.", RateLimitError),
    (500, "Internal Server Error", ServerError),
    (503, "The CodePush server temporarily timed out. Please try again.", ServerError),
]


@pytest.mark.parametrize(("status", "text", "cls"), STATUS_CASES)
async def test_status_maps_to_class_with_server_message(
    cp: AsyncCodePush, recorder: Recorder, status: int, text: str, cls: type[CodePushError]
) -> None:
    recorder.reply(status, text=text)

    with pytest.raises(cls) as caught:
        await cp.apps.get("nope")

    error = caught.value
    assert type(error) is cls
    assert isinstance(error, CodePushError)
    assert error.message == text
    assert str(error) == text
    assert error.status_code == status
    assert error.statusCode == status


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


async def test_an_unknown_status_without_a_body_is_named_by_its_number(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(599, text="")
    with pytest.raises(ServerError) as caught:
        await cp.apps.list()
    assert caught.value.message == "HTTP 599"


def test_seed_constants_on_error_and_client() -> None:
    for holder in (CodePushError, AsyncCodePush):
        assert holder.ERROR_GATEWAY_TIMEOUT == 504
        assert holder.ERROR_INTERNAL_SERVER == 500
        assert holder.ERROR_NOT_FOUND == 404
        assert holder.ERROR_CONFLICT == 409
        assert holder.ERROR_UNAUTHORIZED == 401


def test_code_push_error_keeps_the_seed_constructor() -> None:
    error = CodePushError("boom", 409)
    assert (error.message, error.status_code) == ("boom", 409)
    assert NotFoundError("gone").status_code == 404
    assert APIConnectionError("down").status_code == 504


# --- the message from the body -------------------------------------------------------------


async def test_validation_array_text_becomes_field_errors(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    text = '[{"field":"name","message":"Field is required"},{"field":"ttl","message":"Field is invalid"}]'
    recorder.reply(400, text=text)

    with pytest.raises(BadRequestError) as caught:
        await cp.apps.create("x")

    assert caught.value.field_errors == (
        FieldError("name", "Field is required"),
        FieldError("ttl", "Field is invalid"),
    )
    assert caught.value.message == text


async def test_validation_array_as_real_json_too(cp: AsyncCodePush, recorder: Recorder) -> None:
    recorder.reply(400, json_body=[{"field": "friendlyName", "message": "Field is required"}])

    with pytest.raises(BadRequestError) as caught:
        await cp.tokens.create("ci")

    assert caught.value.field_errors == (FieldError("friendlyName", "Field is required"),)


async def test_validation_entries_without_a_message_or_not_objects(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    body: list[Any] = ["stray", 3, {"field": "name"}, {"message": "no field"},
                      {"field": "appVersion", "message": "bad"}]
    recorder.reply(400, json_body=body)
    with pytest.raises(BadRequestError) as caught:
        await cp.apps.list()
    assert caught.value.field_errors == (FieldError("name", ""), FieldError("appVersion", "bad"))


async def test_html_error_page_is_reduced_to_text(cp: AsyncCodePush, recorder: Recorder) -> None:
    page = "<!DOCTYPE html><html><body><h1>Internal Server Error</h1><pre>TypeError: x</pre>" \
           "</body></html>"
    recorder.reply(500, text=page)

    with pytest.raises(ServerError) as caught:
        await cp.apps.list()

    assert caught.value.message == "Internal Server Error TypeError: x"


async def test_angle_brackets_in_a_plain_text_message_are_kept(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    text = "Use <app>/<deployment> names, not <b>markup</b>"
    recorder.reply(400, text=text)
    with pytest.raises(BadRequestError) as caught:
        await cp.apps.list()
    assert caught.value.message == text


async def test_empty_error_body_uses_reason_phrase(cp: AsyncCodePush, recorder: Recorder) -> None:
    recorder.reply(404, text="")
    with pytest.raises(NotFoundError, match=r"^Not Found$"):
        await cp.apps.get("x")


async def test_a_body_that_is_not_utf8_is_still_a_readable_message(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder._replies.append(httpx.Response(400, content=b"bad \xff\xfe name"))
    with pytest.raises(BadRequestError) as caught:
        await cp.apps.list()
    assert caught.value.message == "bad \ufffd\ufffd name"
    assert caught.value.body == "bad \ufffd\ufffd name"


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


async def test_v1_style_error_envelope_message(cp: AsyncCodePush, recorder: Recorder) -> None:
    recorder.reply(409, json_body={"error": {"code": "Conflict", "message": "Name exists"}})
    with pytest.raises(ConflictError, match=r"^Name exists$"):
        await cp.apps.create("x")


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


async def test_access_key_is_redacted_from_server_messages(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(401, text=f'The access key "{ACCESS_KEY}" is invalid.')

    with pytest.raises(UnauthorizedError) as caught:
        await cp.apps.list()

    assert ACCESS_KEY not in str(caught.value)
    assert ACCESS_KEY not in repr(caught.value)
    assert caught.value.message == 'The access key "***" is invalid.'


# --- rate limits ---------------------------------------------------------------------------


async def test_rate_limit_error_carries_the_headers(cp: AsyncCodePush, recorder: Recorder) -> None:
    recorder.reply(
        429,
        text="Too many requests, please try again later.",
        headers={
            "retry-after": "861",
            "x-ratelimit-limit": "100",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": "1700000861",
        },
    )

    with pytest.raises(RateLimitError) as caught:
        await cp.apps.list()

    error = caught.value
    assert (error.retry_after, error.limit, error.remaining) == (861.0, 100, 0)
    assert error.reset_at is not None
    assert error.reset_at.timestamp() == 1700000861


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


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "861"}, 861.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after": "Tue, 14 Nov 2023 22:14:20 GMT", "date": "Tue, 14 Nov 2023 22:13:20 GMT"},
         60.0),
        ({"x-ratelimit-reset": "1700000100", "date": "Tue, 14 Nov 2023 22:13:20 GMT"}, 100.0),
        ({"x-ratelimit-reset": "1700000100"}, 90.0),  # no Date: judged against our clock
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after_forms(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers, now=1_700_000_010.0) == expected


# --- no answer -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "cls"),
    [
        (httpx.ConnectError("refused"), APIConnectionError),
        (httpx.RemoteProtocolError("peer closed"), APIConnectionError),
        (httpx.ReadTimeout("slow"), APITimeoutError),
        (httpx.ConnectTimeout("slow"), APITimeoutError),
    ],
)
async def test_no_response_is_a_504(
    cp: AsyncCodePush, recorder: Recorder, exc: Exception, cls: type[APIConnectionError]
) -> None:
    recorder.fail(exc)

    with pytest.raises(cls) as caught:
        await cp.apps.list()

    assert caught.value.status_code == 504 == CodePushError.ERROR_GATEWAY_TIMEOUT
    assert "GET /apps" in caught.value.message
    assert ACCESS_KEY not in caught.value.message


async def test_connect_failure_says_request_was_not_sent(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.fail(httpx.ConnectError("refused"))
    with pytest.raises(APIConnectionError) as refused:
        await cp.apps.list()
    recorder.fail(httpx.ReadTimeout("slow"))
    with pytest.raises(APITimeoutError) as slow:
        await cp.apps.list()

    assert refused.value.request_sent is False
    assert slow.value.request_sent is True


# --- a success body that does not fit ------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"apps": [{"name": None}]}, "$.apps[0].name"),
        ({"apps": [{"name": "a", "deployments": "Staging"}]}, "$.apps[0].deployments"),
        ({"apps": [{"name": "a", "collaborators": {"x@y": {"permission": 3}}}]},
         "$.apps[0].collaborators['x@y'].permission"),
        ({"apps": {"name": "a"}}, "$.apps"),
        ({"applications": []}, "$.apps"),
    ],
)
async def test_body_that_does_not_fit_names_the_field(
    cp: AsyncCodePush, recorder: Recorder, body: object, field: str
) -> None:
    recorder.reply(200, json_body=body)

    with pytest.raises(ResponseDecodeError) as caught:
        await cp.apps.list()

    assert caught.value.field == field
    assert field in caught.value.message
    assert caught.value.status_code == 200


async def test_non_json_success_body_is_a_decode_error(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(200, text="<html>proxy login</html>")
    with pytest.raises(ResponseDecodeError, match="proxy login"):
        await cp.apps.list()


async def test_wrongly_typed_package_field(cp: AsyncCodePush, recorder: Recorder) -> None:
    recorder.reply(200, json_body={"history": [{"label": "v1", "size": "big"}]})
    with pytest.raises(ResponseDecodeError) as caught:
        await cp.releases.history("a", "b")
    assert caught.value.field == "$.history[0].size"
    assert not isinstance(caught.value, (KeyError, TypeError))
