"""``cp.rollouts`` at its edges: exact refusals, held steps, resets, races and log lines.

Same world as tests/test_rollouts.py: one ManualClock drives the emulator and the client.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import aclosing
from datetime import timedelta

import anyio
import pytest

from codepush_async import (
    APIStatusError,
    AsyncCodePush,
    BadRequestError,
    ConflictError,
    HealthGate,
    Package,
    RolloutActionError,
    RolloutBreached,
    RolloutCancelled,
    RolloutCompleted,
    RolloutEvent,
    RolloutHalted,
    RolloutOutcome,
    RolloutPlan,
    RolloutStarted,
    RolloutStepped,
    RolloutSuperseded,
    RolloutWaiting,
    ServerError,
    UpdateMetrics,
)
from codepush_async.emulator import ManualClock
from tests._backend import httpx
from tests.unit.lib.test_rollouts import APP, DEP, HOUR, PLAN, START, World, at_most, drive, world

__all__ = ["world"]  # the fixture, shared with tests/test_rollouts.py

pytestmark = pytest.mark.anyio

HOLD_PLAN = RolloutPlan(steps=PLAN.steps, interval=PLAN.interval, gate=PLAN.gate,
                        max_hold=timedelta(hours=1), on_no_metrics="advance")


def stepped(outcome: RolloutOutcome) -> list[int]:
    return [e.rollout for e in outcome.events if isinstance(e, RolloutStepped)]


def reasons(outcome: RolloutOutcome) -> list[str]:
    return [e.reason for e in outcome.events if isinstance(e, RolloutWaiting)]


def writes(world: World, since: int) -> list[tuple[str, str, object]]:
    """The SDK's writes since request ``since``: method, path and JSON body."""
    return [(r.method, r.path, json.loads(r.body) if r.body else None)
            for r in world.emulator.requests[since:] if r.method != "GET"]


async def second_client_key(world: World) -> str:
    """An access key of a collaborator on the app, for a client of the test's own making."""
    key = world.emulator.create_account("ci@example.com")
    await world.cp.collaborators.add(APP, "ci@example.com")
    return key


def scripted_metrics(
    world: World, monkeypatch: pytest.MonkeyPatch, answers: list[UpdateMetrics]
) -> None:
    """``deployments.metrics`` answers v2's counters from ``answers``, one read at a time."""
    pending: Iterator[UpdateMetrics] = iter(answers)

    async def metrics(app: str, deployment: str) -> dict[str, UpdateMetrics]:
        return {"v2": next(pending)}

    monkeypatch.setattr(world.cp.deployments, "metrics", metrics)


# Refusals when built: the exact sentence a user reads


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: RolloutPlan(steps=(), interval=60), "steps must not be empty"),
        (lambda: RolloutPlan(steps=(5,), interval="1h"),
         "interval must be a timedelta or seconds, got str"),
        (lambda: RolloutPlan(steps=(5,), interval=60, on_breach="explode"),  # type: ignore[arg-type]
         "on_breach must be one of 'rollback', 'disable', 'halt', got 'explode'"),
        (lambda: RolloutPlan(steps=(5,), interval=60, on_no_metrics="hope"),  # type: ignore[arg-type]
         "on_no_metrics must be one of 'halt', 'advance', got 'hope'"),
        (lambda: HealthGate(max_failure_rate="2%"), "max_failure_rate must be a number, got str"),
        (lambda: HealthGate(min_downloads=-1), "min_downloads must be an int >= 0, got -1"),
    ],
)
def test_a_bad_plan_or_gate_says_exactly_what_is_wrong(
    build: Callable[[], object], message: str
) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        build()


def test_the_bounds_of_plans_and_gates_are_accepted() -> None:
    strict = HealthGate(max_failure_rate=0, min_downloads=0)
    assert (strict.max_failure_rate, strict.min_downloads) == (0.0, 0)
    assert HealthGate(max_failure_rate=1).max_failure_rate == 1.0
    plan = RolloutPlan(steps=(1, 100), interval=0, on_breach="disable", on_no_metrics="advance")
    assert (plan.steps, plan.on_breach, plan.on_no_metrics) == ((1, 100), "disable", "advance")


def test_the_gate_judges_any_install_or_failure_once_downloads_suffice() -> None:
    gate = HealthGate(max_failure_rate=0.1, min_downloads=1)
    assert gate.failure_rate(UpdateMetrics(downloaded=1, installed=1, failed=0)) == 0.0
    assert gate.failure_rate(UpdateMetrics(downloaded=1, installed=0, failed=1)) == 1.0
    # No download counter at all is no download, never one.
    assert gate.failure_rate(UpdateMetrics(downloaded=None, installed=1, failed=1)) is None


async def test_bad_run_arguments_are_refused_with_their_type(world: World) -> None:
    before = len(world.emulator.requests)
    with pytest.raises(ValueError, match=r"^plan must be a RolloutPlan, got dict$"):
        await world.cp.rollouts.advance(APP, DEP, {"steps": (5,)})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^stop must be an anyio\.Event, got bool$"):
        await world.cp.rollouts.advance(APP, DEP, PLAN, stop=True)  # type: ignore[arg-type]
    assert len(world.emulator.requests) == before


def test_events_with_missing_counters_read_as_zero() -> None:
    assert str(RolloutStepped(25, UpdateMetrics())) == (
        "rollout raised to 25% (0 downloaded, 0 installed, 0 failed)")
    assert str(RolloutStepped(25, UpdateMetrics(downloaded=300, installed=297, failed=3))) == (
        "rollout raised to 25% (300 downloaded, 297 installed, 3 failed)")


def test_an_outcome_needs_the_event_a_run_ends_with() -> None:
    with pytest.raises(AssertionError, match="a rollout run ended with RolloutStarted"):
        RolloutOutcome.from_events([RolloutStarted(APP, DEP, "v2", 5)])


# Ends


async def test_a_completed_or_disabled_release_reports_its_rollout(world: World) -> None:
    await world.release("1.0.2")
    done = await world.cp.rollouts.advance(APP, DEP, PLAN)
    assert done.events[-1] == RolloutCompleted("v2", 100)
    assert (done.rollout, done.reason) == (100, "reached 100%")
    await world.cp.releases.patch(APP, DEP, is_disabled=True)
    off = await world.cp.rollouts.advance(APP, DEP, PLAN)
    assert off.events[-1] == RolloutHalted("the release is disabled", 100, None)
    assert off.rollout == 100


async def test_a_history_cleared_mid_plan_is_superseded_by_no_release(world: World) -> None:
    await world.release("1.0.2", rollout=5)
    world.devices(downloaded=1000)
    events: list[RolloutEvent] = []
    async for event in world.cp.rollouts.run(APP, DEP, PLAN):
        events.append(event)
        if isinstance(event, RolloutWaiting) and event.rollout == 25:
            await world.cp.releases.clear_history(APP, DEP)
    outcome = RolloutOutcome.from_events(events)
    assert events[-1] == RolloutSuperseded("v2", None)
    assert (outcome.status, outcome.reason) == ("superseded", "no release is now the current release")


# Held steps: how long, and what the halt says


@pytest.mark.parametrize(
    ("interval", "max_hold", "held"),
    [(30, 60, "1 min"), (45, 90, "90 s"), (60, 120, "2 min"), (1800, 3600, "1 h")],
)
async def test_a_halt_after_holding_says_how_long_it_held(
    world: World, interval: int, max_hold: int, held: str
) -> None:
    await world.release("1.0.2", rollout=5)
    world.devices(downloaded=10)
    plan = RolloutPlan(steps=PLAN.steps, interval=interval, gate=PLAN.gate, max_hold=max_hold)
    outcome = await drive(world, plan, at_most(10))
    assert outcome.reason == f"too few new downloads (10 < 200) after holding {held}"
    assert world.clock() == START + interval + max_hold


async def test_downloads_without_installs_hold_the_step_as_too_little_data(world: World) -> None:
    await world.release("1.0.2", rollout=5)
    world.emulator.record_metrics(APP, DEP, "v2", downloaded=200)  # exactly min_downloads
    outcome = await drive(world, RolloutPlan(steps=PLAN.steps, interval=0, gate=PLAN.gate),
                          at_most(10))
    assert (outcome.status, outcome.rollout, outcome.reason) == (
        "halted", 5, "no new installs reported (200 new downloads)")


async def test_a_server_without_a_download_counter_has_too_few_downloads(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await world.release("1.0.2", rollout=5)
    scripted_metrics(world, monkeypatch, [UpdateMetrics(installed=5, failed=0)] * 2)
    plan = RolloutPlan(steps=PLAN.steps, interval=0, gate=HealthGate(min_downloads=1))
    outcome = await world.cp.rollouts.advance(APP, DEP, plan)
    assert (outcome.status, outcome.reason) == ("halted", "too few new downloads (0 < 1)")


async def test_each_step_gets_its_own_max_hold(world: World) -> None:
    await world.release("1.0.2", rollout=5)

    def play(event: RolloutWaiting) -> None:
        if event.rollout == 5:
            world.devices(downloaded=100 if event.reason == "interval" else 900)
        elif event.rollout == 25:
            world.devices(downloaded=300)
        elif event.reason == "interval":  # 50 %: under min_downloads, then nothing more
            world.devices(downloaded=100)

    outcome = await drive(world, HOLD_PLAN, at_most(10, play))

    assert stepped(outcome) == [25, 50]
    assert reasons(outcome) == ["interval", "too few new downloads", "interval", "interval",
                                "too few new downloads"]
    assert (outcome.status, outcome.rollout) == ("halted", 50)
    assert outcome.reason == "too few new downloads (100 < 200) after holding 1 h"
    assert world.clock() == START + 5 * HOUR


# Counters that go backwards or disappear


async def test_a_counter_that_disappears_went_backwards(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await world.release("1.0.2", rollout=5)
    gone = UpdateMetrics(downloaded=1000, installed=999)
    full = UpdateMetrics(downloaded=1000, installed=998, failed=1)
    scripted_metrics(world, monkeypatch, [full, full, gone])  # start, 5 %, 25 %'s baseline
    outcome = await world.cp.rollouts.advance(APP, DEP, PLAN)
    assert outcome.events[-1] == RolloutHalted(
        "impossible metrics: failed went backwards (1 -> 0)", 25, gone)
    assert (outcome.status, outcome.metrics) == ("halted", gone)
    assert await world.current() == ("v2", 25, False)


async def test_counters_dropping_after_the_first_step_halt_it(world: World) -> None:
    await world.release("1.0.2", rollout=1)
    world.devices(downloaded=1000)  # read before the first step, which needs no data

    def play(event: RolloutWaiting) -> None:
        world.devices(downloaded=-700)  # 300 is enough to judge, but fewer than before

    outcome = await drive(world, PLAN, play)
    assert stepped(outcome) == [5]
    assert (outcome.status, outcome.rollout, outcome.reason) == (
        "halted", 5, "impossible metrics: downloaded went backwards (1000 -> 300)")
    assert await world.current() == ("v2", 5, False)


async def test_advancing_without_metrics_never_passes_a_reset(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await world.release("1.0.2", rollout=5)

    def play(event: RolloutWaiting) -> None:
        if event.rollout == 5:
            world.devices(downloaded=1000)
        else:  # reset to 100, then fewer again: each time backwards from the last read
            world.devices(downloaded=-900 if event.rollout == 25 else -50)

    with caplog.at_level(logging.WARNING, logger="codepush_async"):
        outcome = await drive(world, HOLD_PLAN, at_most(10, play))

    assert stepped(outcome) == [25]
    assert (outcome.status, outcome.rollout, outcome.reason) == (
        "halted", 25, "impossible metrics: downloaded went backwards (1000 -> 100)")
    assert caplog.messages == []  # nothing advanced "as the plan allows"


async def test_a_reset_that_shows_a_breach_halts_without_acting_on_it(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await world.release("1.0.2", rollout=5)
    plan = RolloutPlan(steps=PLAN.steps, interval=PLAN.interval, gate=PLAN.gate,
                       on_no_metrics="advance")

    def play(event: RolloutWaiting) -> None:
        if event.rollout == 5:
            world.devices(downloaded=1000, failed=1)
        else:  # counters start again at 300 downloads, 100 of them failed
            world.devices(downloaded=-700, failed=99)

    with caplog.at_level(logging.WARNING, logger="codepush_async"):
        outcome = await drive(world, plan, play)

    spike = UpdateMetrics(active=0, downloaded=300, installed=200, failed=100)
    assert outcome.events[-1] == RolloutHalted(
        "impossible metrics: downloaded went backwards (1000 -> 300)", 25, spike)
    assert (outcome.status, outcome.rollout) == ("halted", 25)
    assert await world.current() == ("v2", 25, False)  # counters that lie decide nothing
    assert caplog.messages == []


async def test_no_metrics_advancing_is_logged_with_the_release(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await world.release("1.0.2", rollout=50)
    plan = RolloutPlan(steps=PLAN.steps, interval=PLAN.interval, on_no_metrics="advance")
    with caplog.at_level(logging.WARNING, logger="codepush_async"):
        outcome = await world.cp.rollouts.advance(APP, DEP, plan)
    assert outcome.status == "completed"
    assert caplog.messages == [
        "rollout of Rollouts/Production v2: no metrics; advancing as the plan allows"]


# Breaches


@pytest.mark.parametrize(("action", "after"), [("rollback", ("v3", 100, False)),
                                               ("disable", ("v2", 1, True))])
async def test_a_release_failing_before_the_first_step_gets_the_plans_action(
    world: World, caplog: pytest.LogCaptureFixture, action: str, after: tuple[object, ...]
) -> None:
    await world.release("1.0.2", rollout=1)
    world.devices(downloaded=400, failed=200)
    plan = RolloutPlan(steps=PLAN.steps, interval=PLAN.interval, gate=PLAN.gate,
                       on_breach=action)  # type: ignore[arg-type]
    before = len(world.emulator.requests)
    with caplog.at_level(logging.WARNING, logger="codepush_async"):
        outcome = await world.cp.rollouts.advance(APP, DEP, plan)
    metrics = UpdateMetrics(active=0, downloaded=400, installed=200, failed=200)
    assert outcome.events == (RolloutStarted(APP, DEP, "v2", 1),
                              RolloutBreached(metrics, action, 0.5, 1))  # type: ignore[arg-type]
    assert await world.current() == after
    assert caplog.messages == [
        f"rollout of Rollouts/Production v2 breached its health gate: {action}"]
    if action == "disable":  # the write names the release that was judged
        assert writes(world, before) == [
            ("PATCH", f"/apps/{APP}/deployments/{DEP}/release",
             {"packageInfo": {"label": "v2", "isDisabled": True}})]


async def test_a_release_made_while_metrics_are_read_is_never_disabled(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await world.release("1.0.2", rollout=5)
    world.devices(downloaded=1000, failed=500)
    read = world.cp.deployments.metrics

    async def metrics_then_a_newer_release(app: str, deployment: str) -> object:
        answer = await read(app, deployment)
        await world.cp.releases.patch(APP, DEP, "v2", is_disabled=True)
        await world.release("1.0.3")  # v3 lands between the read and the breach action
        return answer

    monkeypatch.setattr(world.cp.deployments, "metrics", metrics_then_a_newer_release)
    plan = RolloutPlan(steps=PLAN.steps, interval=PLAN.interval, gate=PLAN.gate,
                       on_breach="disable")
    before = len(world.emulator.requests)
    outcome = await world.cp.rollouts.advance(APP, DEP, plan)

    assert outcome.status == "superseded"  # the plan no longer owns v2: no write of its own
    patches = [json.loads(r.body) for r in world.emulator.requests[before:]
               if r.method == "PATCH"]
    assert patches == [{"packageInfo": {"label": "v2", "isDisabled": True}}]  # the operator's
    assert await world.current() == ("v3", 100, False)  # v3 is not disabled


async def test_a_breach_action_failing_outside_the_server_is_reported_then_raised(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    await world.release("1.0.2", rollout=5)
    world.devices(downloaded=400, failed=200)

    async def rollback(app: str, deployment: str) -> Package:
        raise OSError("disk full")

    monkeypatch.setattr(world.cp.releases, "rollback", rollback)
    events: list[RolloutEvent] = []

    async def collect() -> None:
        async for event in world.cp.rollouts.run(APP, DEP, PLAN):
            events.append(event)

    with caplog.at_level(logging.WARNING, logger="codepush_async"), pytest.raises(
        RolloutActionError
    ) as caught:
        await collect()

    said = ("health gate breached at 5%: 50.00% failed (400 downloaded, 200 installed, "
            "200 failed); rollback FAILED (OSError: disk full); the release is still live at 5%")
    assert str(events[-1]) == said
    assert isinstance(caught.value.__cause__, OSError)
    assert caplog.messages[-1] == f"rollout of Rollouts/Production v2: {said}"
    outcome = RolloutOutcome.from_events(events)
    assert outcome.reason == (
        "failure rate 50.00% over the gate at 5%; rollback failed (OSError: disk full)")


# What the steps write


@pytest.mark.parametrize("raised", [25, 50, 100])
async def test_a_rollout_someone_else_raised_is_no_longer_the_plans(
    world: World, raised: int
) -> None:
    await world.release("1.0.2", rollout=5)
    world.devices(downloaded=1000)
    events: list[RolloutEvent] = []
    async for event in world.cp.rollouts.run(APP, DEP, PLAN):
        events.append(event)
        if isinstance(event, RolloutWaiting) and event.rollout == 5:
            await world.cp.releases.patch(APP, DEP, "v2", rollout=raised)
            before = len(world.emulator.requests)
    assert [e.rollout for e in events if isinstance(e, RolloutStepped)] == []
    assert events[-1] == RolloutHalted(
        f"someone else changed the rollout from 5% to {raised}%", raised,
        UpdateMetrics(active=0, downloaded=1000, installed=1000, failed=0))
    assert writes(world, before) == []


async def test_a_step_reports_the_rollout_the_server_answers(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await world.release("1.0.2", rollout=5)
    world.devices(downloaded=1000)
    patch = world.cp.releases.patch

    async def answered(app: str, deployment: str, label: str | None = None,
                       **fields: object) -> Package | None:
        await patch(app, deployment, label, **fields)  # type: ignore[arg-type]
        if fields.get("rollout") == 50:  # another writer raised it in the same moment
            return await patch(app, deployment, label, rollout=60)
        return None  # the server reports nothing changed: the rollout asked for stands

    monkeypatch.setattr(world.cp.releases, "patch", answered)
    outcome = await drive(world, PLAN, at_most(5, lambda e: world.devices(10 * e.rollout)))
    assert stepped(outcome) == [25]
    assert (outcome.status, outcome.rollout, outcome.reason) == (
        "halted", 60, "someone else changed the rollout to 60% as the plan raised it to 50%")
    totals = (await world.cp.deployments.metrics(APP, DEP))["v2"]
    assert outcome.metrics == totals  # the last counters read, with the halt


async def test_a_first_step_raised_to_100_by_someone_else_halts_without_waiting(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await world.release("1.0.2", rollout=1)
    patch = world.cp.releases.patch

    async def raised(app: str, deployment: str, label: str | None = None,
                     **fields: object) -> Package | None:
        await patch(app, deployment, label, **fields)  # type: ignore[arg-type]
        return await patch(app, deployment, label, rollout=100)  # another writer, same moment

    monkeypatch.setattr(world.cp.releases, "patch", raised)
    outcome = await world.cp.rollouts.advance(APP, DEP, PLAN)

    assert stepped(outcome) == []
    assert reasons(outcome) == []
    assert (outcome.status, outcome.rollout, outcome.reason) == (
        "halted", 100, "someone else changed the rollout to 100% as the plan raised it to 5%")
    assert world.clock.now() == START


# Stopping: at once, and what the log says


class _GatedClock(ManualClock):
    """A ManualClock whose ``sleep`` waits until the test opens the gate (a long wait)."""

    def __init__(self, start: float) -> None:
        super().__init__(start)
        self.sleeping, self.gate = anyio.Event(), anyio.Event()

    async def sleep(self, seconds: float) -> None:
        self.sleeping.set()
        await self.gate.wait()
        await super().sleep(seconds)


async def test_a_stop_set_during_the_wait_ends_it_at_once(world: World) -> None:
    await world.release("1.0.2", rollout=5)
    world.devices(downloaded=1000)
    clock = _GatedClock(START)
    stop = anyio.Event()
    outcomes: list[RolloutOutcome] = []
    async with AsyncCodePush(await second_client_key(world), "http://emulator",
                             transport=world.emulator.transport, clock=clock) as cp:

        async def advance() -> None:
            outcomes.append(await cp.rollouts.advance(APP, DEP, PLAN, stop=stop))

        async with anyio.create_task_group() as group:
            group.start_soon(advance)
            await clock.sleeping.wait()
            stop.set()
            await anyio.wait_all_tasks_blocked()
            ended = list(outcomes)
            clock.gate.set()
    assert [o.events[-1] for o in ended] == [RolloutCancelled("v2", 5)]
    assert clock() == START  # the interval was not waited out


class _CancelAfter(httpx.AsyncBaseTransport):
    """Delivers each request to the emulator; once a ``method`` request has been acted on,
    cancels ``scope`` before its answer reaches the client (a task cancelled mid-write)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, scope: anyio.CancelScope,
                 method: str) -> None:
        self.inner, self.scope, self.method = inner, scope, method

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == self.method:
            self.scope.cancel()
            await anyio.sleep_forever()
        return response


@pytest.mark.parametrize(("action", "method", "doing"), [
    ("rollback", "POST", "rolling back v2 after a breach"),
    ("disable", "PATCH", "disabling v2 after a breach"),
])
async def test_cancelled_during_a_breach_action_says_which(
    world: World, caplog: pytest.LogCaptureFixture, action: str, method: str, doing: str
) -> None:
    await world.release("1.0.2", rollout=5)
    world.devices(downloaded=400, failed=200)
    plan = RolloutPlan(steps=PLAN.steps, interval=PLAN.interval, gate=PLAN.gate,
                       on_breach=action)  # type: ignore[arg-type]
    key = await second_client_key(world)
    with anyio.CancelScope() as scope:
        transport = _CancelAfter(world.emulator.transport, scope, method)
        async with AsyncCodePush(key, "http://e", transport=transport,
                                 clock=world.clock) as cp:
            with caplog.at_level(logging.WARNING, logger="codepush_async"):
                await cp.rollouts.advance(APP, DEP, plan)
    assert scope.cancelled_caught
    assert caplog.messages[-1] == (
        f"rollout of Rollouts/Production v2 cancelled while {doing}: the change may have "
        "landed; run the plan again to resume from what the server holds")


async def test_cancelled_while_waiting_names_the_release_and_rollout(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await world.release("1.0.2", rollout=5)
    with caplog.at_level(logging.WARNING, logger="codepush_async"), anyio.CancelScope() as scope:
        async with aclosing(world.cp.rollouts.run(APP, DEP, PLAN)) as run:
            async for event in run:
                if isinstance(event, RolloutWaiting):
                    scope.cancel()
    assert caplog.messages == [
        "rollout of Rollouts/Production v2 cancelled at 5%: the server is left as it is; "
        "run the plan again to resume"]


async def _fails(world: World, caplog: pytest.LogCaptureFixture, arm: Callable[[], object],
                 error: type[Exception]) -> list[str]:
    await world.release("1.0.2", rollout=5)
    world.devices(downloaded=1000)
    arm()
    with caplog.at_level(logging.WARNING, logger="codepush_async"), pytest.raises(error):
        await world.cp.rollouts.advance(APP, DEP, PLAN)
    return caplog.messages


async def test_an_error_reading_says_where_the_run_stopped(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    path = f"/apps/{APP}/deployments/{DEP}/metrics"
    messages = await _fails(world, caplog,
                            lambda: world.emulator.fail_next(500, path=path, times=None),
                            ServerError)
    assert messages[-1] == ("rollout of Rollouts/Production v2 stopped at 5% by ServerError; "
                            "run the plan again to resume")


@pytest.mark.parametrize("error", [BadRequestError, ConflictError])
async def test_a_refused_write_did_not_land(
    world: World, caplog: pytest.LogCaptureFixture, error: type[APIStatusError]
) -> None:
    status = error.default_status_code
    messages = await _fails(world, caplog,
                            lambda: world.emulator.fail_next(status, method="PATCH"), error)
    assert messages[-1] == (f"rollout of Rollouts/Production v2 stopped at 5% by "
                            f"{error.__name__}; run the plan again to resume")
    assert await world.current() == ("v2", 5, False)


async def test_a_write_that_may_have_landed_names_the_release(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    messages = await _fails(world, caplog,
                            lambda: world.emulator.fail_next(500, method="PATCH"),
                            ServerError)
    assert messages[-1] == (
        "rollout of Rollouts/Production v2 stopped by ServerError while raising the rollout "
        "from 5% to 25%: the change may have landed; run the plan again to resume from what "
        "the server holds")

