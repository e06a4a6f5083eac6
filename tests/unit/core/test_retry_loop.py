"""The client's request loop at its edges: server-requested waits, clocks, logs, 3xx, DELETE."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any

import pytest

from codepush_async import (
    APIStatusError,
    AsyncCodePush,
    CodePushError,
    ConflictError,
    NotFoundError,
    RateLimitError,
    RetryPolicy,
)
from tests._backend import httpx
from tests.conftest import ACCESS_KEY, SERVER, FakeClock, Recorder
from tests.payloads import PACKAGE_WIRE

pytestmark = pytest.mark.anyio

POLICY = RetryPolicy(max_attempts=3, initial_backoff=0.5, jitter=0.0, max_wait=60)
SLOW_DOWN = "Too many requests, please try again later."
DATA = b"plain package bytes"
DATA_HASH = hashlib.sha256(DATA).hexdigest()


def http_date(epoch: float) -> str:
    return format_datetime(datetime.fromtimestamp(epoch, tz=timezone.utc), usegmt=True)


@pytest.fixture
async def rcp(recorder: Recorder, clock: FakeClock) -> AsyncIterator[AsyncCodePush]:
    async with AsyncCodePush(
        ACCESS_KEY, SERVER, transport=httpx.MockTransport(recorder), retry=POLICY, clock=clock,
        flavor="official",
    ) as client:
        yield client


async def test_a_requested_wait_of_exactly_max_wait_is_still_waited(
    rcp: AsyncCodePush, recorder: Recorder, clock: FakeClock
) -> None:
    recorder.reply(429, text=SLOW_DOWN, headers={"retry-after": "60"})
    recorder.reply(200, json_body={"apps": []})

    assert await rcp.apps.list() == []

    assert clock.sleeps == [60.0]
    assert len(recorder.requests) == 2


async def test_a_requested_wait_just_over_max_wait_raises_at_once(
    rcp: AsyncCodePush, recorder: Recorder, clock: FakeClock
) -> None:
    recorder.reply(429, text=SLOW_DOWN, headers={"retry-after": "60.5"})

    with pytest.raises(RateLimitError) as caught:
        await rcp.apps.list()

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
    rcp: AsyncCodePush, recorder: Recorder, clock: FakeClock, headers: dict[str, str],
    expected: float,
) -> None:
    recorder.reply(503, text="busy", headers=headers)
    recorder.reply(200, json_body={"apps": []})

    await rcp.apps.list()

    assert clock.sleeps == [expected]


async def test_http_date_retry_after_without_a_date_header_counts_from_our_clock(
    rcp: AsyncCodePush, recorder: Recorder, clock: FakeClock
) -> None:
    recorder.reply(429, text=SLOW_DOWN, headers={"retry-after": http_date(clock.time + 42)})
    recorder.reply(200, json_body={"apps": []})

    await rcp.apps.list()

    assert clock.sleeps == [pytest.approx(42.0)]


async def test_reset_only_429_without_a_date_header_waits_until_the_reset(
    rcp: AsyncCodePush, recorder: Recorder, clock: FakeClock
) -> None:
    recorder.reply(429, text=SLOW_DOWN, headers={"x-ratelimit-reset": str(int(clock.time) + 25)})
    recorder.reply(200, json_body={"apps": []})

    await rcp.apps.list()

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
    rcp: AsyncCodePush, recorder: Recorder, clock: FakeClock, headers: dict[str, str]
) -> None:
    recorder.reply(429, text=SLOW_DOWN, headers=headers)
    recorder.reply(200, json_body={"apps": []})

    await rcp.apps.list()

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
    rcp: AsyncCodePush, recorder: Recorder, clock: FakeClock
) -> None:
    recorder.reply(503, text="busy", headers={"retry-after": "soon"})
    recorder.reply(200, json_body={"apps": []})
    await rcp.apps.list()
    assert clock.sleeps == [0.5]


async def test_http_date_retry_after_is_judged_by_the_servers_date(
    rcp: AsyncCodePush, recorder: Recorder, clock: FakeClock
) -> None:
    """Our clock is ten minutes fast: the wait is still the 30 s the server meant."""
    server_now = clock.time - 600
    recorder.reply(429, text=SLOW_DOWN, headers={
        "retry-after": http_date(server_now + 30), "date": http_date(server_now)})
    recorder.reply(200, json_body={"apps": []})
    await rcp.apps.list()
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


# --- the server's clock in the lost-answer release check --------------------------------


def _deployment_with(package_hash: str, uploaded_at: float) -> dict[str, Any]:
    package = {**PACKAGE_WIRE, "packageHash": package_hash, "uploadTime": int(uploaded_at * 1000)}
    return {"deployment": {"name": "Staging", "key": "k", "package": package}}


async def test_a_release_stored_by_a_server_whose_clock_is_behind_is_ours(
    rcp: AsyncCodePush, recorder: Recorder, clock: FakeClock
) -> None:
    """The server's clock is an hour behind: its upload time is still after our send."""
    server_clock = clock.time - 3600
    recorder.fail(httpx.ReadTimeout("timed out"))
    recorder.reply(200, json_body=_deployment_with(DATA_HASH, server_clock + 1),
                   headers={"date": http_date(server_clock + 1)})

    package = await rcp.releases.release("A", "Staging", DATA, "1.0.0")

    assert package.package_hash == DATA_HASH
    assert [r.method for r in recorder.requests] == ["POST", "GET"]


async def test_the_same_content_released_earlier_by_a_server_ahead_is_identical(
    rcp: AsyncCodePush, recorder: Recorder, clock: FakeClock
) -> None:
    """The server's clock is an hour ahead: a release it stored a minute before our send
    (by its clock) is someone else's, so ours was refused as identical."""
    server_clock = clock.time + 3600
    recorder.fail(httpx.ReadTimeout("timed out"))
    recorder.reply(200, json_body=_deployment_with(DATA_HASH, server_clock - 60),
                   headers={"date": http_date(server_clock + 1)})

    with pytest.raises(ConflictError, match="identical"):
        await rcp.releases.release("A", "Staging", DATA, "1.0.0")

    assert [r.method for r in recorder.requests] == ["POST", "GET"]


async def test_the_last_date_header_sets_the_server_time(
    rcp: AsyncCodePush, recorder: Recorder, clock: FakeClock
) -> None:
    recorder.reply(200, json_body={"apps": []}, headers={"date": http_date(clock.time + 120)})
    await rcp.apps.list()
    assert rcp._requester.server_time(clock.time) == pytest.approx(clock.time + 120)
    recorder.reply(200, json_body={"apps": []}, headers={"date": http_date(clock.time - 30)})
    await rcp.apps.list()
    assert rcp._requester.server_time(clock.time) == pytest.approx(clock.time - 30)
    recorder.reply(200, json_body={"apps": []})  # no Date: what we know stays
    await rcp.apps.list()
    assert rcp._requester.server_time(clock.time) == pytest.approx(clock.time - 30)


# --- what a retry or a lost answer tells the logs ---------------------------------------


async def test_each_retry_is_logged_with_the_call_the_status_and_the_wait(
    rcp: AsyncCodePush, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    recorder.reply(503, text="busy")
    recorder.reply(200, json_body={"apps": []})
    with caplog.at_level(logging.INFO, logger="codepush_async"):
        await rcp.apps.list()
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert messages == ["GET /apps: attempt 1 failed (503); retrying in 0.500s"]


async def test_delete_gone_after_a_lost_answer_is_done_and_logged(
    rcp: AsyncCodePush, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    recorder.fail(httpx.RemoteProtocolError("dropped"))
    recorder.reply(404, text='App "A" does not exist.')
    with caplog.at_level(logging.INFO, logger="codepush_async"):
        assert await rcp.apps.remove("A") is None
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert messages[-1] == "DELETE /apps/A: gone after an unanswered attempt; taken as done"


@pytest.mark.parametrize("status", [429, 503])
async def test_delete_404_after_a_refused_attempt_is_a_real_404(
    rcp: AsyncCodePush, recorder: Recorder, status: int
) -> None:
    """A 429/503 proves the first DELETE did nothing, so the 404 after it is the truth."""
    recorder.reply(status, text="busy", headers={"retry-after": "1"})
    recorder.reply(404, text='App "A" does not exist.')
    with pytest.raises(NotFoundError, match="does not exist"):
        await rcp.apps.remove("A")
    assert len(recorder.requests) == 2


@pytest.mark.parametrize("status", [300, 301, 304])
async def test_a_3xx_answer_is_an_error_not_a_success(
    cp: AsyncCodePush, recorder: Recorder, status: int
) -> None:
    recorder.reply(status, json_body={"apps": []})
    with pytest.raises(APIStatusError) as caught:
        await cp.apps.list()
    assert caught.value.status_code == status


async def test_a_closed_client_says_so_before_any_request(recorder: Recorder) -> None:
    cp = AsyncCodePush(ACCESS_KEY, SERVER, transport=httpx.MockTransport(recorder))
    await cp.aclose()
    with pytest.raises(CodePushError) as caught:
        await cp.apps.list()
    assert caught.value.message.startswith(
        "This AsyncCodePush client is closed; create a new one"
    )
    assert caught.value.status_code == 500
    assert recorder.requests == []


@pytest.mark.parametrize("retry", ["fast", 3, RetryPolicy])
def test_retry_must_be_a_policy_or_none(retry: Any) -> None:
    with pytest.raises((TypeError, ValueError),
                       match=f"retry must be a RetryPolicy or None, got {type(retry).__name__}"):
        AsyncCodePush(ACCESS_KEY, SERVER, retry=retry)
    cp = AsyncCodePush(ACCESS_KEY, SERVER)
    with pytest.raises((TypeError, ValueError), match="retry must be a RetryPolicy or None"):
        cp.with_options(retry=retry)
