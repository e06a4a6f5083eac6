"""The request loop: what one call sends, answers, raises, settles, frees and remembers."""

from __future__ import annotations

import gc
import logging
import ssl
from collections.abc import AsyncIterator

import anyio
import pytest

from codepush_async import (
    APIConnectionError,
    APIStatusError,
    AsyncCodePush,
    ClientStateError,
    CodePushError,
    NotFoundError,
    OutcomeUnknownError,
    ResponseDecodeError,
    ServerError,
    Timeouts,
)
from tests._backend import BACKEND, httpx
from tests.conftest import ACCESS_KEY, SERVER, FakeClock, Recorder
from tests.payloads import PACKAGE_WIRE
from tests.unit.conftest import methods

pytestmark = pytest.mark.anyio

SECRET = "s3cr3t-new-key-0123456789"


@pytest.fixture
async def v1(recorder: Recorder, clock: FakeClock) -> AsyncIterator[AsyncCodePush]:
    async with AsyncCodePush(ACCESS_KEY, SERVER, dialect="v1", retry=None, clock=clock,
                             transport=httpx.MockTransport(recorder)) as client:
        yield client


# --- which failures are sent again ----------------------------------------------------


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
    recorder.reply_history([PACKAGE_WIRE])  # the source, before
    recorder.reply_history()  # the destination, before
    recorder.fail(httpx.ConnectError("connection refused"))
    recorder.fail(httpx.ConnectTimeout("no route"))
    recorder.reply(201, json_body={"package": PACKAGE_WIRE})
    recorder.reply_history([PACKAGE_WIRE])  # the source, checked after (no original label)

    await rcp.releases.promote("A", "Staging", "Production")

    promote = "POST /apps/A/deployments/Staging/promote/Production"
    assert methods(recorder) == [
        "GET /apps/A/deployments/Staging/history", "GET /apps/A/deployments/Production/history",
        promote, promote, promote, "GET /apps/A/deployments/Staging/history",
    ]
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
    rcp: AsyncCodePush, recorder: Recorder, clock: FakeClock, failure: Exception
) -> None:
    recorder.reply_history([PACKAGE_WIRE])  # the source
    recorder.reply_history()  # the destination, before
    recorder.fail(failure)
    recorder.reply_history()  # the destination, after: the promote is not there (yet)

    with pytest.raises(OutcomeUnknownError) as caught:
        await rcp.releases.promote("A", "Staging", "Production")

    assert methods(recorder) == [
        "GET /apps/A/deployments/Staging/history", "GET /apps/A/deployments/Production/history",
        "POST /apps/A/deployments/Staging/promote/Production",
        "GET /apps/A/deployments/Production/history",
    ]
    assert clock.sleeps == [0.5]  # the server is given a backoff before the read-back
    assert "it may still land, so it was not resent" in caught.value.message
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


# --- a DELETE after an unanswered attempt ---------------------------------------------


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


async def test_delete_gone_after_a_lost_answer_is_done_and_logged(
    short_cp: AsyncCodePush, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    recorder.fail(httpx.RemoteProtocolError("dropped"))
    recorder.reply(404, text='App "A" does not exist.')
    with caplog.at_level(logging.INFO, logger="codepush_async"):
        assert await short_cp.apps.remove("A") is None
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert messages[-1] == "DELETE /apps/A: gone after an unanswered attempt; taken as done"


@pytest.mark.parametrize("status", [429, 503])
async def test_delete_404_after_a_refused_attempt_is_a_real_404(
    short_cp: AsyncCodePush, recorder: Recorder, status: int
) -> None:
    """A 429/503 proves the first DELETE did nothing, so the 404 after it is the truth."""
    recorder.reply(status, text="busy", headers={"retry-after": "1"})
    recorder.reply(404, text='App "A" does not exist.')
    with pytest.raises(NotFoundError, match="does not exist"):
        await short_cp.apps.remove("A")
    assert len(recorder.requests) == 2


async def test_a_read_404_after_a_lost_answer_is_a_real_404(
    rcp: AsyncCodePush, recorder: Recorder
) -> None:
    """Only a DELETE is done when its target is gone: a read that finds nothing says so."""
    recorder.fail(httpx.RemoteProtocolError("dropped"))
    recorder.reply(404, text='App "A" does not exist.')
    with pytest.raises(NotFoundError, match="does not exist"):
        await rcp.apps.get("A")
    assert methods(recorder) == ["GET /apps/A", "GET /apps/A"]


async def test_a_delete_failing_otherwise_after_a_lost_answer_still_raises(
    rcp: AsyncCodePush, recorder: Recorder
) -> None:
    """Only a 404 settles an unanswered DELETE; any other failure stands."""
    recorder.fail(httpx.RemoteProtocolError("dropped"))
    recorder.reply(500, text="broken")
    with pytest.raises(ServerError, match="broken"):
        await rcp.apps.remove("A")
    assert methods(recorder) == ["DELETE /apps/A", "DELETE /apps/A"]


# --- answers that are not a success ---------------------------------------------------


@pytest.mark.parametrize("status", [300, 301, 304])
async def test_a_3xx_answer_is_an_error_not_a_success(
    cp: AsyncCodePush, recorder: Recorder, status: int
) -> None:
    recorder.reply(status, json_body={"apps": []})
    with pytest.raises(APIStatusError) as caught:
        await cp.apps.list()
    assert caught.value.status_code == status


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
    short_cp: AsyncCodePush, recorder: Recorder
) -> None:
    # A key created, but answered under an unexpected name: the value is missing.
    recorder.reply(201, json_body={"key": {"name": "ci", "key": SECRET}})

    with pytest.raises(ResponseDecodeError) as caught:
        await short_cp.tokens.create("ci", ttl=86400000)

    error = caught.value
    assert error.field == "$.accessKey"
    assert "(the body was '')" in error.message  # nothing of that body is quoted
    assert SECRET not in f"{error} {error!r} {vars(error)!r}"


async def test_an_answer_without_a_secret_is_quoted_to_help_debugging(
    short_cp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(200, json_body={"applications": []})

    with pytest.raises(ResponseDecodeError) as caught:
        await short_cp.apps.list()

    assert caught.value.field == "$.apps"
    assert "(the body was '{\"applications\": []}')" in caught.value.message


# --- a closed or abandoned client -----------------------------------------------------


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


# --- timeouts, TLS, redirects ---------------------------------------------------------


async def test_timeouts_per_client_per_call_and_for_uploads(
    recorder: Recorder, clock: FakeClock
) -> None:
    timeouts = Timeouts(connect=3, read=20, write=30, pool=4, min_upload_rate=1000)
    for _ in range(3):
        recorder.reply(200, json_body={"apps": []})
    recorder.reply_history()
    recorder.reply_release(PACKAGE_WIRE)
    async with AsyncCodePush(ACCESS_KEY, SERVER, transport=httpx.MockTransport(recorder),
                             timeout=timeouts, clock=clock) as cp:
        await cp.apps.list()
        await cp.with_options(timeout=2.5).apps.list()
        await cp.apps.list()
        await cp.releases.release("A", "S", b"x" * 10_000, "1.0.0")

    first, per_call, again, history, upload = (
        r.extensions["timeout"] for r in recorder.requests
    )
    assert first == {"connect": 3, "read": 20, "write": 30, "pool": 4}
    assert per_call == {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}
    assert again == history == first  # the history read before the upload is a plain read
    body_size = len(recorder.requests[-1].content)
    assert upload["write"] == pytest.approx(30 + body_size / 1000)
    assert upload["read"] == pytest.approx(20 + body_size / 1000)
    assert upload["connect"] == 3


async def test_tls_verification_is_on_by_default() -> None:
    cp = AsyncCodePush(ACCESS_KEY, "https://codepush.example.com")
    session = cp._requester.state.http._session
    if BACKEND == "aiohttp":  # its session is made on first use; ssl=True: the default context
        client = session._open()  # type: ignore[union-attr]
        assert client.connector._ssl is True
        await cp.aclose()
        return
    pool = session._client._transport._pool
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
