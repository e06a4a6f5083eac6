"""Retrying: the RetryPolicy value, its backoff, the server's requested waits, giving up."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from codepush_async import (
    APITimeoutError,
    AsyncCodePush,
    RateLimitError,
    RetryPolicy,
    ServerError,
)
from tests._backend import httpx
from tests.conftest import ACCESS_KEY, SERVER, FakeClock, Recorder
from tests.unit.conftest import http_date

pytestmark = pytest.mark.anyio

BUSY = "The CodePush server temporarily timed out. Please try again."
SLOW_DOWN = "Too many requests, please try again later."
# Values of the wrong type may be a TypeError or a ValueError, but always name the field.
WRONG = (TypeError, ValueError)


def _sequence(*values: float) -> Any:
    """A ``random`` that returns ``values`` in turn."""
    it: Iterator[float] = iter(values)
    return lambda: next(it)


# --- the policy value -----------------------------------------------------------------


def test_the_defaults_are_the_documented_ones() -> None:
    policy = RetryPolicy()
    assert policy.max_attempts == 4
    assert policy.initial_backoff == 0.5
    assert policy.max_backoff == 30.0
    assert policy.multiplier == 2.0
    assert policy.jitter == 0.5
    assert policy.max_wait == 120.0
    assert policy.retry_statuses == frozenset({408, 429, 502, 503, 504})


def test_a_client_retries_with_the_default_policy_unless_told_otherwise() -> None:
    assert AsyncCodePush(ACCESS_KEY, SERVER).retry_policy == RetryPolicy()
    assert AsyncCodePush(ACCESS_KEY, SERVER, retry=None).retry_policy is None


async def test_the_default_policy_makes_four_attempts_with_growing_jittered_waits(
    recorder: Recorder, clock: FakeClock
) -> None:
    for _ in range(4):
        recorder.reply(503, text=BUSY)
    async with AsyncCodePush(ACCESS_KEY, SERVER, transport=httpx.MockTransport(recorder),
                             clock=clock) as cp:
        with pytest.raises(ServerError):
            await cp.apps.list()

    assert len(recorder.requests) == 4
    assert len(clock.sleeps) == 3
    # 0.5 s, 1 s, 2 s, each with up to half taken off at random.
    for wait, base in zip(clock.sleeps, [0.5, 1.0, 2.0], strict=True):
        assert base / 2 <= wait <= base


async def test_one_attempt_means_no_retry(recorder: Recorder, clock: FakeClock) -> None:
    recorder.reply(503, text=BUSY)
    async with AsyncCodePush(ACCESS_KEY, SERVER, transport=httpx.MockTransport(recorder),
                             retry=RetryPolicy(max_attempts=1), clock=clock) as cp:
        with pytest.raises(ServerError):
            await cp.apps.list()
    assert len(recorder.requests) == 1
    assert clock.sleeps == []


@pytest.mark.parametrize("value", [0, -1, True, 2.0, "3", None])
def test_max_attempts_must_be_an_integer_of_at_least_one(value: object) -> None:
    with pytest.raises(WRONG, match=r"RetryPolicy\.max_attempts must be an integer") as caught:
        RetryPolicy(max_attempts=value)  # type: ignore[arg-type]
    assert repr(value) in str(caught.value)


@pytest.mark.parametrize("field", ["initial_backoff", "max_backoff", "multiplier", "max_wait"])
@pytest.mark.parametrize("value", [-0.001, -1, True, "1", None])
def test_durations_and_factors_must_be_numbers_of_at_least_zero(field: str, value: object) -> None:
    with pytest.raises(WRONG, match=rf"RetryPolicy\.{field} must be a (finite )?number") as caught:
        RetryPolicy(**{field: value})
    assert repr(value) in str(caught.value)


@pytest.mark.parametrize("field", ["initial_backoff", "max_backoff", "multiplier", "max_wait"])
@pytest.mark.parametrize("value", [0, 0.0, 1, 2.5])
def test_zero_and_positive_numbers_are_accepted(field: str, value: float) -> None:
    assert getattr(RetryPolicy(**{field: value}), field) == value


@pytest.mark.parametrize("value", [0, 0.25, 1, 1.0])
def test_jitter_may_be_anything_from_zero_to_one(value: float) -> None:
    assert RetryPolicy(jitter=value).jitter == value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1.0001, "must be from 0 to 1"),
        (1.5, "must be from 0 to 1"),
        (2, "must be from 0 to 1"),
        (-0.1, "must be a (finite )?number >= 0"),
        (True, "must be a (finite )?number >= 0"),
    ],
)
def test_jitter_outside_zero_to_one_is_refused(value: float, message: str) -> None:
    with pytest.raises(WRONG, match=rf"RetryPolicy\.jitter {message}.*{value!r}"):
        RetryPolicy(jitter=value)


def test_backoff_takes_a_random_fraction_of_up_to_jitter_off_each_wait() -> None:
    draws = (0.0, 0.25, 0.5, 0.999)
    policy = RetryPolicy(initial_backoff=2, multiplier=2, max_backoff=100, jitter=0.5,
                         random=_sequence(*draws))
    # wait = base * (1 - jitter * random()), with base 2, 4, 8, 16.
    assert [policy.backoff(n) for n in (1, 2, 3, 4)] == pytest.approx(
        [2.0, 4 * 0.875, 8 * 0.75, 16 * (1 - 0.4995)]
    )


def test_full_jitter_spreads_waits_from_zero_to_the_base() -> None:
    policy = RetryPolicy(initial_backoff=4, jitter=1, random=_sequence(0.0, 0.5, 0.999))
    assert [policy.backoff(1) for _ in range(3)] == pytest.approx([4.0, 2.0, 4 * 0.001])


def test_without_jitter_the_wait_ignores_the_random_source() -> None:
    policy = RetryPolicy(initial_backoff=1, jitter=0, random=_sequence(0.9, 0.1))
    assert [policy.backoff(1), policy.backoff(3)] == [1.0, 4.0]


def test_every_jittered_wait_stays_between_the_floor_and_the_base() -> None:
    draws = [index / 100 for index in range(100)]
    policy = RetryPolicy(initial_backoff=3, jitter=0.3, random=_sequence(*draws))
    for draw in draws:
        wait = policy.backoff(1)
        assert 3 * 0.7 < wait <= 3
        assert wait == pytest.approx(3 * (1 - 0.3 * draw))


def test_retry_statuses_are_kept_as_a_frozenset() -> None:
    policy = RetryPolicy(retry_statuses=[503, 503, 429])  # type: ignore[arg-type]
    assert policy.retry_statuses == frozenset({429, 503})


@pytest.mark.parametrize("statuses", [{100}, {599}, {100, 599}, frozenset()])
def test_any_http_status_from_100_to_599_may_be_retried(statuses: set[int]) -> None:
    assert RetryPolicy(retry_statuses=statuses).retry_statuses == frozenset(statuses)


@pytest.mark.parametrize("status", [99, 600, True, 429.0, "429"])
def test_a_retry_status_outside_http_is_refused_by_name(status: object) -> None:
    with pytest.raises(ValueError, match=r"retry_statuses must hold HTTP statuses \(100-599\)"):
        RetryPolicy(retry_statuses={status})  # type: ignore[arg-type]


def test_a_random_source_that_is_not_callable_is_named_with_its_type() -> None:
    with pytest.raises(ValueError, match=r"RetryPolicy.random must be callable, got float"):
        RetryPolicy(random=0.5)  # type: ignore[arg-type]


# --- backoff and giving up ------------------------------------------------------------


async def test_get_survives_a_503_burst_with_exponential_backoff(
    rcp: AsyncCodePush, recorder: Recorder, clock: FakeClock
) -> None:
    recorder.reply(503, text=BUSY)
    recorder.reply(503, text=BUSY)
    recorder.reply(503, text=BUSY)
    recorder.reply(200, json_body={"apps": []})

    assert await rcp.apps.list() == []

    assert len(recorder.requests) == 4
    assert clock.sleeps == [0.5, 1.0, 2.0]


async def test_attempts_are_capped_and_the_last_error_raised(
    rcp: AsyncCodePush, recorder: Recorder, clock: FakeClock
) -> None:
    for _ in range(4):
        recorder.reply(502, text="Bad Gateway")

    with pytest.raises(ServerError, match="Bad Gateway"):
        await rcp.apps.list()

    assert len(recorder.requests) == 4
    assert clock.sleeps == [0.5, 1.0, 2.0]


async def test_backoff_is_capped_and_jittered() -> None:
    policy = RetryPolicy(initial_backoff=1, max_backoff=5, multiplier=3, jitter=0.5,
                         random=lambda: 1.0)
    assert [policy.backoff(n) for n in (1, 2, 3, 4)] == [0.5, 1.5, 2.5, 2.5]
    assert RetryPolicy(jitter=0, max_backoff=5).backoff(10) == 5


@pytest.mark.parametrize("status", [409, 413, 400, 404])
async def test_final_statuses_are_never_retried(
    rcp: AsyncCodePush, recorder: Recorder, clock: FakeClock, status: int
) -> None:
    recorder.reply(status, text="no")
    with pytest.raises(Exception, match="no"):
        await rcp.apps.create("A")
    assert len(recorder.requests) == 1
    assert clock.sleeps == []


async def test_retry_none_disables_retries(recorder: Recorder, clock: FakeClock) -> None:
    recorder.reply(503, text=BUSY)
    async with AsyncCodePush(ACCESS_KEY, SERVER, transport=httpx.MockTransport(recorder),
                             retry=None, clock=clock) as cp:
        with pytest.raises(ServerError):
            await cp.apps.list()
    assert len(recorder.requests) == 1
    assert clock.sleeps == []


async def test_read_timeout_exhausting_retries_is_a_504(
    rcp: AsyncCodePush, recorder: Recorder
) -> None:
    for _ in range(4):
        recorder.fail(httpx.ReadTimeout("timed out"))
    with pytest.raises(APITimeoutError) as caught:
        await rcp.apps.list()
    assert caught.value.status_code == 504
    assert len(recorder.requests) == 4


@pytest.mark.parametrize("retry", ["fast", 3, RetryPolicy])
def test_retry_must_be_a_policy_or_none(retry: Any) -> None:
    with pytest.raises((TypeError, ValueError),
                       match=f"retry must be a RetryPolicy or None, got {type(retry).__name__}"):
        AsyncCodePush(ACCESS_KEY, SERVER, retry=retry)
    cp = AsyncCodePush(ACCESS_KEY, SERVER)
    with pytest.raises((TypeError, ValueError), match="retry must be a RetryPolicy or None"):
        cp.with_options(retry=retry)


# --- the server's requested waits -----------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected_wait"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"retry-after": "Tue, 14 Nov 2023 22:14:20 GMT",
          "date": "Tue, 14 Nov 2023 22:13:20 GMT"}, 60.0),
        ({"x-ratelimit-limit": "100", "x-ratelimit-remaining": "0",
          "x-ratelimit-reset": "1700000030", "date": "Tue, 14 Nov 2023 22:13:20 GMT"}, 30.0),
    ],
    ids=["seconds", "http-date", "ratelimit-reset-vs-date"],
)
async def test_429_waits_what_the_server_asks(
    rcp: AsyncCodePush, recorder: Recorder, clock: FakeClock, headers: dict[str, str],
    expected_wait: float,
) -> None:
    recorder.reply(429, text="Too many requests, please try again later.", headers=headers)
    recorder.reply(200, json_body={"apps": []})

    await rcp.apps.list()

    assert len(recorder.requests) == 2
    assert clock.sleeps[0] == expected_wait
    assert sum(clock.sleeps) == pytest.approx(expected_wait)


async def test_server_clock_skew_does_not_matter(
    rcp: AsyncCodePush, recorder: Recorder, clock: FakeClock
) -> None:
    """Our clock is an hour behind the server: the reset is judged by the server's Date."""
    clock.time -= 3600
    recorder.reply(429, text="slow down", headers={
        "x-ratelimit-limit": "100", "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": "1700000012", "date": "Tue, 14 Nov 2023 22:13:20 GMT",
    })
    recorder.reply(200, json_body={"apps": []})

    await rcp.apps.list()

    assert sum(clock.sleeps) == pytest.approx(12.0)


async def test_a_wait_over_the_maximum_raises_instead_of_sleeping(
    rcp: AsyncCodePush, recorder: Recorder, clock: FakeClock
) -> None:
    recorder.reply(429, text="Too many requests, please try again later.", headers={
        "retry-after": "861", "x-ratelimit-limit": "100", "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": str(int(clock.time) + 861),
    })

    with pytest.raises(RateLimitError) as caught:
        await rcp.apps.list()

    assert caught.value.retry_after == 861
    assert caught.value.limit == 100
    assert caught.value.remaining == 0
    assert caught.value.reset_at is not None
    assert len(recorder.requests) == 1
    assert clock.sleeps == []


async def test_a_requested_wait_of_exactly_max_wait_is_still_waited(
    short_cp: AsyncCodePush, recorder: Recorder, clock: FakeClock
) -> None:
    recorder.reply(429, text=SLOW_DOWN, headers={"retry-after": "60"})
    recorder.reply(200, json_body={"apps": []})

    assert await short_cp.apps.list() == []

    assert clock.sleeps == [60.0]
    assert len(recorder.requests) == 2


async def test_a_requested_wait_just_over_max_wait_raises_at_once(
    short_cp: AsyncCodePush, recorder: Recorder, clock: FakeClock
) -> None:
    recorder.reply(429, text=SLOW_DOWN, headers={"retry-after": "60.5"})

    with pytest.raises(RateLimitError) as caught:
        await short_cp.apps.list()

    assert caught.value.retry_after == 60.5
    assert clock.sleeps == []


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "0.25"}, 0.25),
        ({"retry-after": "0"}, 0.0),
        ({"retry-after": "-3"}, 0.0),
    ],
    ids=["quarter-second", "zero", "negative"],
)
async def test_short_server_waits_are_kept_as_they_are(
    short_cp: AsyncCodePush, recorder: Recorder, clock: FakeClock, headers: dict[str, str],
    expected: float,
) -> None:
    recorder.reply(503, text="busy", headers=headers)
    recorder.reply(200, json_body={"apps": []})

    await short_cp.apps.list()

    assert clock.sleeps == [expected]


async def test_http_date_retry_after_without_a_date_header_counts_from_our_clock(
    short_cp: AsyncCodePush, recorder: Recorder, clock: FakeClock
) -> None:
    recorder.reply(429, text=SLOW_DOWN, headers={"retry-after": http_date(clock.time + 42)})
    recorder.reply(200, json_body={"apps": []})

    await short_cp.apps.list()

    assert clock.sleeps == [pytest.approx(42.0)]


async def test_reset_only_429_without_a_date_header_waits_until_the_reset(
    short_cp: AsyncCodePush, recorder: Recorder, clock: FakeClock
) -> None:
    recorder.reply(429, text=SLOW_DOWN, headers={"x-ratelimit-reset": str(int(clock.time) + 25)})
    recorder.reply(200, json_body={"apps": []})

    await short_cp.apps.list()

    assert clock.sleeps == [25.0]


@pytest.mark.parametrize(
    "headers",
    [
        {"x-ratelimit-reset": "1699999000"},
        {"retry-after": "Tue, 14 Nov 2023 21:00:00 GMT"},
        {"x-ratelimit-reset": "1699999000", "date": "Tue, 14 Nov 2023 22:13:20 GMT"},
    ],
    ids=["reset", "http-date", "reset-vs-date"],
)
async def test_a_reset_already_past_retries_at_once(
    short_cp: AsyncCodePush, recorder: Recorder, clock: FakeClock, headers: dict[str, str]
) -> None:
    recorder.reply(429, text=SLOW_DOWN, headers=headers)
    recorder.reply(200, json_body={"apps": []})

    await short_cp.apps.list()

    assert clock.sleeps == [0.0]
DAY = 86_400


@pytest.mark.parametrize(
    ("reset", "retry_after"),
    [
        (lambda now: now + DAY, float(DAY)),
        (lambda now: (now + DAY) * 1000, float(DAY)),  # epoch milliseconds
        (lambda now: now - DAY, 0.0),
        (lambda now: now + DAY + 1, None),
        (lambda now: now - DAY - 1, None),
        (lambda now: (now + DAY + 1) * 1000, None),
        (lambda now: 0, None),
    ],
    ids=["a day ahead", "a day ahead in ms", "a day past", "a day and 1 s ahead",
         "a day and 1 s past", "a day and 1 s ahead in ms", "zero"],
)
async def test_a_reset_is_believed_only_within_a_day_of_the_servers_time(
    cp: AsyncCodePush, recorder: Recorder, clock: FakeClock, reset: Any,
    retry_after: float | None
) -> None:
    """Read as epoch seconds, else milliseconds; neither within a day means no hint."""
    recorder.reply(429, text=SLOW_DOWN, headers={"x-ratelimit-reset": str(reset(int(clock.time)))})

    with pytest.raises(RateLimitError) as caught:
        await cp.apps.list()

    assert caught.value.retry_after == retry_after


async def test_an_unreadable_retry_after_falls_back_to_backoff(
    short_cp: AsyncCodePush, recorder: Recorder, clock: FakeClock
) -> None:
    recorder.reply(503, text="busy", headers={"retry-after": "soon"})
    recorder.reply(200, json_body={"apps": []})
    await short_cp.apps.list()
    assert clock.sleeps == [0.5]


async def test_http_date_retry_after_is_judged_by_the_servers_date(
    short_cp: AsyncCodePush, recorder: Recorder, clock: FakeClock
) -> None:
    """Our clock is ten minutes fast: the wait is still the 30 s the server meant."""
    server_now = clock.time - 600
    recorder.reply(429, text=SLOW_DOWN, headers={
        "retry-after": http_date(server_now + 30), "date": http_date(server_now)})
    recorder.reply(200, json_body={"apps": []})
    await short_cp.apps.list()
    assert clock.sleeps == [pytest.approx(30.0)]


async def test_the_rate_limit_error_of_a_reset_only_429_says_how_long(
    cp: AsyncCodePush, recorder: Recorder, clock: FakeClock
) -> None:
    recorder.reply(429, text=SLOW_DOWN, headers={"x-ratelimit-reset": str(int(clock.time) + 90)})

    with pytest.raises(RateLimitError) as caught:
        await cp.apps.list()

    assert caught.value.retry_after == 90.0
    assert caught.value.limit is None
    assert caught.value.remaining is None
    assert caught.value.reset_at == datetime.fromtimestamp(int(clock.time) + 90, tz=timezone.utc)


# --- what a retry tells the logs ------------------------------------------------------


async def test_each_retry_is_logged_with_the_call_the_status_and_the_wait(
    short_cp: AsyncCodePush, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    recorder.reply(503, text="busy")
    recorder.reply(200, json_body={"apps": []})
    with caplog.at_level(logging.INFO, logger="codepush_async"):
        await short_cp.apps.list()
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert messages == ["GET /apps: attempt 1 failed (503); retrying in 0.500s"]


async def test_retries_are_logged_without_the_key(
    rcp: AsyncCodePush, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    recorder.reply(503, text=f"busy {ACCESS_KEY}")
    recorder.reply(200, json_body={"apps": []})
    with caplog.at_level(logging.DEBUG, logger="codepush_async"):
        await rcp.apps.list()
    text = caplog.text
    assert "GET /apps -> 503 (attempt 1" in text
    assert "attempt 1 failed (503); retrying in 0.500s" in text
    assert "GET /apps -> 200 (attempt 2" in text
    assert ACCESS_KEY not in text
