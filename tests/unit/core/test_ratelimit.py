"""The client's shared rate limiter: budgets learned from answers, waits for the reset.

The overlap tests use a server that holds every request until the test answers it and
a clock that moves only when the test says so, so requests in flight, tasks waiting for
a slot or for the reset, and answers arriving out of order all happen for real.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from email.utils import format_datetime

import anyio
import attrs
import pytest

from codepush_async import (
    AsyncCodePush,
    RateLimitError,
    ResponseDecodeError,
    RetryPolicy,
)
from tests._backend import httpx
from tests.conftest import ACCESS_KEY, SERVER, FakeClock, Recorder
from tests.unit.conftest import POLICY

pytestmark = pytest.mark.anyio

T0 = 1_700_000_000.0
HELD_POLICY = RetryPolicy(max_attempts=2, jitter=0.0, max_wait=120)


# --- one call at a time ---------------------------------------------------------------


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


async def test_an_undecodable_answer_frees_its_slot_so_the_next_call_goes(
    short_cp: AsyncCodePush, recorder: Recorder, clock: FakeClock
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

    await short_cp.apps.list()
    with pytest.raises(ResponseDecodeError):
        await short_cp.apps.list()
    # Nothing is in flight any more, so this call is not held waiting for an answer.
    with anyio.fail_after(10):
        assert await short_cp.apps.list() == []

    assert clock.sleeps == [5.0]
    assert len(recorder.requests) == 3


# --- really overlapping calls ---------------------------------------------------------

pytestmark = pytest.mark.anyio

class HeldClock:
    """Time that moves only when the test calls ``advance``; sleepers wake when it passes."""

    def __init__(self, start: float = T0) -> None:
        self.time = start
        self.sleeps: list[float] = []
        self._sleepers: list[tuple[float, anyio.Event]] = []

    def now(self) -> float:
        return self.time

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        woken = anyio.Event()
        self._sleepers.append((self.time + seconds, woken))
        await woken.wait()

    @property
    def sleeping(self) -> int:
        return len(self._sleepers)

    def advance(self, seconds: float) -> None:
        self.time += seconds
        due = [s for s in self._sleepers if s[0] <= self.time]
        self._sleepers = [s for s in self._sleepers if s[0] > self.time]
        for _, woken in due:
            woken.set()


@attrs.define
class Held:
    request: httpx.Request
    answer: httpx.Response | Exception | None = None
    released: anyio.Event = attrs.field(factory=anyio.Event)


class HoldingServer:
    """A mock transport handler that keeps each request until ``answer`` is called."""

    def __init__(self) -> None:
        self.held: list[Held] = []
        self.answered = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        held = Held(request)
        self.held.append(held)
        await held.released.wait()
        if isinstance(held.answer, Exception):
            raise held.answer
        assert held.answer is not None
        return held.answer

    @property
    def waiting(self) -> list[Held]:
        return [h for h in self.held if not h.released.is_set()]

    def answer(self, held: Held, *, remaining: int | None, limit: int | None = 10,
               reset: float | None = T0 + 60, date: float | None = None,
               status: int = 200) -> None:
        headers = {}
        if limit is not None:
            headers["x-ratelimit-limit"] = str(limit)
        if remaining is not None:
            headers["x-ratelimit-remaining"] = str(remaining)
        if reset is not None:
            headers["x-ratelimit-reset"] = str(int(reset))
        if date is not None:
            when = datetime.fromtimestamp(date, tz=timezone.utc)
            headers["date"] = format_datetime(when, usegmt=True)
        body = {"apps": []} if status == 200 else {"message": "slow down"}
        held.answer = httpx.Response(status, json=body, headers=headers)
        held.released.set()
        self.answered += 1

    def drop(self, held: Held) -> None:
        """The connection breaks: no answer, no headers."""
        held.answer = httpx.ReadError("connection reset by peer")
        held.released.set()


@pytest.fixture
def server() -> HoldingServer:
    return HoldingServer()


@pytest.fixture
def held_clock() -> HeldClock:
    return HeldClock()


@pytest.fixture
async def held_cp(server: HoldingServer, held_clock: HeldClock) -> AsyncIterator[AsyncCodePush]:
    async with AsyncCodePush(ACCESS_KEY, SERVER, transport=httpx.MockTransport(server),
                             retry=HELD_POLICY, clock=held_clock, flavor="official") as client:
        yield client


@asynccontextmanager
async def overlapping() -> AsyncIterator[anyio.abc.TaskGroup]:
    """A task group that fails the test instead of hanging if a call never finishes."""
    with anyio.fail_after(20):
        async with anyio.create_task_group() as tg:
            yield tg


async def settle() -> None:
    await anyio.wait_all_tasks_blocked()


async def learn(held_cp: AsyncCodePush, server: HoldingServer, **answer: object) -> None:
    """One call, answered with ``answer``'s headers, so the limiter knows the budget."""
    async with overlapping() as tg:
        tg.start_soon(held_cp.apps.list)
        await settle()
        server.answer(server.waiting[0], **answer)  # type: ignore[arg-type]


def start(tg: anyio.abc.TaskGroup, held_cp: AsyncCodePush, count: int) -> None:
    for _ in range(count):
        tg.start_soon(held_cp.apps.list)


async def test_the_last_slot_is_used_and_the_next_call_waits_for_the_reset(
    held_cp: AsyncCodePush, server: HoldingServer, held_clock: HeldClock
) -> None:
    await learn(held_cp, server, remaining=1, reset=T0 + 30)
    async with overlapping() as tg:
        start(tg, held_cp, 2)
        await settle()
        assert len(server.waiting) == 1  # one slot: one request out
        assert held_clock.sleeps == [30.0]  # the other waits for the reset
        server.answer(server.waiting[0], remaining=0, reset=T0 + 30)
        await settle()
        assert len(server.held) == 2
        held_clock.advance(30)
        await settle()
        assert len(server.waiting) == 1  # sent once the window reset
        server.answer(server.waiting[0], remaining=9, reset=T0 + 90)


async def test_concurrent_calls_take_exactly_the_slots_left(
    held_cp: AsyncCodePush, server: HoldingServer, held_clock: HeldClock
) -> None:
    await learn(held_cp, server, remaining=3)
    async with overlapping() as tg:
        start(tg, held_cp, 5)
        await settle()
        assert len(server.waiting) == 3
        assert held_clock.sleeping == 2
        assert held_clock.sleeps == [60.0, 60.0]
        for held in server.waiting:
            server.answer(held, remaining=0)
        await settle()
        held_clock.advance(60)
        await settle()
        assert len(server.waiting) == 2
        for held in server.waiting:
            server.answer(held, remaining=8, reset=T0 + 120)
    assert server.answered == 6


async def test_requests_in_flight_count_against_what_the_server_reports(
    held_cp: AsyncCodePush, server: HoldingServer, held_clock: HeldClock
) -> None:
    """10 left, 3 of ours in flight; the first answer says 5 left (others used 2 more):
    the 2 still in flight will take 2 of those, so only 3 more may go."""
    await learn(held_cp, server, remaining=10)
    async with overlapping() as tg:
        start(tg, held_cp, 3)
        await settle()
        first, second, third = server.waiting
        server.answer(first, remaining=5)
        await settle()
        start(tg, held_cp, 5)
        await settle()
        assert len(server.waiting) == 2 + 3
        assert held_clock.sleeping == 2
        server.answer(second, remaining=4)
        server.answer(third, remaining=3)
        for held in server.waiting:
            server.answer(held, remaining=0)
        await settle()
        held_clock.advance(60)
        await settle()
        for held in server.waiting:
            server.answer(held, remaining=8, reset=T0 + 120)


async def test_when_everything_is_answered_the_server_count_is_taken_as_it_is(
    held_cp: AsyncCodePush, server: HoldingServer, held_clock: HeldClock
) -> None:
    await learn(held_cp, server, remaining=10)
    async with overlapping() as tg:
        start(tg, held_cp, 1)
        await settle()
        server.answer(server.waiting[0], remaining=4)  # others used 5 meanwhile
        await settle()
        start(tg, held_cp, 6)
        await settle()
        assert len(server.waiting) == 4
        assert held_clock.sleeping == 2
        for held in server.waiting:
            server.answer(held, remaining=0)
        await settle()
        held_clock.advance(60)
        await settle()
        for held in server.waiting:
            server.answer(held, remaining=8, reset=T0 + 120)


async def test_answers_out_of_order_never_raise_the_count(
    held_cp: AsyncCodePush, server: HoldingServer, held_clock: HeldClock
) -> None:
    """The server counted A (9 left) then B (8 left) but B's answer comes back first."""
    await learn(held_cp, server, remaining=10, date=T0)
    async with overlapping() as tg:
        start(tg, held_cp, 2)
        await settle()
        a, b = server.waiting
        server.answer(b, remaining=8, date=T0)
        await settle()
        # Half a second later, the server's Date (whole seconds) still says T0.
        held_clock.advance(0.5)
        server.answer(a, remaining=9, date=T0)
        await settle()
        start(tg, held_cp, 8)
        await settle()
        assert len(server.waiting) == 7  # 8 left, less the one B counted for A: no 429
        assert held_clock.sleeping == 1
        for held in server.waiting:
            server.answer(held, remaining=0, date=T0)
        await settle()
        held_clock.advance(60)
        await settle()
        for held in server.waiting:
            server.answer(held, remaining=8, reset=T0 + 120)


async def test_with_every_slot_in_flight_a_call_waits_for_an_answer(
    held_cp: AsyncCodePush, server: HoldingServer, held_clock: HeldClock
) -> None:
    """After a reset the window starts afresh: with both slots in flight the third call
    waits for an answer (not the held_clock), then for the reset that answer announces."""
    await learn(held_cp, server, limit=2, remaining=0, reset=T0 + 10)
    held_clock.advance(10)
    async with overlapping() as tg:
        start(tg, held_cp, 3)
        await settle()
        assert len(server.waiting) == 2
        assert held_clock.sleeps == []  # waiting for an answer, not sleeping
        server.answer(server.waiting[0], limit=2, remaining=1, reset=T0 + 20)
        await settle()
        # The server has one left, but our other request in flight will take it.
        assert len(server.waiting) == 1
        assert held_clock.sleeps == [10.0]
        server.answer(server.waiting[0], limit=2, remaining=0, reset=T0 + 20)
        held_clock.advance(10)
        await settle()
        assert len(server.waiting) == 1
        server.answer(server.waiting[0], limit=2, remaining=1, reset=T0 + 30)


async def test_a_new_window_that_is_used_up_holds_the_next_call(
    held_cp: AsyncCodePush, server: HoldingServer, held_clock: HeldClock
) -> None:
    await learn(held_cp, server, limit=2, remaining=0, reset=T0 + 10)
    held_clock.advance(10)
    async with overlapping() as tg:
        start(tg, held_cp, 1)
        await settle()
        server.answer(server.waiting[0], limit=2, remaining=0, reset=T0 + 20)
        await settle()
        start(tg, held_cp, 1)
        await settle()
        assert server.waiting == []
        assert held_clock.sleeps == [10.0]
        held_clock.advance(10)
        await settle()
        server.answer(server.waiting[0], limit=2, remaining=1, reset=T0 + 30)


async def test_a_lost_answer_never_strands_the_calls_waiting_for_it(
    held_cp: AsyncCodePush, server: HoldingServer, held_clock: HeldClock
) -> None:
    """The only request in flight loses its answer: nothing will report the budget, so
    the next call goes out to learn it instead of waiting forever."""
    await learn(held_cp, server, limit=1, remaining=0, reset=T0 + 10)
    held_clock.advance(10)
    async with overlapping() as tg:
        start(tg, held_cp, 2)
        await settle()
        (first,) = server.waiting
        server.drop(first)
        await settle()
        (probe,) = server.waiting  # the waiting call, while the dropped one backs off
        assert held_clock.sleeps == [0.5]
        held_clock.advance(0.5)
        await settle()
        assert server.waiting == [probe]  # the retry waits for the probe's answer
        server.answer(probe, limit=1, remaining=0, reset=T0 + 20)
        await settle()
        assert held_clock.sleeps == [0.5, 9.5]  # the retry waits for the reset the probe learned
        held_clock.advance(9.5)
        await settle()
        (retry,) = server.waiting
        server.answer(retry, limit=1, remaining=0, reset=T0 + 30)


async def test_answers_without_budget_headers_never_strand_waiting_calls(
    held_cp: AsyncCodePush, server: HoldingServer, held_clock: HeldClock
) -> None:
    await learn(held_cp, server, limit=2, remaining=0, reset=T0 + 10)
    held_clock.advance(10)
    async with overlapping() as tg:
        start(tg, held_cp, 3)
        await settle()
        assert len(server.waiting) == 2
        for held in server.waiting:
            server.answer(held, limit=None, remaining=None, reset=None)
        await settle()
        (third,) = server.waiting
        server.answer(third, limit=2, remaining=1, reset=T0 + 20)
        await settle()
        start(tg, held_cp, 1)  # the one slot the third call's answer reported
        await settle()
        assert len(server.waiting) == 1
        assert held_clock.sleeps == []
        server.answer(server.waiting[0], limit=2, remaining=0, reset=T0 + 20)


async def test_a_one_second_window_is_recognised_as_new(
    held_cp: AsyncCodePush, server: HoldingServer, held_clock: HeldClock
) -> None:
    """Per-second limits: a request counted in the next second's window frees its slots."""
    await learn(held_cp, server, limit=3, remaining=1, reset=T0 + 1)
    async with overlapping() as tg:
        start(tg, held_cp, 1)
        await settle()
        held_clock.advance(0.9)
        server.answer(server.waiting[0], limit=3, remaining=2, reset=T0 + 2)
        await settle()
        start(tg, held_cp, 2)
        await settle()
        assert len(server.waiting) == 2
        assert held_clock.sleeps == []
        for held in server.waiting:
            server.answer(held, limit=3, remaining=1, reset=T0 + 2)


@pytest.mark.parametrize(
    "missing", ["x-ratelimit-reset", "x-ratelimit-limit", "x-ratelimit-remaining"]
)
async def test_budget_headers_with_one_missing_are_ignored(
    server: HoldingServer, held_clock: HeldClock, missing: str
) -> None:
    """Without all three headers the budget is unknown: calls go out as if none came."""
    answer = {"limit": 5, "remaining": 0, "reset": T0 + 30}
    answer[missing.removeprefix("x-ratelimit-")] = None
    async with AsyncCodePush(ACCESS_KEY, SERVER, transport=httpx.MockTransport(server),
                             retry=None, clock=held_clock) as held_cp:
        for _ in range(3):
            async with overlapping() as tg:
                start(tg, held_cp, 1)
                await settle()
                assert len(server.waiting) == 1
                server.answer(server.waiting[0], **answer)  # type: ignore[arg-type]
    assert held_clock.sleeps == []
    assert server.answered == 3


async def test_a_learned_budget_survives_answers_without_headers(
    held_cp: AsyncCodePush, server: HoldingServer, held_clock: HeldClock
) -> None:
    await learn(held_cp, server, remaining=1)
    async with overlapping() as tg:
        start(tg, held_cp, 1)
        await settle()
        server.answer(server.waiting[0], limit=None, remaining=None, reset=None)
        await settle()
        start(tg, held_cp, 1)
        await settle()
        assert server.waiting == []
        assert held_clock.sleeps == [60.0]
        held_clock.advance(60)
        await settle()
        server.answer(server.waiting[0], remaining=9, reset=T0 + 120)


async def test_a_limiter_wait_of_exactly_max_wait_is_waited(
    held_cp: AsyncCodePush, server: HoldingServer, held_clock: HeldClock
) -> None:
    await learn(held_cp, server, remaining=0, reset=T0 + 120)
    async with overlapping() as tg:
        start(tg, held_cp, 1)
        await settle()
        assert held_clock.sleeps == [120.0]
        held_clock.advance(120)
        await settle()
        server.answer(server.waiting[0], remaining=9, reset=T0 + 240)


async def test_a_limiter_wait_over_max_wait_says_what_the_limit_is(
    held_cp: AsyncCodePush, server: HoldingServer, held_clock: HeldClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await learn(held_cp, server, limit=100, remaining=0, reset=T0 + 900)
    with pytest.raises(RateLimitError) as caught, anyio.fail_after(20):
        await held_cp.apps.list()
    error = caught.value
    assert error.message == (
        "Rate limit of 100 requests used up; it resets in 900 s, longer than the 120 s we "
        "may wait."
    )
    assert (error.limit, error.remaining, error.retry_after) == (100, 0, 900.0)
    assert error.reset_at == datetime.fromtimestamp(T0 + 900, tz=timezone.utc)
    assert error.reset_at.tzinfo is timezone.utc
    assert len(server.held) == 1


async def test_a_limiter_wait_is_logged(
    held_cp: AsyncCodePush, server: HoldingServer, held_clock: HeldClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await learn(held_cp, server, remaining=0, reset=T0 + 40)
    with caplog.at_level(logging.DEBUG, logger="codepush_async"):
        async with overlapping() as tg:
            start(tg, held_cp, 1)
            await settle()
            held_clock.advance(40)
            await settle()
            server.answer(server.waiting[0], remaining=9, reset=T0 + 100)
    assert "rate limit apps.list used up: waiting 40.000s for its reset" in [
        r.getMessage() for r in caplog.records
    ]
