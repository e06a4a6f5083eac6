"""The shared rate limiter under really overlapping requests.

The server here holds every request until the test answers it, and the clock only moves
when the test says so, so requests in flight, tasks waiting for a slot or for the reset,
and answers arriving out of order all happen for real.
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

from codepush_async import AsyncCodePush, RateLimitError, RetryPolicy
from tests._backend import httpx
from tests.conftest import ACCESS_KEY, SERVER

pytestmark = pytest.mark.anyio

T0 = 1_700_000_000.0
POLICY = RetryPolicy(max_attempts=2, jitter=0.0, max_wait=120)


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
def clock() -> HeldClock:
    return HeldClock()


@pytest.fixture
async def cp(server: HoldingServer, clock: HeldClock) -> AsyncIterator[AsyncCodePush]:
    async with AsyncCodePush(ACCESS_KEY, SERVER, transport=httpx.MockTransport(server),
                             retry=POLICY, clock=clock, flavor="official") as client:
        yield client


@asynccontextmanager
async def overlapping() -> AsyncIterator[anyio.abc.TaskGroup]:
    """A task group that fails the test instead of hanging if a call never finishes."""
    with anyio.fail_after(20):
        async with anyio.create_task_group() as tg:
            yield tg


async def settle() -> None:
    await anyio.wait_all_tasks_blocked()


async def learn(cp: AsyncCodePush, server: HoldingServer, **answer: object) -> None:
    """One call, answered with ``answer``'s headers, so the limiter knows the budget."""
    async with overlapping() as tg:
        tg.start_soon(cp.apps.list)
        await settle()
        server.answer(server.waiting[0], **answer)  # type: ignore[arg-type]


def start(tg: anyio.abc.TaskGroup, cp: AsyncCodePush, count: int) -> None:
    for _ in range(count):
        tg.start_soon(cp.apps.list)


async def test_the_last_slot_is_used_and_the_next_call_waits_for_the_reset(
    cp: AsyncCodePush, server: HoldingServer, clock: HeldClock
) -> None:
    await learn(cp, server, remaining=1, reset=T0 + 30)
    async with overlapping() as tg:
        start(tg, cp, 2)
        await settle()
        assert len(server.waiting) == 1  # one slot: one request out
        assert clock.sleeps == [30.0]  # the other waits for the reset
        server.answer(server.waiting[0], remaining=0, reset=T0 + 30)
        await settle()
        assert len(server.held) == 2
        clock.advance(30)
        await settle()
        assert len(server.waiting) == 1  # sent once the window reset
        server.answer(server.waiting[0], remaining=9, reset=T0 + 90)


async def test_concurrent_calls_take_exactly_the_slots_left(
    cp: AsyncCodePush, server: HoldingServer, clock: HeldClock
) -> None:
    await learn(cp, server, remaining=3)
    async with overlapping() as tg:
        start(tg, cp, 5)
        await settle()
        assert len(server.waiting) == 3
        assert clock.sleeping == 2
        assert clock.sleeps == [60.0, 60.0]
        for held in server.waiting:
            server.answer(held, remaining=0)
        await settle()
        clock.advance(60)
        await settle()
        assert len(server.waiting) == 2
        for held in server.waiting:
            server.answer(held, remaining=8, reset=T0 + 120)
    assert server.answered == 6


async def test_requests_in_flight_count_against_what_the_server_reports(
    cp: AsyncCodePush, server: HoldingServer, clock: HeldClock
) -> None:
    """10 left, 3 of ours in flight; the first answer says 5 left (others used 2 more):
    the 2 still in flight will take 2 of those, so only 3 more may go."""
    await learn(cp, server, remaining=10)
    async with overlapping() as tg:
        start(tg, cp, 3)
        await settle()
        first, second, third = server.waiting
        server.answer(first, remaining=5)
        await settle()
        start(tg, cp, 5)
        await settle()
        assert len(server.waiting) == 2 + 3
        assert clock.sleeping == 2
        server.answer(second, remaining=4)
        server.answer(third, remaining=3)
        for held in server.waiting:
            server.answer(held, remaining=0)
        await settle()
        clock.advance(60)
        await settle()
        for held in server.waiting:
            server.answer(held, remaining=8, reset=T0 + 120)


async def test_when_everything_is_answered_the_server_count_is_taken_as_it_is(
    cp: AsyncCodePush, server: HoldingServer, clock: HeldClock
) -> None:
    await learn(cp, server, remaining=10)
    async with overlapping() as tg:
        start(tg, cp, 1)
        await settle()
        server.answer(server.waiting[0], remaining=4)  # others used 5 meanwhile
        await settle()
        start(tg, cp, 6)
        await settle()
        assert len(server.waiting) == 4
        assert clock.sleeping == 2
        for held in server.waiting:
            server.answer(held, remaining=0)
        await settle()
        clock.advance(60)
        await settle()
        for held in server.waiting:
            server.answer(held, remaining=8, reset=T0 + 120)


async def test_answers_out_of_order_never_raise_the_count(
    cp: AsyncCodePush, server: HoldingServer, clock: HeldClock
) -> None:
    """The server counted A (9 left) then B (8 left) but B's answer comes back first."""
    await learn(cp, server, remaining=10, date=T0)
    async with overlapping() as tg:
        start(tg, cp, 2)
        await settle()
        a, b = server.waiting
        server.answer(b, remaining=8, date=T0)
        await settle()
        # Half a second later, the server's Date (whole seconds) still says T0.
        clock.advance(0.5)
        server.answer(a, remaining=9, date=T0)
        await settle()
        start(tg, cp, 8)
        await settle()
        assert len(server.waiting) == 7  # 8 left, less the one B counted for A: no 429
        assert clock.sleeping == 1
        for held in server.waiting:
            server.answer(held, remaining=0, date=T0)
        await settle()
        clock.advance(60)
        await settle()
        for held in server.waiting:
            server.answer(held, remaining=8, reset=T0 + 120)


async def test_with_every_slot_in_flight_a_call_waits_for_an_answer(
    cp: AsyncCodePush, server: HoldingServer, clock: HeldClock
) -> None:
    """After a reset the window starts afresh: with both slots in flight the third call
    waits for an answer (not the clock), then for the reset that answer announces."""
    await learn(cp, server, limit=2, remaining=0, reset=T0 + 10)
    clock.advance(10)
    async with overlapping() as tg:
        start(tg, cp, 3)
        await settle()
        assert len(server.waiting) == 2
        assert clock.sleeps == []  # waiting for an answer, not sleeping
        server.answer(server.waiting[0], limit=2, remaining=1, reset=T0 + 20)
        await settle()
        # The server has one left, but our other request in flight will take it.
        assert len(server.waiting) == 1
        assert clock.sleeps == [10.0]
        server.answer(server.waiting[0], limit=2, remaining=0, reset=T0 + 20)
        clock.advance(10)
        await settle()
        assert len(server.waiting) == 1
        server.answer(server.waiting[0], limit=2, remaining=1, reset=T0 + 30)


async def test_a_new_window_that_is_used_up_holds_the_next_call(
    cp: AsyncCodePush, server: HoldingServer, clock: HeldClock
) -> None:
    await learn(cp, server, limit=2, remaining=0, reset=T0 + 10)
    clock.advance(10)
    async with overlapping() as tg:
        start(tg, cp, 1)
        await settle()
        server.answer(server.waiting[0], limit=2, remaining=0, reset=T0 + 20)
        await settle()
        start(tg, cp, 1)
        await settle()
        assert server.waiting == []
        assert clock.sleeps == [10.0]
        clock.advance(10)
        await settle()
        server.answer(server.waiting[0], limit=2, remaining=1, reset=T0 + 30)


async def test_a_lost_answer_never_strands_the_calls_waiting_for_it(
    cp: AsyncCodePush, server: HoldingServer, clock: HeldClock
) -> None:
    """The only request in flight loses its answer: nothing will report the budget, so
    the next call goes out to learn it instead of waiting forever."""
    await learn(cp, server, limit=1, remaining=0, reset=T0 + 10)
    clock.advance(10)
    async with overlapping() as tg:
        start(tg, cp, 2)
        await settle()
        (first,) = server.waiting
        server.drop(first)
        await settle()
        (probe,) = server.waiting  # the waiting call, while the dropped one backs off
        assert clock.sleeps == [0.5]
        clock.advance(0.5)
        await settle()
        assert server.waiting == [probe]  # the retry waits for the probe's answer
        server.answer(probe, limit=1, remaining=0, reset=T0 + 20)
        await settle()
        assert clock.sleeps == [0.5, 9.5]  # the retry waits for the reset the probe learned
        clock.advance(9.5)
        await settle()
        (retry,) = server.waiting
        server.answer(retry, limit=1, remaining=0, reset=T0 + 30)


async def test_answers_without_budget_headers_never_strand_waiting_calls(
    cp: AsyncCodePush, server: HoldingServer, clock: HeldClock
) -> None:
    await learn(cp, server, limit=2, remaining=0, reset=T0 + 10)
    clock.advance(10)
    async with overlapping() as tg:
        start(tg, cp, 3)
        await settle()
        assert len(server.waiting) == 2
        for held in server.waiting:
            server.answer(held, limit=None, remaining=None, reset=None)
        await settle()
        (third,) = server.waiting
        server.answer(third, limit=2, remaining=1, reset=T0 + 20)
        await settle()
        start(tg, cp, 1)  # the one slot the third call's answer reported
        await settle()
        assert len(server.waiting) == 1
        assert clock.sleeps == []
        server.answer(server.waiting[0], limit=2, remaining=0, reset=T0 + 20)


async def test_a_one_second_window_is_recognised_as_new(
    cp: AsyncCodePush, server: HoldingServer, clock: HeldClock
) -> None:
    """Per-second limits: a request counted in the next second's window frees its slots."""
    await learn(cp, server, limit=3, remaining=1, reset=T0 + 1)
    async with overlapping() as tg:
        start(tg, cp, 1)
        await settle()
        clock.advance(0.9)
        server.answer(server.waiting[0], limit=3, remaining=2, reset=T0 + 2)
        await settle()
        start(tg, cp, 2)
        await settle()
        assert len(server.waiting) == 2
        assert clock.sleeps == []
        for held in server.waiting:
            server.answer(held, limit=3, remaining=1, reset=T0 + 2)


@pytest.mark.parametrize(
    "missing", ["x-ratelimit-reset", "x-ratelimit-limit", "x-ratelimit-remaining"]
)
async def test_budget_headers_with_one_missing_are_ignored(
    server: HoldingServer, clock: HeldClock, missing: str
) -> None:
    """Without all three headers the budget is unknown: calls go out as if none came."""
    answer = {"limit": 5, "remaining": 0, "reset": T0 + 30}
    answer[missing.removeprefix("x-ratelimit-")] = None
    async with AsyncCodePush(ACCESS_KEY, SERVER, transport=httpx.MockTransport(server),
                             retry=None, clock=clock) as cp:
        for _ in range(3):
            async with overlapping() as tg:
                start(tg, cp, 1)
                await settle()
                assert len(server.waiting) == 1
                server.answer(server.waiting[0], **answer)  # type: ignore[arg-type]
    assert clock.sleeps == []
    assert server.answered == 3


async def test_a_learned_budget_survives_answers_without_headers(
    cp: AsyncCodePush, server: HoldingServer, clock: HeldClock
) -> None:
    await learn(cp, server, remaining=1)
    async with overlapping() as tg:
        start(tg, cp, 1)
        await settle()
        server.answer(server.waiting[0], limit=None, remaining=None, reset=None)
        await settle()
        start(tg, cp, 1)
        await settle()
        assert server.waiting == []
        assert clock.sleeps == [60.0]
        clock.advance(60)
        await settle()
        server.answer(server.waiting[0], remaining=9, reset=T0 + 120)


async def test_a_limiter_wait_of_exactly_max_wait_is_waited(
    cp: AsyncCodePush, server: HoldingServer, clock: HeldClock
) -> None:
    await learn(cp, server, remaining=0, reset=T0 + 120)
    async with overlapping() as tg:
        start(tg, cp, 1)
        await settle()
        assert clock.sleeps == [120.0]
        clock.advance(120)
        await settle()
        server.answer(server.waiting[0], remaining=9, reset=T0 + 240)


async def test_a_limiter_wait_over_max_wait_says_what_the_limit_is(
    cp: AsyncCodePush, server: HoldingServer, clock: HeldClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await learn(cp, server, limit=100, remaining=0, reset=T0 + 900)
    with pytest.raises(RateLimitError) as caught, anyio.fail_after(20):
        await cp.apps.list()
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
    cp: AsyncCodePush, server: HoldingServer, clock: HeldClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await learn(cp, server, remaining=0, reset=T0 + 40)
    with caplog.at_level(logging.DEBUG, logger="codepush_async"):
        async with overlapping() as tg:
            start(tg, cp, 1)
            await settle()
            clock.advance(40)
            await settle()
            server.answer(server.waiting[0], remaining=9, reset=T0 + 100)
    assert "rate limit apps.list used up: waiting 40.000s for its reset" in [
        r.getMessage() for r in caplog.records
    ]
