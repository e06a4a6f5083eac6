"""The outcome vocabulary: what one attempt produced and what the loop makes of it."""

from __future__ import annotations

import pytest

from codepush_async import (
    APIConnectionError,
    APIStatusError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitError,
    RetryPolicy,
    ServerError,
)
from codepush_async._core.outcome import (
    answer_from,
    is_retryable,
    may_have_acted,
    outcome_unknown,
    succeeded,
)
from codepush_async._core.retry import RETRYABLE_STATUSES, retries_left, retry_wait
from codepush_async._wire.codec import MISSING, WireRequest, WireResponse
from codepush_async._wire.dialects import CLASSIC, V1


def _lost(*, sent: bool) -> APIConnectionError:
    error = APIConnectionError("connection reset")
    error.request_sent = sent
    return error


def _status(status: int) -> APIStatusError:
    return APIStatusError("failed", status)


def _response(status: int, content: bytes = b"") -> WireResponse:
    return WireResponse(status, {}, content)


# --- did the server act? -------------------------------------------------------------------


def test_a_request_that_never_reached_the_server_was_not_acted_on() -> None:
    assert not may_have_acted(_lost(sent=False))


def test_a_request_sent_without_an_answer_may_have_been_acted_on() -> None:
    assert may_have_acted(_lost(sent=True))
    assert may_have_acted(OutcomeUnknownError("unknown"))


@pytest.mark.parametrize("status", [429, 503])
def test_429_and_503_say_the_server_did_not_act(status: int) -> None:
    assert not may_have_acted(_status(status))
    assert not may_have_acted(RateLimitError("slow down", 429))


@pytest.mark.parametrize("status", [400, 404, 408, 500, 502, 504])
def test_any_other_status_may_follow_an_action(status: int) -> None:
    assert may_have_acted(_status(status))
    assert may_have_acted(ServerError("boom", 500))


# --- may another attempt succeed? -----------------------------------------------------------


def test_a_lost_connection_is_retryable_whatever_the_statuses() -> None:
    assert is_retryable(_lost(sent=True), frozenset())


@pytest.mark.parametrize("status", sorted(RETRYABLE_STATUSES))
def test_a_status_is_retryable_when_the_policy_lists_it(status: int) -> None:
    assert is_retryable(_status(status), RETRYABLE_STATUSES)
    assert not is_retryable(_status(status), RETRYABLE_STATUSES - {status})


def test_a_final_status_is_not_retryable() -> None:
    assert not is_retryable(NotFoundError("gone"), RETRYABLE_STATUSES)


@pytest.mark.parametrize(("attempt", "left"), [(1, True), (2, True), (3, False), (4, False)])
def test_retries_are_left_until_max_attempts(attempt: int, left: bool) -> None:
    assert retries_left(RetryPolicy(max_attempts=3), attempt) is left
    assert not retries_left(None, attempt)


def test_retry_wait_is_the_backoff_unless_the_server_asks() -> None:
    policy = RetryPolicy(max_attempts=3, initial_backoff=0.5, jitter=0.0, max_wait=60)
    assert retry_wait(policy, 1, None) == 0.5
    assert retry_wait(policy, 2, None) == 1.0
    assert retry_wait(policy, 2, 60.0) == 60.0
    assert retry_wait(policy, 2, 0.0) == 0.0


def test_retry_wait_gives_up_past_max_wait_attempts_or_without_a_policy() -> None:
    policy = RetryPolicy(max_attempts=3, max_wait=60)
    assert retry_wait(policy, 1, 60.001) is None
    assert retry_wait(policy, 3, None) is None
    assert retry_wait(None, 1, None) is None


# --- what a success carries ------------------------------------------------------------------


@pytest.mark.parametrize(("status", "ok"), [(199, False), (200, True), (204, True), (299, True),
                                            (300, False), (404, False)])
def test_only_a_2xx_response_succeeded(status: int, ok: bool) -> None:
    assert succeeded(_response(status)) is ok


def test_a_lost_connection_did_not_succeed() -> None:
    assert not succeeded(_lost(sent=True))


def test_an_answer_names_where_its_value_sat() -> None:
    route = CLASSIC.route("apps.list")
    assert route is not None
    answer = answer_from(route, _response(200, b'{"apps": []}'))
    assert (answer.value, answer.where, answer.status_code) == ([], "$.apps", 200)
    assert answer.content == b'{"apps": []}'


def test_a_whole_body_answer_sits_at_the_top_and_a_secret_is_not_kept() -> None:
    route = V1.route("tokens.create")
    assert route is not None
    assert route.secret_answer
    answer = answer_from(route, _response(201, b'{"name": "ci"}'))
    assert (answer.value, answer.where, answer.content) == ({"name": "ci"}, "$", b"")
    assert answer.required == route.required


def test_an_answer_without_its_envelope_is_missing() -> None:
    route = CLASSIC.route("apps.list")
    assert route is not None
    assert answer_from(route, _response(200, b"ok")).value is MISSING


def test_an_unknown_outcome_names_the_call_and_why() -> None:
    request = WireRequest("apps.create", "POST", "/apps")
    error = outcome_unknown(request, _status(502))
    assert error.message == (
        "POST /apps was sent but no usable answer came back (failed); it may or may not "
        "have taken effect, so it was not resent."
    )
    assert error.status_code == 502
