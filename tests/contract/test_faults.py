"""Fault injection through the SDK, in-process emulator only, on one shared fake clock.

Each scenario asserts the attempts the emulator saw (``emu.requests``), the waits the SDK
took (recorded sleeps; nothing sleeps for real) and that no write was applied twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from codepush_async import (
    AsyncCodePush,
    ConflictError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitError,
    RetryPolicy,
    ServerError,
    Timeouts,
)
from codepush_async.emulator import CodePushEmulator, RecordedRequest

from ..conftest import FakeClock
from .conftest import EMULATOR_URL, OWNER_EMAIL

pytestmark = pytest.mark.anyio

POLICY = RetryPolicy(max_attempts=4, initial_backoff=0.5, multiplier=2.0, jitter=0.0)
APP = "Fault App"
RELEASE_PATH = f"/apps/{APP}/deployments/Staging/release"
PROMOTE_PATH = f"/apps/{APP}/deployments/Staging/promote/Production"
STAGING_HISTORY = f"/apps/{APP}/deployments/Staging/history"
PRODUCTION_HISTORY = f"/apps/{APP}/deployments/Production/history"


class SharedClock(FakeClock):
    """One time source for both sides: the emulator calls it, the SDK uses now()/sleep()."""

    def __call__(self) -> float:
        return self.time


@pytest.fixture
def shared_clock() -> SharedClock:
    return SharedClock()


@pytest.fixture
def emu(shared_clock: SharedClock) -> CodePushEmulator:
    return CodePushEmulator(clock=shared_clock)


def _client(emu: CodePushEmulator, clock: SharedClock, email: str = OWNER_EMAIL) -> AsyncCodePush:
    """A retrying client of the account ``email`` (created if new), on the shared clock."""
    key = emu.create_account(email)
    return AsyncCodePush(key, EMULATOR_URL, transport=emu.transport, retry=POLICY, clock=clock)


@pytest.fixture
async def rcp(emu: CodePushEmulator, shared_clock: SharedClock) -> AsyncIterator[AsyncCodePush]:
    """A retrying client with app ``Fault App``; the setup's requests are forgotten."""
    async with _client(emu, shared_clock) as client:
        await client.apps.create(APP)
        emu.clear_requests()
        yield client


def seen(emu: CodePushEmulator, method: str, path: str) -> list[RecordedRequest]:
    """The requests the emulator received for ``method`` on exactly ``path`` (decoded)."""
    return [r for r in emu.requests if r.method == method and r.decoded_path == path]


def fates(requests: list[RecordedRequest]) -> list[tuple[int | None, bool, bool]]:
    """(status, handled, delivered) of each request, in order."""
    return [(r.status, r.handled, r.delivered) for r in requests]


async def test_503_burst_on_a_get(
    emu: CodePushEmulator, rcp: AsyncCodePush, shared_clock: SharedClock
) -> None:
    """Two canned 503s, then the real answer, after exponential backoff."""
    emu.fail_next(503, times=2, method="GET", path="/apps")

    assert [a.name for a in await rcp.apps.list()] == [APP]

    assert fates(seen(emu, "GET", "/apps")) == [
        (503, False, True),
        (503, False, True),
        (200, True, True),
    ]
    assert shared_clock.sleeps == [0.5, 1.0]


async def test_503_burst_on_a_post(
    emu: CodePushEmulator, rcp: AsyncCodePush, shared_clock: SharedClock
) -> None:
    """A 503 proves the server did not act, so a POST is resent; one app results."""
    emu.fail_next(503, times=2, method="POST", path="/apps")

    created = await rcp.apps.create("Burst")

    assert created.name == "Burst"
    assert fates(seen(emu, "POST", "/apps")) == [
        (503, False, True),
        (503, False, True),
        (201, True, True),
    ]
    assert shared_clock.sleeps == [0.5, 1.0]
    assert sorted(a.name for a in await rcp.apps.list()) == ["Burst", APP]


async def test_503_burst_on_a_release_resends_the_whole_upload(
    emu: CodePushEmulator, rcp: AsyncCodePush, shared_clock: SharedClock
) -> None:
    """The streamed multipart body is sent again in full on each attempt."""
    emu.fail_next(503, times=2, method="POST", path=RELEASE_PATH)
    progress: list[int] = []

    package = await rcp.releases.release(
        APP, "Staging", b"resent upload", "1.0.0", on_progress=lambda sent, _: progress.append(sent)
    )

    assert package.label == "v1"
    posts = seen(emu, "POST", RELEASE_PATH)
    assert [r.status for r in posts] == [503, 503, 201]
    assert len({r.body for r in posts}) == 1
    assert b"resent upload" in posts[0].body
    assert progress == sorted(set(progress))  # a resend never reports going backwards
    assert progress[-1] == len(posts[0].body)
    assert shared_clock.sleeps == [0.5, 1.0]
    # before the upload, and after each 503 (nothing new, so it was sent again)
    assert [r.status for r in seen(emu, "GET", STAGING_HISTORY)] == [200] * 3
    assert len(await rcp.releases.history(APP, "Staging")) == 1


async def test_503_until_the_attempts_run_out(
    emu: CodePushEmulator, rcp: AsyncCodePush, shared_clock: SharedClock
) -> None:
    """After ``max_attempts`` the last 503 is raised with the server's own words."""
    emu.fail_next(503, times=None, method="GET", path="/apps")

    with pytest.raises(ServerError) as caught:
        await rcp.apps.list()

    assert caught.value.status_code == 503
    assert caught.value.message == "The CodePush server temporarily timed out. Please try again."
    assert [r.status for r in seen(emu, "GET", "/apps")] == [503] * 4
    assert shared_clock.sleeps == [0.5, 1.0, 2.0]


async def test_429_waits_what_retry_after_says(
    emu: CodePushEmulator, rcp: AsyncCodePush, shared_clock: SharedClock
) -> None:
    """``Retry-After: 7`` is honoured instead of the backoff."""
    emu.fail_next(429, retry_after=7, method="GET", path="/apps")

    assert [a.name for a in await rcp.apps.list()] == [APP]

    assert [r.status for r in seen(emu, "GET", "/apps")] == [429, 200]
    assert shared_clock.sleeps == [7.0]


async def test_429_longer_than_max_wait_is_raised_at_once(
    emu: CodePushEmulator, rcp: AsyncCodePush, shared_clock: SharedClock
) -> None:
    """A server-requested wait over ``max_wait`` is not slept: ``RateLimitError`` carries it."""
    emu.fail_next(429, retry_after=861, method="GET", path="/apps")

    with pytest.raises(RateLimitError) as caught:
        await rcp.apps.list()

    assert caught.value.status_code == 429
    assert caught.value.retry_after == 861
    assert caught.value.message == "Too many requests, please try again later."
    assert [r.status for r in seen(emu, "GET", "/apps")] == [429]
    assert shared_clock.sleeps == []


async def test_client_limiter_waits_for_the_window_reset(shared_clock: SharedClock) -> None:
    """With 3 requests per 60 s, the 4th call waits for the reset instead of collecting a 429."""
    emu = CodePushEmulator(clock=shared_clock, rate_limit=3, rate_limit_window=60)
    async with _client(emu, shared_clock) as client:
        results = [await client.account.is_authenticated() for _ in range(5)]

    assert results == [True] * 5
    assert [r.status for r in seen(emu, "GET", "/authenticated")] == [200] * 5
    assert shared_clock.sleeps == [60.0]


async def test_client_limiter_spaces_releases(shared_clock: SharedClock) -> None:
    """The release budget is learned from its own headers: the 3rd of 2-per-minute waits."""
    emu = CodePushEmulator(clock=shared_clock, rate_limit=2, rate_limit_window=60)
    async with _client(emu, shared_clock) as client:
        await client.apps.create(APP)
        labels = [
            (await client.releases.release(APP, "Staging", f"r{i}".encode(), "1.0.0")).label
            for i in range(3)
        ]
        assert await client.account.is_authenticated() is True  # a budget of its own

    assert labels == ["v1", "v2", "v3"]
    assert [r.status for r in seen(emu, "POST", RELEASE_PATH)] == [201] * 3
    assert shared_clock.sleeps == [60.0]


async def test_release_refused_with_429_by_a_spent_budget_is_resent(
    shared_clock: SharedClock,
) -> None:
    """Another client spent the shared budget: a 429 proves nothing was stored, so the
    release waits ``Retry-After`` and goes again, once."""
    emu = CodePushEmulator(clock=shared_clock, rate_limit=1, rate_limit_window=60)
    second_email = "second@example.com"
    async with (
        _client(emu, shared_clock) as first,
        _client(emu, shared_clock, second_email) as second,
    ):
        await first.apps.create(APP)
        await first.collaborators.add(APP, second_email)
        await first.releases.release(APP, "Staging", b"spends the budget", "1.0.0")
        package = await second.releases.release(APP, "Staging", b"waits", "1.0.0")
        history = await first.releases.history(APP, "Staging")

    assert package.label == "v2"
    assert [r.status for r in seen(emu, "POST", RELEASE_PATH)] == [201, 429, 201]
    assert shared_clock.sleeps == [60.0]
    assert [p.label for p in history] == ["v1", "v2"]


async def test_release_dropped_before_the_handler_is_resent(
    emu: CodePushEmulator, rcp: AsyncCodePush, shared_clock: SharedClock
) -> None:
    """The server never saw it, so resending cannot duplicate it."""
    emu.drop_next(method="POST", path=RELEASE_PATH)

    package = await rcp.releases.release(APP, "Staging", b"dropped before", "1.0.0")

    assert package.label == "v1"
    assert fates(seen(emu, "POST", RELEASE_PATH)) == [(None, False, False), (201, True, True)]
    assert [r.status for r in seen(emu, "GET", STAGING_HISTORY)] == [200]  # no read-back
    assert shared_clock.sleeps == [0.5]
    assert [p.label for p in await rcp.releases.history(APP, "Staging")] == ["v1"]


async def test_release_whose_answer_was_lost_is_reconciled(
    emu: CodePushEmulator, rcp: AsyncCodePush, shared_clock: SharedClock
) -> None:
    """The server stored it: the SDK finds it instead of releasing it twice."""
    emu.drop_next(after_handler=True, method="POST", path=RELEASE_PATH)

    package = await rcp.releases.release(APP, "Staging", b"answer lost", "1.0.0")

    assert package.label == "v1"
    assert fates(seen(emu, "POST", RELEASE_PATH)) == [(201, True, False)]
    # the history before the upload, then again after the lost answer: v1 is new, and ours
    assert [r.status for r in seen(emu, "GET", STAGING_HISTORY)] == [200, 200]
    assert shared_clock.sleeps == [0.5]
    history = await rcp.releases.history(APP, "Staging")
    assert [(p.label, p.package_hash) for p in history] == [("v1", package.package_hash)]


async def test_promote_whose_answer_was_lost_is_found_in_the_history(
    emu: CodePushEmulator, rcp: AsyncCodePush, shared_clock: SharedClock
) -> None:
    """The server stored it: the destination's history shows a new promote of what was
    copied, so it is done, and it was not sent again."""
    released = await rcp.releases.release(APP, "Staging", b"to promote", "1.0.0")
    emu.clear_requests()
    shared_clock.sleeps.clear()
    emu.drop_next(after_handler=True, method="POST", path=PROMOTE_PATH)

    promoted = await rcp.releases.promote(APP, "Staging", "Production")

    assert (promoted.label, promoted.release_method) == ("v1", "Promote")
    assert promoted.package_hash == released.package_hash
    assert fates(seen(emu, "POST", PROMOTE_PATH)) == [(201, True, False)]
    assert [r.status for r in seen(emu, "GET", STAGING_HISTORY)] == [200]
    assert [r.status for r in seen(emu, "GET", PRODUCTION_HISTORY)] == [200, 200]
    assert shared_clock.sleeps == [0.5]  # the server is given a backoff before the read-back
    assert [p.label for p in await rcp.releases.history(APP, "Production")] == ["v1"]


async def test_promote_whose_answer_was_lost_and_not_stored_is_outcome_unknown(
    emu: CodePushEmulator, rcp: AsyncCodePush, shared_clock: SharedClock
) -> None:
    """It timed out before the handler ran: nothing is in the history (yet), so the caller
    learns the outcome is unknown; a promote is never resent blindly."""
    await rcp.releases.release(APP, "Staging", b"to promote", "1.0.0")
    emu.clear_requests()
    shared_clock.sleeps.clear()
    emu.delay_next(999, before_handler=True, method="POST", path=PROMOTE_PATH)
    fast = rcp.with_options(timeout=Timeouts(read=5))

    with pytest.raises(OutcomeUnknownError) as caught:
        await fast.releases.promote(APP, "Staging", "Production")

    assert caught.value.status_code == 504
    assert "not in the deployment's history" in caught.value.message
    assert fates(seen(emu, "POST", PROMOTE_PATH)) == [(None, False, False)]
    assert [r.status for r in seen(emu, "GET", PRODUCTION_HISTORY)] == [200, 200]
    assert shared_clock.sleeps == [0.5]
    assert await rcp.releases.history(APP, "Production") == []


async def test_delete_whose_answer_was_lost_is_taken_as_done(
    emu: CodePushEmulator, rcp: AsyncCodePush, shared_clock: SharedClock
) -> None:
    """The retry finds the app gone (404), which means the first attempt worked."""
    emu.drop_next(after_handler=True, method="DELETE", path=f"/apps/{APP}")

    await rcp.apps.remove(APP)

    assert fates(seen(emu, "DELETE", f"/apps/{APP}")) == [(204, True, False), (404, True, True)]
    assert shared_clock.sleeps == [0.5]
    with pytest.raises(NotFoundError):
        await rcp.apps.get(APP)


async def test_delete_dropped_before_the_handler_is_retried(
    emu: CodePushEmulator, rcp: AsyncCodePush, shared_clock: SharedClock
) -> None:
    """A DELETE that never arrived is simply sent again."""
    emu.drop_next(method="DELETE", path=f"/apps/{APP}")

    await rcp.apps.remove(APP)

    assert fates(seen(emu, "DELETE", f"/apps/{APP}")) == [(None, False, False), (204, True, True)]
    assert shared_clock.sleeps == [0.5]
    assert await rcp.apps.list() == []


async def test_slow_get_times_out_and_is_retried(
    emu: CodePushEmulator, rcp: AsyncCodePush, shared_clock: SharedClock
) -> None:
    """A read timeout on a GET is retried (the emulator raises it at once, no real wait)."""
    emu.delay_next(999, method="GET", path="/apps")
    fast = rcp.with_options(timeout=Timeouts(read=5))

    assert [a.name for a in await fast.apps.list()] == [APP]

    assert fates(seen(emu, "GET", "/apps")) == [(200, True, False), (200, True, True)]
    assert shared_clock.sleeps == [0.5]


async def test_slow_release_is_reconciled(
    emu: CodePushEmulator, rcp: AsyncCodePush, shared_clock: SharedClock
) -> None:
    """A release that timed out after the server stored it is found, not sent again."""
    emu.delay_next(999, method="POST", path=RELEASE_PATH)
    fast = rcp.with_options(timeout=Timeouts(read=5))

    package = await fast.releases.release(APP, "Staging", b"slow release", "1.0.0")

    assert package.label == "v1"
    assert fates(seen(emu, "POST", RELEASE_PATH)) == [(201, True, False)]
    assert [r.status for r in seen(emu, "GET", STAGING_HISTORY)] == [200, 200]
    assert shared_clock.sleeps == [0.5]
    assert [p.label for p in await rcp.releases.history(APP, "Staging")] == ["v1"]


async def test_release_timed_out_before_the_handler_is_resent_once(
    emu: CodePushEmulator, rcp: AsyncCodePush, shared_clock: SharedClock
) -> None:
    """Nothing was stored: the SDK looks, finds nothing, and sends the upload again once."""
    emu.delay_next(999, before_handler=True, method="POST", path=RELEASE_PATH)
    fast = rcp.with_options(timeout=Timeouts(read=5))

    package = await fast.releases.release(APP, "Staging", b"never arrived", "1.0.0")

    assert package.label == "v1"
    assert fates(seen(emu, "POST", RELEASE_PATH)) == [(None, False, False), (201, True, True)]
    assert [r.status for r in seen(emu, "GET", STAGING_HISTORY)] == [200, 200]  # before, after
    assert shared_clock.sleeps == [0.5, 0.0]  # the backoff before the read-back, no more
    assert [p.label for p in await rcp.releases.history(APP, "Staging")] == ["v1"]


@pytest.mark.parametrize("status", [429, 503])
async def test_delete_refused_then_not_found_is_still_not_found(
    emu: CodePushEmulator, rcp: AsyncCodePush, shared_clock: SharedClock, status: int
) -> None:
    """A 429/503 proves the server did not act (the SDK resends POSTs on that ground), so
    the 404 that follows is the truth: the app never existed."""
    emu.fail_next(status, method="DELETE", path="/apps/Missing App")

    with pytest.raises(NotFoundError) as caught:
        await rcp.apps.remove("Missing App")

    assert caught.value.message == 'App "Missing App" does not exist.'
    assert fates(seen(emu, "DELETE", "/apps/Missing App")) == [
        (status, False, True),
        (404, True, True),
    ]
    assert shared_clock.sleeps == [0.5]


async def test_identical_release_whose_refusal_was_lost_is_still_a_conflict(
    emu: CodePushEmulator, rcp: AsyncCodePush, shared_clock: SharedClock
) -> None:
    """The server refused (409 identical) and the answer was lost: the SDK must not report
    the release that was already current as if this upload had made it."""
    before = await rcp.releases.release(APP, "Staging", b"same", "1.0.0")
    emu.clear_requests()  # no time passes: the history read before tells them apart
    emu.drop_next(after_handler=True, method="POST", path=RELEASE_PATH)

    with pytest.raises(ConflictError) as caught:
        await rcp.releases.release(APP, "Staging", b"same", "1.0.0")

    assert "identical" in caught.value.message
    # v1 was there before: nothing new, so it is sent again and refused again, in words
    assert fates(seen(emu, "POST", RELEASE_PATH)) == [(409, True, False), (409, True, True)]
    assert [r.status for r in seen(emu, "GET", STAGING_HISTORY)] == [200, 200, 200]
    history = await rcp.releases.history(APP, "Staging")
    assert [(p.label, p.package_hash) for p in history] == [("v1", before.package_hash)]
