"""``cp.rollouts`` cannot be fooled (issue 20, family 5).

Each step is judged on its own data (the counters' growth since its patch landed), counters
that cannot be true never pass, and a release the plan no longer owns is never written.
One ManualClock drives the emulator and the client; devices are played with
``record_metrics``, operators with a second client; the plan's writes are asserted on the
wire.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing, asynccontextmanager
from datetime import datetime, timedelta

import attrs
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from codepush_async import (
    AsyncCodePush,
    HealthGate,
    Package,
    RolloutActionError,
    RolloutBreached,
    RolloutCompleted,
    RolloutEvent,
    RolloutHalted,
    RolloutOutcome,
    RolloutPlan,
    RolloutStepped,
    RolloutSuperseded,
    RolloutWaiting,
    UpdateMetrics,
)
from codepush_async.emulator import CodePushEmulator, ManualClock
from tests._backend import httpx

pytestmark = pytest.mark.anyio

APP, DEP = "Trust", "Production"
START = 1_700_000_000.0
GATE = HealthGate(max_failure_rate=0.02, min_downloads=200)
PLAN = RolloutPlan(steps=(5, 25, 50, 100), interval=timedelta(hours=1), gate=GATE,
                   max_hold=timedelta(hours=3))
Counts = tuple[int, int, int]  # downloaded, installed, failed: the totals a read shows


class _Writes(httpx.AsyncBaseTransport):
    """Hands each request to the emulator and keeps the writes: the plan's, on the wire."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.writes: list[tuple[str, str, object]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "GET":
            body = await request.aread()
            is_json = request.headers.get("content-type", "").startswith("application/json")
            self.writes.append((request.method, request.url.path,
                                json.loads(body) if is_json else None))
        return await self.inner.handle_async_request(request)


class Fleet:
    """The emulator, the plan's client (its writes recorded), an operator's client, and the
    devices, whose counters ``show`` sets to given totals."""

    def __init__(self, emulator: CodePushEmulator, cp: AsyncCodePush, operator: AsyncCodePush,
                 wire: _Writes) -> None:
        self.emulator, self.cp, self.operator, self.wire = emulator, cp, operator, wire
        self.shown: Counts = (0, 0, 0)

    def show(self, totals: Counts) -> None:
        """The label's counters read ``totals`` from now on (any values, even impossible)."""
        delta = [now - before for now, before in zip(totals, self.shown, strict=True)]
        self.emulator.record_metrics(APP, DEP, "v2", downloaded=delta[0], installed=delta[1],
                                     failed=delta[2])
        self.shown = totals

    def more(self, downloaded: int, failed: int = 0) -> None:
        """``downloaded`` new downloads, all installed but ``failed``."""
        d, i, f = self.shown
        self.show((d + downloaded, i + downloaded - failed, f + failed))

    def rollouts_written(self) -> list[object]:
        return [body["packageInfo"].get("rollout")  # type: ignore[index]
                for method, _path, body in self.wire.writes if method == "PATCH"]

    async def current(self) -> Package:
        package = (await self.operator.deployments.get(APP, DEP)).package
        assert package is not None
        return package


@asynccontextmanager
async def fleet_at(rollout: int) -> AsyncIterator[Fleet]:
    """A fleet whose v2 was released at ``rollout`` %, after a complete v1."""
    clock = ManualClock(START)
    emulator = CodePushEmulator(clock=clock)
    key = emulator.create_account("bot@example.com")
    ops = emulator.create_account("ops@example.com")
    wire = _Writes(emulator.transport)
    async with AsyncCodePush(key, "http://emulator", transport=wire, clock=clock) as cp, \
            AsyncCodePush(ops, "http://emulator", transport=emulator.transport,
                          clock=clock) as operator:
        await cp.apps.create(APP)
        await cp.collaborators.add(APP, "ops@example.com")
        await cp.releases.release(APP, DEP, b"v1 bundle", "1.0.0")  # what a rollback restores
        await cp.releases.release(APP, DEP, b"v2 bundle", "1.0.0", rollout=rollout)
        wire.writes.clear()
        yield Fleet(emulator, cp, operator, wire)


@pytest.fixture
async def at_5() -> AsyncIterator[Fleet]:
    async with fleet_at(5) as fleet:
        yield fleet


async def drive(fleet: Fleet, plan: RolloutPlan,
                on_wait: Callable[[RolloutWaiting], object] = lambda _e: None,
                waits: int = 12) -> RolloutOutcome:
    """Run ``plan``; ``on_wait`` plays devices (or an operator) while it waits."""
    events: list[RolloutEvent] = []
    async with aclosing(fleet.cp.rollouts.run(APP, DEP, plan)) as run:
        async for event in run:
            events.append(event)
            if isinstance(event, RolloutWaiting):
                assert sum(isinstance(e, RolloutWaiting) for e in events) <= waits, event
                played = on_wait(event)
                if isinstance(played, Awaitable):
                    await played
    return RolloutOutcome.from_events(events)


def stepped(outcome: RolloutOutcome) -> list[int]:
    return [e.rollout for e in outcome.events if isinstance(e, RolloutStepped)]


# 1. Each step is judged on its own data


@pytest.mark.parametrize("rollout", [5, 25])
async def test_metrics_recorded_once_never_widen_a_rollout_twice(rollout: int) -> None:
    """The issue's case: 300 downloads (3 failed) recorded once took 25 % to 100 %."""
    async with fleet_at(rollout) as fleet:
        fleet.more(300, failed=3)

        outcome = await drive(fleet, PLAN)

        # At 5 % every count is 5 %'s own (the release never was wider): it may widen once.
        # Resumed at 25 % the counts may be 5 %'s: nothing new came, nothing widens.
        assert stepped(outcome) == ([25] if rollout == 5 else [])
        assert fleet.rollouts_written() == ([25] if rollout == 5 else [])
        assert (outcome.status, outcome.rollout) == ("halted", 25)
        assert outcome.reason == "too few new downloads (0 < 200) after holding 3 h"
        assert (await fleet.current()).rollout == 25


async def test_each_step_needs_min_downloads_of_its_own(at_5: Fleet) -> None:
    new = iter([300, 150, 60, 120, 79, 1])  # 5 % gets 300 new, 25 % 210, 50 % 200

    outcome = await drive(at_5, PLAN, lambda _e: at_5.more(next(new)))

    steps = [e for e in outcome.events if isinstance(e, RolloutStepped)]
    assert [(e.rollout, e.growth and e.growth.downloaded) for e in steps] == [
        (25, 300), (50, 210), (100, 200)]
    reasons = [e.reason for e in outcome.events if isinstance(e, RolloutWaiting)]
    assert reasons == ["interval", "interval", "too few new downloads", "interval",
                       "too few new downloads", "too few new downloads"]
    assert outcome.status == "completed"
    assert at_5.rollouts_written() == [25, 50, 100]


async def test_a_spike_in_one_step_breaches_though_the_totals_pass(at_5: Fleet) -> None:
    plan = RolloutPlan(steps=PLAN.steps, interval=3600, gate=GATE, on_breach="halt")
    new = iter([(5000, 0), (300, 9)])  # 25 %: 3 % failed; in all 9 of 5300 (0.17 %)

    outcome = await drive(at_5, plan, lambda _e: at_5.more(*next(new)))

    breach = outcome.events[-1]
    assert isinstance(breach, RolloutBreached)
    assert breach.growth == UpdateMetrics(active=0, downloaded=300, installed=291, failed=9)
    assert (breach.failure_rate, breach.rollout) == (0.03, 25)
    assert breach.metrics == UpdateMetrics(active=0, downloaded=5300, installed=5291, failed=9)
    assert outcome.reason == "failure rate 3.00% over the gate at 25% on the step's own data"
    assert at_5.rollouts_written() == [25]


async def test_the_totals_breaching_stop_a_step_still_short_of_data(at_5: Fleet) -> None:
    plan = RolloutPlan(steps=PLAN.steps, interval=3600, gate=GATE, on_breach="disable")
    new = iter([(300, 6), (100, 30)])  # 25 %: 100 new (too few), but 36 of 400 in all

    outcome = await drive(at_5, plan, lambda _e: at_5.more(*next(new)))

    assert outcome.events[-1] == RolloutBreached(
        UpdateMetrics(active=0, downloaded=400, installed=364, failed=36), "disable", 0.09, 25)
    assert outcome.status == "disabled"
    assert at_5.rollouts_written() == [25, None]  # then isDisabled
    assert (await at_5.current()).is_disabled


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    first=st.integers(0, 2000),
    later=st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)), max_size=6),
    rollout=st.sampled_from([25, 50]),
)
async def test_reads_without_new_downloads_never_widen(
    first: int, later: list[tuple[int, int]], rollout: int
) -> None:
    """Whatever the totals at the start, installs and failures reported later with no new
    download never take a resumed plan one step further."""
    async with fleet_at(rollout) as fleet:
        fleet.show((first, first // 2, 0))
        reports = iter(later)

        def play(_event: RolloutWaiting) -> None:
            installs, fails = next(reports, (0, 0))
            d, i, f = fleet.shown
            room = d - i - f  # devices that downloaded and did not report yet
            fleet.show((d, i + min(installs, room), f + min(fails, max(room - installs, 0))))

        plan = RolloutPlan(steps=PLAN.steps, interval=3600, gate=GATE, on_breach="halt",
                           max_hold=6 * 3600)
        outcome = await drive(fleet, plan, play)

        assert stepped(outcome) == []
        assert fleet.rollouts_written() == []
        assert outcome.status == "halted"
        assert (await fleet.current()).rollout == rollout


@st.composite
def _healthy_reads(draw: st.DrawFn, least: int = 0, fail_share: int = 40) -> list[Counts]:
    """Totals as devices report them: never going down, failures within the downloads
    (``least`` new downloads a read, at most one in ``fail_share`` of them failed)."""
    reads: list[Counts] = []
    d = i = f = 0
    for _ in range(draw(st.integers(1, 8))):
        new = draw(st.integers(least, 600))
        failed = draw(st.integers(0, new // fail_share))
        d, i, f = d + new, i + new - failed, f + failed
        reads.append((d, i, f))
    return reads


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reads=_healthy_reads())
async def test_a_step_widens_only_on_its_own_growth(reads: list[Counts]) -> None:
    """Every step taken was allowed by the counters' growth since the previous step landed:
    ``min_downloads`` new downloads, a failure rate within the gate, the totals too."""
    async with fleet_at(1) as fleet:
        pending = iter(reads)
        at_step: list[Counts] = [fleet.shown]  # the totals when each step's patch landed

        def play(_event: RolloutWaiting) -> None:
            fleet.show(next(pending, fleet.shown))

        events: list[RolloutEvent] = []
        async with aclosing(fleet.cp.rollouts.run(APP, DEP, PLAN)) as run:
            async for seen in run:
                events.append(seen)
                if isinstance(seen, RolloutStepped):
                    if seen.growth is not None:
                        before = at_step[-1]
                        gained = tuple(now - then for now, then in
                                       zip(fleet.shown, before, strict=True))
                        assert (seen.growth.downloaded, seen.growth.installed,
                                seen.growth.failed) == gained
                        assert gained[0] >= GATE.min_downloads
                        rate = GATE.failure_rate(seen.growth)
                        assert rate is not None
                        assert rate <= GATE.max_failure_rate
                    at_step.append(fleet.shown)
                elif isinstance(seen, RolloutWaiting):
                    assert len(at_step) + len(events) < 200
                    play(seen)
        outcome = RolloutOutcome.from_events(events)
        assert fleet.rollouts_written() == stepped(outcome)
        event(f"{outcome.status} after {len(stepped(outcome))} steps")
        assert outcome.status in ("completed", "halted", "rolled_back")


# 2. Counters that cannot be true


def _impossible_counters(read: Counts, before: Counts) -> set[str]:
    """The counters of ``read`` that cannot be true after ``before``."""
    names = ("downloaded", "installed", "failed")
    bad = {name for name, value in zip(names, read, strict=True) if value < 0}
    bad |= {name for name, value in zip(names[1:], read[1:], strict=True) if value > read[0]}
    return bad | {name for name, now, then in zip(names, read, before, strict=True)
                  if now < then}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    healthy=_healthy_reads(least=200, fail_share=100),  # each read takes a step
    lie=st.tuples(st.integers(-50, 3000), st.integers(-50, 3000), st.integers(-50, 3000)),
    on_no_metrics=st.sampled_from(["halt", "advance"]),
)
async def test_impossible_counters_never_pass(
    healthy: list[Counts], lie: Counts, on_no_metrics: str
) -> None:
    """Healthy reads, then one that cannot be true: the plan halts on it, naming a counter
    that is impossible, whatever ``on_no_metrics`` says; it never completes past it."""
    async with fleet_at(1) as fleet:
        reads = iter([*healthy, lie])
        read: list[Counts] = [fleet.shown]

        def play(_event: RolloutWaiting) -> None:
            read.append(next(reads, fleet.shown))
            fleet.show(read[-1])

        plan = RolloutPlan(steps=(5, 10, 15, 20, 25, 30, 40, 50, 75, 100), interval=3600,
                           gate=GATE, on_breach="halt", on_no_metrics=on_no_metrics,  # type: ignore[arg-type]
                           max_hold=12 * 3600)
        outcome = await drive(fleet, plan, play, waits=40)

        shown = len(read) == len(healthy) + 2  # the start, every healthy read, then the lie
        seen_lie = shown and _impossible_counters(lie, read[-2])
        event("an impossible read was judged" if seen_lie else "no impossible read judged")
        if not seen_lie:  # a lie that is possible, or the plan ended before reading it
            return
        assert outcome.status == "halted"
        last = outcome.events[-1]
        assert isinstance(last, RolloutHalted)
        assert last.reason.startswith("impossible metrics: ")
        assert last.reason.split()[2] in seen_lie
        assert fleet.rollouts_written() == stepped(outcome)  # nothing written after the lie


@pytest.mark.parametrize(
    ("lie", "reason"),
    [
        ((300, 300, -1), "impossible metrics: failed is negative (-1)"),
        ((300, 301, 0), "impossible metrics: installed (301) above downloaded (300)"),
        ((300, 0, 301), "impossible metrics: failed (301) above downloaded (300)"),
        ((-5, 0, 0), "impossible metrics: downloaded is negative (-5)"),
        ((100, 90, 0), "impossible metrics: downloaded went backwards (1000 -> 100)"),
        ((1000, 900, 0), "impossible metrics: installed went backwards (990 -> 900)"),
        ((1000, 990, 5), "impossible metrics: failed went backwards (10 -> 5)"),
    ],
)
@pytest.mark.parametrize("on_no_metrics", ["halt", "advance"])
async def test_impossible_counters_halt_naming_the_counter(
    at_5: Fleet, lie: Counts, reason: str, on_no_metrics: str
) -> None:
    reads = iter([(1000, 990, 10), lie])
    plan = RolloutPlan(steps=PLAN.steps, interval=3600, gate=HealthGate(0.02, 200),
                       on_no_metrics=on_no_metrics)  # type: ignore[arg-type]

    outcome = await drive(at_5, plan, lambda _e: at_5.show(next(reads)))

    assert outcome.events[-1] == RolloutHalted(
        reason, 25, UpdateMetrics(active=0, downloaded=lie[0], installed=lie[1], failed=lie[2]))
    assert (outcome.status, outcome.reason) == ("halted", reason)
    assert at_5.rollouts_written() == [25]  # the lie never rolls back or disables either


async def test_a_negative_active_count_is_impossible_too(at_5: Fleet) -> None:
    at_5.emulator.record_metrics(APP, DEP, "v2", active=-3)
    outcome = await drive(at_5, PLAN)
    assert (outcome.status, outcome.reason) == (
        "halted", "impossible metrics: active is negative (-3)")
    assert at_5.rollouts_written() == []


async def test_impossible_counters_at_the_start_halt_before_any_write() -> None:
    async with fleet_at(1) as fleet:
        fleet.show((100, 150, 0))  # a release below the first step, with lying counters
        outcome = await drive(fleet, PLAN)
        assert outcome.reason == "impossible metrics: installed (150) above downloaded (100)"
        assert fleet.rollouts_written() == []
        assert (await fleet.current()).rollout == 1


# 3. A release the plan no longer owns is never written


async def _disable(fleet: Fleet) -> None:
    await fleet.operator.releases.patch(APP, DEP, "v2", is_disabled=True)


async def _roll_back(fleet: Fleet) -> None:
    await fleet.operator.releases.rollback(APP, DEP)


async def _release_newer(fleet: Fleet) -> None:
    await _disable(fleet)  # a release is refused while v2's rollout is unfinished
    await fleet.operator.releases.release(APP, DEP, b"v3 bundle", "1.0.0")


async def _raise_to_60(fleet: Fleet) -> None:
    await fleet.operator.releases.patch(APP, DEP, "v2", rollout=60)


async def _finish(fleet: Fleet) -> None:
    await fleet.operator.releases.patch(APP, DEP, "v2", rollout=100)


_OPERATORS: list[tuple[Callable[[Fleet], Awaitable[None]], str, str, tuple[object, ...]]] = [
    (_disable, "halted", "someone else disabled the release", ("v2", 25, True)),
    (_roll_back, "halted", "someone else rolled the deployment back (v3 restores v1)",
     ("v3", 100, False)),
    (_release_newer, "superseded", "v3 is now the current release", ("v3", 100, False)),
    (_raise_to_60, "halted", "someone else changed the rollout from 25% to 60%",
     ("v2", 60, False)),
    (_finish, "halted", "someone else changed the rollout from 25% to 100%",
     ("v2", 100, False)),
]


@pytest.mark.parametrize(("act", "status", "reason", "after"), _OPERATORS,
                         ids=[o[0].__name__.strip("_") for o in _OPERATORS])
@pytest.mark.parametrize("moment", ["between the read and the write", "during the wait"])
async def test_a_release_changed_by_someone_else_is_never_written(
    at_5: Fleet, monkeypatch: pytest.MonkeyPatch,
    act: Callable[[Fleet], Awaitable[None]], status: str, reason: str,
    after: tuple[object, ...], moment: str,
) -> None:
    """An operator acts on the release at 25 %: the plan stops with the reason and never
    patches (nor rolls back) a release it no longer owns."""
    read = at_5.cp.deployments.metrics
    reads: list[int] = []

    async def metrics_then_the_operator(app: str, deployment: str) -> object:
        answer = await read(app, deployment)
        reads.append(1)
        if moment == "between the read and the write" and len(reads) == 4:
            await act(at_5)  # start, 5 % judged, 25 %'s baseline, then 25 % judged
        return answer

    async def during_the_wait(event: RolloutWaiting) -> None:
        at_5.more(300)
        if moment == "during the wait" and event.rollout == 25:
            await act(at_5)

    monkeypatch.setattr(at_5.cp.deployments, "metrics", metrics_then_the_operator)
    outcome = await drive(at_5, PLAN, during_the_wait)

    assert (outcome.status, outcome.reason) == (status, reason)
    read_last = 600 if moment == "between the read and the write" else 300
    if status == "halted":  # where it stopped, and the last counters it read
        assert (outcome.rollout, outcome.metrics) == (
            after[1] if act in (_raise_to_60, _finish) else 25,
            UpdateMetrics(active=0, downloaded=read_last, installed=read_last, failed=0))
    assert at_5.rollouts_written() == [25]  # the plan's only write: 5 % -> 25 %
    assert [method for method, _p, _b in at_5.wire.writes] == ["PATCH"]
    current = await at_5.current()
    assert (current.label, current.rollout, bool(current.is_disabled)) == after
    assert stepped(outcome) == [25]
    assert not any(isinstance(e, RolloutCompleted) for e in outcome.events)


@pytest.mark.parametrize("action", ["rollback", "disable"])
async def test_a_breach_never_acts_on_a_release_someone_else_disabled(
    at_5: Fleet, monkeypatch: pytest.MonkeyPatch, action: str
) -> None:
    read = at_5.cp.deployments.metrics

    async def metrics_then_disabled(app: str, deployment: str) -> object:
        answer = await read(app, deployment)
        await _disable(at_5)  # an operator pulls it as the plan sees the failures
        return answer

    at_5.more(400, failed=200)
    monkeypatch.setattr(at_5.cp.deployments, "metrics", metrics_then_disabled)
    plan = RolloutPlan(steps=PLAN.steps, interval=3600, gate=GATE,
                       on_breach=action)  # type: ignore[arg-type]

    outcome = await drive(at_5, plan)

    assert (outcome.status, outcome.reason) == ("halted", "someone else disabled the release")
    assert at_5.wire.writes == []
    current = await at_5.current()
    assert (current.label, current.rollout, current.is_disabled) == ("v2", 5, True)


async def test_a_rollout_reported_lower_than_the_plan_set_is_not_its_own(
    at_5: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The official server refuses to lower a rollout; a server that reports it lower
    anyway (another tool, a restore) gets no write either."""
    get = at_5.cp.deployments.get
    lowered: list[bool] = []

    async def reported_lower(app: str, deployment: str) -> object:
        answer = await get(app, deployment)
        if lowered and lowered[-1] and answer.package is not None:
            return attrs.evolve(answer, package=attrs.evolve(answer.package, rollout=10))
        return answer

    async def play(event: RolloutWaiting) -> None:
        at_5.more(300)
        lowered.append(event.rollout == 25)

    monkeypatch.setattr(at_5.cp.deployments, "get", reported_lower)
    outcome = await drive(at_5, PLAN, play)

    assert (outcome.status, outcome.reason, outcome.rollout) == (
        "halted", "someone else changed the rollout from 25% to 10%", 10)
    assert at_5.rollouts_written() == [25]


async def test_the_plan_still_owns_a_release_nobody_touched(at_5: Fleet) -> None:
    """The ownership reads cost one GET before each write and change nothing else."""
    outcome = await drive(at_5, PLAN, lambda _e: at_5.more(300, failed=3))
    assert outcome.status == "completed"
    assert at_5.wire.writes == [
        ("PATCH", f"/apps/{APP}/deployments/{DEP}/release",
         {"packageInfo": {"label": "v2", "rollout": rollout}}) for rollout in (25, 50, 100)]
    current = await at_5.current()
    assert (current.label, current.rollout, bool(current.is_disabled)) == ("v2", 100, False)


async def test_a_cleared_history_ends_the_plan_without_a_write(at_5: Fleet) -> None:
    async def clear(event: RolloutWaiting) -> None:
        at_5.more(300)
        if event.rollout == 25:
            await at_5.cp.releases.clear_history(APP, DEP)  # the owner's call

    outcome = await drive(at_5, PLAN, clear)
    assert outcome.events[-1] == RolloutSuperseded("v2", None)
    assert [method for method, _p, _b in at_5.wire.writes] == ["PATCH", "DELETE"]
    assert at_5.rollouts_written() == [25]


# What the events and the outcome say


async def test_the_events_say_which_data_decided(at_5: Fleet) -> None:
    new = iter([(300, 3), (250, 0), (400, 40)])
    plan = RolloutPlan(steps=PLAN.steps, interval=3600, gate=GATE, on_breach="halt")

    outcome = await drive(at_5, plan, lambda _e: at_5.more(*next(new)))

    raised = [str(e) for e in outcome.events if isinstance(e, RolloutStepped)]
    assert raised == [
        "rollout raised to 25% (this step: 300 downloaded, 297 installed, 3 failed; "
        "300 downloaded in all)",
        "rollout raised to 50% (this step: 250 downloaded, 250 installed, 0 failed; "
        "550 downloaded in all)",
    ]
    assert str(outcome.events[-1]) == (
        "health gate breached at 50%: 10.00% failed (this step: 400 downloaded, 360 installed, "
        "40 failed; in all: 950 downloaded, 907 installed, 43 failed); halt")
    records = outcome.to_records()
    assert (records[-1]["event"], records[-1]["failure_rate"]) == ("RolloutBreached", 0.1)
    assert isinstance(records[1]["until"], datetime)  # Python values unless mode="json"
    assert isinstance(outcome.to_records(mode="json")[1]["until"], str)
    assert outcome.to_records(by_alias=True)[-1]["failureRate"] == 0.1
    assert records[-1]["growth"] == {"active": 0, "downloaded": 400, "installed": 360,
                                     "failed": 40}
    assert [r["event"] for r in records].count("RolloutStepped") == 2
    reason = "failure rate 10.00% over the gate at 50% on the step's own data"
    assert repr(outcome) == (
        f"RolloutOutcome(status='halted', label='v2', rollout=50, reason={reason!r}, events=7)")
    assert "10.00% failed (this step: 400 downloaded" in outcome.table()


async def test_a_step_advanced_without_metrics_has_no_data_to_show(at_5: Fleet) -> None:
    plan = RolloutPlan(steps=(5, 25), interval=3600, gate=GATE, on_no_metrics="advance")
    outcome = await drive(at_5, plan)
    assert outcome.events[-2:] == (RolloutStepped(25, None), RolloutCompleted("v2", 25))
    assert str(outcome.events[-2]) == "rollout raised to 25% (no metrics)"


async def test_failures_reported_as_a_step_lands_breach_at_once(
    at_5: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read made once a step's patch lands is judged too: the totals over the gate
    act before the next wait."""
    read = at_5.cp.deployments.metrics
    reads: list[int] = []

    async def devices_fail_meanwhile(app: str, deployment: str) -> object:
        reads.append(1)
        if len(reads) == 3:  # 25 %'s baseline: 300 more devices, 100 of them failing
            at_5.more(300, failed=100)
        return await read(app, deployment)

    monkeypatch.setattr(at_5.cp.deployments, "metrics", devices_fail_meanwhile)
    outcome = await drive(at_5, PLAN, lambda _e: at_5.more(300, failed=3))

    totals = UpdateMetrics(active=0, downloaded=600, installed=497, failed=103)
    assert outcome.events[-1] == RolloutBreached(totals, "rollback", 103 / 600, 25)
    assert [e for e in outcome.events if isinstance(e, RolloutWaiting)] != []
    assert sum(isinstance(e, RolloutWaiting) for e in outcome.events) == 1
    assert [method for method, _p, _b in at_5.wire.writes] == ["PATCH", "POST"]


async def test_a_step_breach_whose_action_fails_keeps_the_steps_data(
    at_5: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def rollback(app: str, deployment: str) -> Package:
        raise OSError("disk full")

    monkeypatch.setattr(at_5.cp.releases, "rollback", rollback)
    new = iter([(5000, 0), (300, 30)])
    with pytest.raises(RolloutActionError) as caught:
        await drive(at_5, PLAN, lambda _e: at_5.more(*next(new)))
    assert caught.value.event.growth == UpdateMetrics(active=0, downloaded=300, installed=270,
                                                      failed=30)
    assert caught.value.event.failure_rate == 0.1


def test_a_step_prints_its_data_with_missing_counters_as_zero() -> None:
    empty = UpdateMetrics()
    assert str(RolloutStepped(25, empty, growth=empty)) == (
        "rollout raised to 25% (this step: 0 downloaded, 0 installed, 0 failed; "
        "0 downloaded in all)")
    assert str(RolloutStepped(25, None, growth=empty)) == "rollout raised to 25% (no metrics)"
