"""RetryPolicy: the documented defaults, the bounds of every field and the jitter formula."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from codepush_async import AsyncCodePush, RetryPolicy, ServerError
from tests._backend import httpx
from tests.conftest import ACCESS_KEY, SERVER, FakeClock, Recorder

BUSY = "The CodePush server temporarily timed out. Please try again."


def _sequence(*values: float) -> Any:
    """A ``random`` that returns ``values`` in turn."""
    it: Iterator[float] = iter(values)
    return lambda: next(it)


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


@pytest.mark.anyio
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


@pytest.mark.anyio
async def test_one_attempt_means_no_retry(recorder: Recorder, clock: FakeClock) -> None:
    recorder.reply(503, text=BUSY)
    async with AsyncCodePush(ACCESS_KEY, SERVER, transport=httpx.MockTransport(recorder),
                             retry=RetryPolicy(max_attempts=1), clock=clock) as cp:
        with pytest.raises(ServerError):
            await cp.apps.list()
    assert len(recorder.requests) == 1
    assert clock.sleeps == []


# Values of the wrong type may be a TypeError or a ValueError, but always name the field.
WRONG = (TypeError, ValueError)


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
