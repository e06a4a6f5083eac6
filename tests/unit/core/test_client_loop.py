"""The client's request loop: what it frees, records and quotes around each answer."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from email.utils import format_datetime

import anyio
import pytest

from codepush_async import (
    APIConnectionError,
    AsyncCodePush,
    ClientStateError,
    ResponseDecodeError,
    RetryPolicy,
)
from tests._backend import httpx
from tests.conftest import ACCESS_KEY, SERVER, FakeClock, Recorder

pytestmark = pytest.mark.anyio

POLICY = RetryPolicy(max_attempts=3, initial_backoff=0.5, jitter=0.0, max_wait=60)
SECRET = "s3cr3t-new-key-0123456789"


def http_date(epoch: float) -> str:
    return format_datetime(datetime.fromtimestamp(epoch, tz=timezone.utc), usegmt=True)


@pytest.fixture
async def rcp(recorder: Recorder, clock: FakeClock) -> AsyncIterator[AsyncCodePush]:
    async with AsyncCodePush(
        ACCESS_KEY, SERVER, transport=httpx.MockTransport(recorder), retry=POLICY, clock=clock,
        flavor="official",
    ) as client:
        yield client


@pytest.fixture
async def v1(recorder: Recorder, clock: FakeClock) -> AsyncIterator[AsyncCodePush]:
    async with AsyncCodePush(ACCESS_KEY, SERVER, dialect="v1", retry=None, clock=clock,
                             transport=httpx.MockTransport(recorder)) as client:
        yield client


# --- the rate limiter's slots ------------------------------------------------------------


async def test_an_undecodable_answer_frees_its_slot_so_the_next_call_goes(
    rcp: AsyncCodePush, recorder: Recorder, clock: FakeClock
) -> None:
    # A budget of one request per window, used up: the next call waits for the reset.
    recorder.reply(200, json_body={"apps": []}, headers={
        "x-ratelimit-limit": "1", "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": str(int(clock.time) + 5),
    })
    # The one slot of the new window goes to a call whose answer cannot be decoded.
    recorder._replies.append(httpx.Response(
        200, headers={"content-encoding": "gzip"}, stream=httpx.ByteStream(b'{"apps": []}')
    ))
    recorder.reply(200, json_body={"apps": []})

    await rcp.apps.list()
    with pytest.raises(ResponseDecodeError):
        await rcp.apps.list()
    # Nothing is in flight any more, so this call is not held waiting for an answer.
    with anyio.fail_after(10):
        assert await rcp.apps.list() == []

    assert clock.sleeps == [5.0]
    assert len(recorder.requests) == 3


# --- what a client remembers of being used -----------------------------------------------


async def test_a_call_through_a_closed_caller_client_is_refused_before_sending(
    recorder: Recorder, clock: FakeClock
) -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(recorder))
    async with AsyncCodePush(ACCESS_KEY, SERVER, http_client=http, clock=clock,
                             flavor="official") as cp:
        await http.aclose()  # the caller closes its own client while the SDK's is open
        with pytest.raises(ClientStateError, match="closed"):
            await cp.apps.list()
    assert recorder.requests == []


def test_a_client_whose_only_call_failed_still_warns_when_never_closed() -> None:
    async def use() -> None:
        recorder = Recorder()
        recorder.fail(httpx.ConnectError("connection refused"))
        cp = AsyncCodePush(ACCESS_KEY, SERVER, transport=httpx.MockTransport(recorder),
                           retry=None, flavor="official")
        with pytest.raises(APIConnectionError):
            await cp.apps.list()

    anyio.run(use)
    with pytest.warns(ResourceWarning, match="was used and never closed"):
        gc.collect()


# --- what a success answer carries into its errors ----------------------------------------


async def test_a_v1_token_answer_without_its_secret_names_the_top_level_field(
    v1: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(201, json_body={"friendlyName": "ci", "expires": "2024-01-01T00:00:00Z"})

    with pytest.raises(ResponseDecodeError) as caught:
        await v1.tokens.create("ci", ttl=86400000)

    # The v1 answer is the whole body: the missing field sits at its top level.
    assert caught.value.field == "$.accessToken"
    assert "$.accessToken" in caught.value.message


async def test_an_answer_that_carries_a_secret_is_never_quoted_in_an_error(
    rcp: AsyncCodePush, recorder: Recorder
) -> None:
    # A key created, but answered under an unexpected name: the value is missing.
    recorder.reply(201, json_body={"key": {"name": "ci", "key": SECRET}})

    with pytest.raises(ResponseDecodeError) as caught:
        await rcp.tokens.create("ci", ttl=86400000)

    error = caught.value
    assert error.field == "$.accessKey"
    assert "(the body was '')" in error.message  # nothing of that body is quoted
    assert SECRET not in f"{error} {error!r} {vars(error)!r}"


async def test_an_answer_without_a_secret_is_quoted_to_help_debugging(
    rcp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(200, json_body={"applications": []})

    with pytest.raises(ResponseDecodeError) as caught:
        await rcp.apps.list()

    assert caught.value.field == "$.apps"
    assert "(the body was '{\"applications\": []}')" in caught.value.message


# --- the server's clock --------------------------------------------------------------------


async def test_an_unreadable_date_header_does_not_shift_the_server_clock(
    rcp: AsyncCodePush, recorder: Recorder, clock: FakeClock
) -> None:
    recorder.reply(200, json_body={"apps": []}, headers={"date": "not a date"})
    await rcp.apps.list()

    assert rcp._requester.server_time(clock.time) == clock.time
