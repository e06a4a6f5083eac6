"""Retries, backoff, server hints, the shared limiter and idempotency, with a fake clock."""

from __future__ import annotations

import hashlib
import logging
import ssl
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest

from codepush_async import (
    APIConnectionError,
    APITimeoutError,
    AsyncCodePush,
    ConflictError,
    NotFoundError,
    OutcomeUnknownError,
    PayloadTooLargeError,
    RateLimitError,
    RetryPolicy,
    ServerError,
    Timeouts,
)
from tests._backend import httpx
from tests.conftest import ACCESS_KEY, SERVER, FakeClock, Recorder
from tests.payloads import PACKAGE_WIRE

pytestmark = pytest.mark.anyio

POLICY = RetryPolicy(max_attempts=4, initial_backoff=0.5, multiplier=2.0, jitter=0.0)
BUSY = "The CodePush server temporarily timed out. Please try again."
DATA = b"plain package bytes"
DATA_HASH = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
async def rcp(recorder: Recorder, clock: FakeClock) -> AsyncIterator[AsyncCodePush]:
    """A client with a deterministic retry policy."""
    async with AsyncCodePush(
        ACCESS_KEY, SERVER, transport=httpx.MockTransport(recorder), retry=POLICY, clock=clock,
        flavor="official",
    ) as client:
        yield client


def methods(recorder: Recorder) -> list[str]:
    return [f"{r.method} {r.url.raw_path.decode()}" for r in recorder.requests]


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


@pytest.mark.parametrize("status", [409, 413, 400, 404])
async def test_final_statuses_are_never_retried(
    rcp: AsyncCodePush, recorder: Recorder, clock: FakeClock, status: int
) -> None:
    recorder.reply(status, text="no")
    with pytest.raises(Exception, match="no"):
        await rcp.apps.create("A")
    assert len(recorder.requests) == 1
    assert clock.sleeps == []


@pytest.mark.parametrize("status", [429, 503])
async def test_writes_retry_when_the_server_provably_did_not_act(
    rcp: AsyncCodePush, recorder: Recorder, status: int
) -> None:
    recorder.reply(status, text="busy", headers={"retry-after": "1"})
    recorder.reply(201, json_body={"app": {"name": "A"}})

    app = await rcp.apps.create("A")

    assert app.name == "A"
    assert methods(recorder) == ["POST /apps", "POST /apps"]
    assert recorder.requests[0].content == recorder.requests[1].content


async def test_writes_retry_when_the_connection_never_opened(
    rcp: AsyncCodePush, recorder: Recorder, clock: FakeClock
) -> None:
    recorder.fail(httpx.ConnectError("connection refused"))
    recorder.fail(httpx.ConnectTimeout("no route"))
    recorder.reply(201, json_body={"package": PACKAGE_WIRE})
    recorder.reply(200, json_body={"history": [PACKAGE_WIRE]})  # the source, checked after

    await rcp.releases.promote("A", "Staging", "Production")

    assert len(recorder.requests) == 4
    assert clock.sleeps == [0.5, 1.0]


@pytest.mark.parametrize(
    "failure",
    [
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadTimeout("timed out"),
        httpx.ReadError("connection reset"),
    ],
    ids=["dropped-after-send", "read-timeout", "reset"],
)
async def test_ambiguous_write_is_never_resent(
    rcp: AsyncCodePush, recorder: Recorder, failure: Exception
) -> None:
    recorder.fail(failure)

    with pytest.raises(OutcomeUnknownError) as caught:
        await rcp.releases.promote("A", "Staging", "Production")

    assert len(recorder.requests) == 1
    assert "may or may not have taken effect" in caught.value.message
    assert caught.value.status_code == 504
    assert isinstance(caught.value, APIConnectionError)


@pytest.mark.parametrize("status", [408, 502, 504])
async def test_ambiguous_status_on_a_write_is_never_resent(
    rcp: AsyncCodePush, recorder: Recorder, status: int
) -> None:
    recorder.reply(status, text="gateway trouble")
    with pytest.raises(OutcomeUnknownError) as caught:
        await rcp.apps.rename("A", "B")
    assert len(recorder.requests) == 1
    assert caught.value.status_code == status


@pytest.mark.parametrize(
    "failure",
    [httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("dropped"), httpx.ConnectError("no")],
)
async def test_reads_are_retried_freely(
    rcp: AsyncCodePush, recorder: Recorder, failure: Exception
) -> None:
    recorder.fail(failure)
    recorder.reply(200, json_body={"history": []})
    assert await rcp.releases.history("A", "S") == []
    assert len(recorder.requests) == 2


async def test_delete_lost_answer_then_404_counts_as_done(
    rcp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.fail(httpx.RemoteProtocolError("dropped"))
    recorder.reply(404, text='App "A" does not exist.')

    await rcp.apps.remove("A")

    assert methods(recorder) == ["DELETE /apps/A", "DELETE /apps/A"]


async def test_delete_404_without_an_earlier_attempt_still_raises(
    rcp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(404, text='App "A" does not exist.')
    with pytest.raises(NotFoundError):
        await rcp.apps.remove("A")


async def test_retry_none_disables_retries(recorder: Recorder, clock: FakeClock) -> None:
    recorder.reply(503, text=BUSY)
    async with AsyncCodePush(ACCESS_KEY, SERVER, transport=httpx.MockTransport(recorder),
                             retry=None, clock=clock) as cp:
        with pytest.raises(ServerError):
            await cp.apps.list()
    assert len(recorder.requests) == 1
    assert clock.sleeps == []


# --- release: reconciliation after an ambiguous failure -------------------------------


def _deployment(package_hash: str | None) -> dict[str, Any]:
    package = None if package_hash is None else {**PACKAGE_WIRE, "packageHash": package_hash}
    return {"deployment": {"name": "Staging", "key": "k", "package": package}}


async def test_release_lost_answer_but_stored_is_reported_as_success(
    rcp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.fail(httpx.RemoteProtocolError("Server disconnected without sending a response."))
    recorder.reply(200, json_body=_deployment(DATA_HASH))

    package = await rcp.releases.release("A", "Staging", DATA, "1.0.0")

    assert package.package_hash == DATA_HASH
    assert methods(recorder) == [
        "POST /apps/A/deployments/Staging/release",
        "GET /apps/A/deployments/Staging",
    ]


async def test_release_lost_and_not_stored_is_sent_again_whole(
    rcp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.fail(httpx.ReadTimeout("timed out"))
    recorder.reply(200, json_body=_deployment("somebody-elses-hash"))
    recorder.reply(201, json_body={"package": {**PACKAGE_WIRE, "packageHash": DATA_HASH}})
    progress: list[int] = []

    package = await rcp.releases.release("A", "Staging", DATA, "1.0.0",
                                         on_progress=lambda sent, total: progress.append(sent))

    assert package.package_hash == DATA_HASH
    first, check, second = recorder.requests
    assert (first.method, check.method, second.method) == ("POST", "GET", "POST")
    assert first.content == second.content
    assert progress == sorted(progress)


async def test_release_resend_answered_identical_means_the_first_landed(
    rcp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.fail(httpx.ReadTimeout("timed out"))
    recorder.reply(200, json_body=_deployment(None))  # not visible yet
    recorder.reply(409, text="The uploaded package was not released because it is identical "
                             "to the contents of the specified deployment's current release.")
    recorder.reply(200, json_body=_deployment(DATA_HASH))

    package = await rcp.releases.release("A", "Staging", DATA, "1.0.0")

    assert package.package_hash == DATA_HASH
    assert [r.method for r in recorder.requests] == ["POST", "GET", "POST", "GET"]


async def test_release_with_retries_off_still_reconciles_but_never_resends(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.fail(httpx.ReadTimeout("timed out"))
    recorder.reply(200, json_body=_deployment("other"))

    with pytest.raises(OutcomeUnknownError):
        await cp.releases.release("A", "Staging", DATA, "1.0.0")

    assert [r.method for r in recorder.requests] == ["POST", "GET"]


async def test_release_409_and_413_are_not_retried(
    rcp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(409, text="Please update the previous release to 100% rollout before "
                             "releasing a new package.")
    with pytest.raises(ConflictError):
        await rcp.releases.release("A", "Staging", DATA, "1.0.0")
    recorder.reply(413, text="too big")
    with pytest.raises(PayloadTooLargeError):
        await rcp.releases.release("A", "Staging", DATA, "1.0.0")
    assert len(recorder.requests) == 2


# --- the shared limiter ---------------------------------------------------------------


async def test_remaining_zero_makes_later_calls_wait_for_the_reset(
    rcp: AsyncCodePush, recorder: Recorder, clock: FakeClock
) -> None:
    reset = int(clock.time) + 40
    recorder.reply(200, json_body={"authenticated": True}, headers={
        "x-ratelimit-limit": "2", "x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)})
    recorder.reply(200, json_body={"apps": []})  # another limit: not held back
    recorder.reply(200, json_body={"authenticated": True}, headers={
        "x-ratelimit-limit": "2", "x-ratelimit-remaining": "1",
        "x-ratelimit-reset": str(reset + 900)})

    assert await rcp.account.is_authenticated()
    await rcp.apps.list()
    assert clock.sleeps == []
    assert await rcp.account.is_authenticated()

    assert clock.sleeps == [40.0]
    assert len(recorder.requests) == 3


async def test_concurrent_tasks_share_one_budget(
    recorder: Recorder, clock: FakeClock
) -> None:
    """Five tasks, two requests left in the window: three wait for the reset, none get 429."""
    reset = int(clock.time) + 10
    state = {"left": 3, "reset": reset}

    def server(request: httpx.Request) -> httpx.Response:
        recorder.requests.append(request)
        if clock.time >= state["reset"]:
            state["left"], state["reset"] = 3, state["reset"] + 10
        if state["left"] == 0:
            return httpx.Response(429, text="Too many requests")
        state["left"] -= 1
        return httpx.Response(200, json={"authenticated": True}, headers={
            "x-ratelimit-limit": "3", "x-ratelimit-remaining": str(state["left"]),
            "x-ratelimit-reset": str(state["reset"])})

    async with AsyncCodePush(ACCESS_KEY, SERVER, transport=httpx.MockTransport(server),
                             retry=POLICY, clock=clock) as cp:
        assert await cp.account.is_authenticated()  # learn the budget: 2 left
        async with anyio.create_task_group() as tg:
            for _ in range(5):
                tg.start_soon(cp.account.is_authenticated)

    assert len(recorder.requests) == 6
    assert clock.sleeps
    assert clock.sleeps[0] == 10.0


async def test_limiter_wait_over_the_maximum_raises_before_sending(
    recorder: Recorder, clock: FakeClock
) -> None:
    recorder.reply(200, json_body={"authenticated": True}, headers={
        "x-ratelimit-limit": "100", "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": str(int(clock.time) + 900)})
    async with AsyncCodePush(ACCESS_KEY, SERVER, transport=httpx.MockTransport(recorder),
                             retry=RetryPolicy(max_wait=60), clock=clock) as cp:
        await cp.account.is_authenticated()
        with pytest.raises(RateLimitError) as caught:
            await cp.account.is_authenticated()
    assert caught.value.retry_after == 900
    assert len(recorder.requests) == 1


# --- timeouts, logging, TLS, redirects -------------------------------------------------


async def test_timeouts_per_client_per_call_and_for_uploads(
    recorder: Recorder, clock: FakeClock
) -> None:
    timeouts = Timeouts(connect=3, read=20, write=30, pool=4, min_upload_rate=1000)
    for _ in range(3):
        recorder.reply(200, json_body={"apps": []})
    recorder.reply_release(PACKAGE_WIRE)
    async with AsyncCodePush(ACCESS_KEY, SERVER, transport=httpx.MockTransport(recorder),
                             timeout=timeouts, clock=clock) as cp:
        await cp.apps.list()
        await cp.with_options(timeout=2.5).apps.list()
        await cp.apps.list()
        await cp.releases.release("A", "S", b"x" * 10_000, "1.0.0")

    first, per_call, again, upload = (r.extensions["timeout"] for r in recorder.requests)
    assert first == {"connect": 3, "read": 20, "write": 30, "pool": 4}
    assert per_call == {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}
    assert again == first
    body_size = len(recorder.requests[-1].content)
    assert upload["write"] == pytest.approx(30 + body_size / 1000)
    assert upload["read"] == pytest.approx(20 + body_size / 1000)
    assert upload["connect"] == 3


async def test_read_timeout_exhausting_retries_is_a_504(
    rcp: AsyncCodePush, recorder: Recorder
) -> None:
    for _ in range(4):
        recorder.fail(httpx.ReadTimeout("timed out"))
    with pytest.raises(APITimeoutError) as caught:
        await rcp.apps.list()
    assert caught.value.status_code == 504
    assert len(recorder.requests) == 4


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


def test_tls_verification_is_on_by_default() -> None:
    cp = AsyncCodePush(ACCESS_KEY, "https://codepush.example.com")
    pool = cp._requester.state.http._client._transport._pool  # type: ignore[attr-defined]
    assert pool._ssl_context.verify_mode == ssl.CERT_REQUIRED
    assert pool._ssl_context.check_hostname


async def test_redirects_are_not_followed_by_default(
    rcp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(302, text="", headers={"location": "https://evil.example.net/apps"})
    with pytest.raises(Exception, match="Found"):
        await rcp.apps.list()
    assert len(recorder.requests) == 1


async def test_authorization_never_follows_a_redirect_to_another_host(
    recorder: Recorder,
) -> None:
    recorder.reply(302, text="", headers={"location": "https://evil.example.net/apps"})
    recorder.reply(200, json_body={"apps": []})
    client = httpx.AsyncClient(transport=httpx.MockTransport(recorder), follow_redirects=True)
    async with AsyncCodePush(ACCESS_KEY, SERVER, http_client=client) as cp:
        await cp.apps.list()
    await client.aclose()
    first, redirected = recorder.requests
    assert first.headers["authorization"] == f"Bearer {ACCESS_KEY}"
    assert redirected.url.host == "evil.example.net"
    assert "authorization" not in redirected.headers
