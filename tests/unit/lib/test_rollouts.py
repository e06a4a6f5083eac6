"""``cp.rollouts`` on the emulator: one ManualClock drives the server and the client."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from datetime import datetime, timedelta, timezone
from pathlib import Path

import anyio
import pytest

from codepush_async import (
    AsyncCodePush,
    CodePushError,
    HealthGate,
    NotFoundError,
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
from codepush_async.emulator import CodePushEmulator, ManualClock
from tests._backend import httpx

pytestmark = pytest.mark.anyio

APP, DEP = "Rollouts", "Production"
START = 1_700_000_000.0
HOUR = 3600.0
PLAN = RolloutPlan(
    steps=(5, 25, 50, 100),
    interval=timedelta(hours=1),
    gate=HealthGate(max_failure_rate=0.02, min_downloads=200),
)


class World:
    """An emulator, a client on the same ManualClock, and an app with two releases."""

    def __init__(self, emulator: CodePushEmulator, cp: AsyncCodePush, clock: ManualClock,
                 root: Path) -> None:
        self.emulator, self.cp, self.clock, self.root = emulator, cp, clock, root

    async def release(self, version: str, rollout: int | None = None) -> str:
        bundle = self.root / version
        bundle.mkdir()
        (bundle / "main.jsbundle").write_text(f"bundle {version}")
        package = await self.cp.releases.release(APP, DEP, bundle, "1.0.0", rollout=rollout)
        assert package.label is not None
        return package.label

    def devices(self, downloaded: int, failed: int = 0) -> None:
        """Devices report: ``downloaded`` more downloads, all installed but ``failed``."""
        self.emulator.record_metrics(APP, DEP, "v2", downloaded=downloaded,
                                     installed=downloaded - failed, failed=failed)

    async def current(self) -> tuple[str | None, int, bool]:
        package = (await self.cp.deployments.get(APP, DEP)).package
        assert package is not None
        return package.label, package.rollout, bool(package.is_disabled)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    clock = ManualClock(START)
    emulator = CodePushEmulator(clock=clock)
    key = emulator.create_account("ops@example.com")
    async with AsyncCodePush(key, "http://emulator", transport=emulator.transport,
                             clock=clock) as cp:
        await cp.apps.create(APP)
        w = World(emulator, cp, clock, tmp_path)
        await w.release("1.0.1")  # v1, fully rolled out: what a rollback goes back to
        yield w


async def drive(
    world: World,
    plan: RolloutPlan,
    on_wait: Callable[[RolloutWaiting], None] = lambda _e: None,
    **options: object,
) -> RolloutOutcome:
    """Run the plan, letting ``on_wait`` play the devices while the run waits."""
    events: list[RolloutEvent] = []
    async with aclosing(world.cp.rollouts.run(APP, DEP, plan, **options)) as run:  # type: ignore[arg-type]
        async for event in run:
            events.append(event)
            if isinstance(event, RolloutWaiting):
                on_wait(event)
    return RolloutOutcome.from_events(events)


def at_most(
    waits: int, play: Callable[[RolloutWaiting], None] = lambda _e: None
) -> Callable[[RolloutWaiting], None]:
    """``play``, failing the test once the run has waited more than ``waits`` times: a step
    held for ever fails instead of spinning."""
    seen: list[RolloutWaiting] = []

    def bounded(event: RolloutWaiting) -> None:
        seen.append(event)
        if len(seen) > waits:
            raise AssertionError(f"still waiting after {waits} waits: {event}")
        play(event)

    return bounded


def healthy(world: World) -> Callable[[RolloutWaiting], None]:
    return lambda event: world.devices(downloaded=10 * event.rollout, failed=0)


def kinds(outcome: RolloutOutcome) -> list[str]:
    return [type(event).__name__ for event in outcome.events]


async def test_healthy_rollout_steps_up_waiting_on_the_shared_clock(world: World) -> None:
    await world.release("1.0.2", rollout=1)
    world.devices(downloaded=0)
    waits: list[datetime] = []

    def play(event: RolloutWaiting) -> None:
        waits.append(event.until)
        new = 100 if len(waits) == 1 else 200  # each step needs 200 NEW downloads
        world.devices(downloaded=new, failed=new // 100)  # 1 % failures, under the 2 % gate

    outcome = await drive(world, PLAN, play)

    assert outcome.status == "completed"
    assert (outcome.label, outcome.rollout) == ("v2", 100)
    steps = [e.rollout for e in outcome.events if isinstance(e, RolloutStepped)]
    assert steps == [5, 25, 50, 100]
    # 5 %: 100 downloads < min_downloads 200, so it holds one more interval first.
    reasons = [e.reason for e in outcome.events if isinstance(e, RolloutWaiting)]
    assert reasons == ["interval", "too few new downloads", "interval", "interval"]
    assert waits == [
        datetime.fromtimestamp(START + n * HOUR, tz=timezone.utc) for n in range(1, 5)
    ]
    assert world.clock() == START + 4 * HOUR
    assert outcome.metrics == UpdateMetrics(active=0, downloaded=700, installed=693, failed=7)
    last = outcome.events[-2]
    assert isinstance(last, RolloutStepped)
    assert last.growth == UpdateMetrics(active=0, downloaded=200, installed=198, failed=2)
    assert await world.current() == ("v2", 100, False)  # stored as null, read as 100
    assert isinstance(outcome.events[0], RolloutStarted)
    assert outcome.events[0].rollout == 1
    assert isinstance(outcome.events[-1], RolloutCompleted)


async def test_advance_returns_the_same_outcome(world: World) -> None:
    await world.release("1.0.2", rollout=5)
    world.devices(downloaded=1000, failed=5)
    outcome = await world.cp.rollouts.advance(APP, DEP, RolloutPlan((5, 25), 60, PLAN.gate))
    assert outcome.status == "completed"
    assert kinds(outcome) == ["RolloutStarted", "RolloutWaiting", "RolloutStepped",
                              "RolloutCompleted"]
    assert outcome.events[0] == RolloutStarted(APP, DEP, "v2", 5)


@pytest.mark.parametrize(
    ("action", "status", "after"),
    [
        ("rollback", "rolled_back", ("v3", 100, False)),
        ("disable", "disabled", ("v2", 25, True)),
        ("halt", "halted", ("v2", 25, False)),
    ],
)
async def test_a_failure_spike_at_25_takes_the_plans_action(
    world: World, action: str, status: str, after: tuple[object, ...]
) -> None:
    await world.release("1.0.2", rollout=5)
    plan = RolloutPlan(steps=PLAN.steps, interval=PLAN.interval, gate=PLAN.gate,
                       on_breach=action)  # type: ignore[arg-type]

    def play(event: RolloutWaiting) -> None:
        if event.rollout == 5:
            world.devices(downloaded=300, failed=3)  # 1 %: healthy
        else:
            world.devices(downloaded=300, failed=30)  # the spike: 33 of 600 failed

    outcome = await drive(world, plan, play)

    assert outcome.status == status
    assert outcome.rollout == 25
    spike = UpdateMetrics(active=0, downloaded=600, installed=567, failed=33)
    assert outcome.metrics == spike
    breach = outcome.events[-1]
    assert isinstance(breach, RolloutBreached)
    step = UpdateMetrics(active=0, downloaded=300, installed=270, failed=30)
    assert breach == RolloutBreached(spike, action, 0.1, 25, growth=step)  # type: ignore[arg-type]
    assert "10.00% over the gate at 25% on the step's own data" in outcome.reason
    assert await world.current() == after
    if action == "rollback":
        history = await world.cp.releases.history(APP, DEP)
        assert history[-1].package_hash == history[0].package_hash  # v1's content again


async def test_a_restarted_run_resumes_from_the_servers_rollout(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await world.release("1.0.2", rollout=5)
    world.devices(downloaded=1000)
    seen: list[RolloutEvent] = []
    with caplog.at_level(logging.WARNING, logger="codepush_async"):
        async with aclosing(world.cp.rollouts.run(APP, DEP, PLAN)) as run:
            async for event in run:
                seen.append(event)
                if isinstance(event, RolloutStepped) and event.rollout == 25:
                    break  # the service stops here
    assert "cancelled at 25%: the server is left as it is" in caplog.text
    assert await world.current() == ("v2", 25, False)

    # Resumed above the first step: the 1000 downloads may be 5 %'s, so only new ones count.
    outcome = await drive(world, PLAN, at_most(3, healthy(world)))

    assert outcome.events[0] == RolloutStarted(APP, DEP, "v2", 25)
    steps = [e for e in outcome.events if isinstance(e, RolloutStepped)]
    assert [(e.rollout, e.growth and e.growth.downloaded) for e in steps] == [(50, 250),
                                                                            (100, 500)]
    assert outcome.status == "completed"


async def test_cancelling_the_task_leaves_the_server_as_it_is(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await world.release("1.0.2", rollout=5)
    world.devices(downloaded=1000)
    before = len(world.emulator.requests)
    with caplog.at_level(logging.WARNING, logger="codepush_async"):
        with anyio.CancelScope() as scope:
            async for event in world.cp.rollouts.run(APP, DEP, PLAN):
                if isinstance(event, RolloutWaiting):
                    scope.cancel()  # cancelled while waiting on the clock
    assert scope.cancelled_caught
    assert "cancelled at 5%: the server is left as it is" in caplog.text
    writes = [r for r in world.emulator.requests[before:] if r.method != "GET"]
    assert writes == []
    assert await world.current() == ("v2", 5, False)


async def test_a_stop_event_ends_the_run_as_cancelled(world: World) -> None:
    await world.release("1.0.2", rollout=5)
    world.devices(downloaded=1000)
    stop = anyio.Event()

    def play(event: RolloutWaiting) -> None:
        if event.rollout == 25:
            stop.set()

    outcome = await drive(world, PLAN, play, stop=stop)

    assert outcome.status == "cancelled"
    assert outcome.events[-1] == RolloutCancelled("v2", 25)
    assert outcome.reason == "stopped at 25%; the server is left as it is"
    assert await world.current() == ("v2", 25, False)


async def test_a_newer_release_mid_plan_supersedes_it(world: World) -> None:
    await world.release("1.0.2", rollout=5)
    world.devices(downloaded=1000)
    released: list[str] = []

    async def newer() -> None:
        await world.cp.releases.patch(APP, DEP, "v2", is_disabled=True)
        released.append(await world.release("1.0.3"))

    events: list[RolloutEvent] = []
    async for event in world.cp.rollouts.run(APP, DEP, PLAN):
        events.append(event)
        if isinstance(event, RolloutWaiting) and event.rollout == 25:
            await newer()
    outcome = RolloutOutcome.from_events(events)
    assert released == ["v3"]
    assert outcome.status == "superseded"
    assert outcome.events[-1] == RolloutSuperseded("v2", "v3")
    assert outcome.reason == "v3 is now the current release"
    assert await world.current() == ("v3", 100, False)  # the newer release is untouched


async def test_a_label_that_is_not_the_current_release_is_superseded(world: World) -> None:
    await world.release("1.0.2")
    outcome = await world.cp.rollouts.advance(APP, DEP, PLAN, label="v1")
    assert outcome.status == "superseded"
    assert outcome.events == (RolloutSuperseded("v1", "v2"),)
    with pytest.raises(NotFoundError, match="no release 'v9'"):
        await world.cp.rollouts.advance(APP, DEP, PLAN, label="v9")


async def test_no_metrics_halts_by_default(world: World) -> None:
    await world.release("1.0.2", rollout=5)
    outcome = await world.cp.rollouts.advance(APP, DEP, PLAN)  # nobody reports anything
    assert outcome.status == "halted"
    assert outcome.reason == "no metrics"
    assert outcome.events[-1] == RolloutHalted("no metrics", 5, None)
    assert await world.current() == ("v2", 5, False)


async def test_no_metrics_advances_blind_only_when_the_plan_says_so(world: World) -> None:
    await world.release("1.0.2", rollout=5)
    plan = RolloutPlan(steps=PLAN.steps, interval=PLAN.interval, on_no_metrics="advance")
    outcome = await world.cp.rollouts.advance(APP, DEP, plan)
    assert outcome.status == "completed"
    assert [(e.rollout, e.metrics) for e in outcome.events if isinstance(e, RolloutStepped)] == [
        (25, None), (50, None), (100, None)
    ]


async def test_metrics_going_backwards_never_count_as_healthy(world: World) -> None:
    await world.release("1.0.2", rollout=5)

    def play(event: RolloutWaiting) -> None:
        if event.rollout == 5:
            world.devices(downloaded=1000, failed=1)
        else:  # the counters drop (a metrics store was flushed)
            world.devices(downloaded=-900, failed=-1)

    outcome = await drive(world, PLAN, play)
    assert outcome.status == "halted"
    assert outcome.reason == "impossible metrics: downloaded went backwards (1000 -> 100)"
    assert outcome.rollout == 25
    assert await world.current() == ("v2", 25, False)


async def test_the_first_step_is_set_when_the_release_is_below_it(world: World) -> None:
    await world.release("1.0.2", rollout=1)
    outcome = await drive(world, RolloutPlan(steps=(10,), interval=0), healthy(world))
    assert kinds(outcome) == ["RolloutStarted", "RolloutStepped", "RolloutCompleted"]
    assert await world.current() == ("v2", 10, False)


async def test_a_complete_or_disabled_release_ends_at_once(world: World) -> None:
    await world.release("1.0.2")
    done = await world.cp.rollouts.advance(APP, DEP, PLAN)
    assert (done.status, kinds(done)) == ("completed", ["RolloutStarted", "RolloutCompleted"])
    await world.cp.releases.patch(APP, DEP, is_disabled=True)
    off = await world.cp.rollouts.advance(APP, DEP, PLAN)
    assert (off.status, off.reason) == ("halted", "the release is disabled")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"steps": ()}, "steps must not be empty"),
        ({"steps": (5, 5)}, "increase strictly"),
        ({"steps": (0, 50)}, "from 1 to 100"),
        ({"steps": (50, 101)}, "from 1 to 100"),
        ({"steps": (True,)}, "from 1 to 100"),
        ({"steps": "5"}, "sequence of percentages"),
        ({"interval": -1}, "interval must be finite"),
        ({"interval": "1h"}, "timedelta or seconds"),
        ({"on_breach": "explode"}, "on_breach must be one of"),
        ({"on_no_metrics": "hope"}, "on_no_metrics must be one of"),
        ({"gate": 0.02}, "gate must be a HealthGate"),
    ],
)
def test_a_bad_plan_is_refused_when_built(options: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"steps": (5, 100), "interval": 60, **options}
    with pytest.raises(ValueError, match=message):
        RolloutPlan(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_failure_rate": 1.5}, "between 0 and 1"),
        ({"max_failure_rate": float("nan")}, "between 0 and 1"),
        ({"max_failure_rate": "2%"}, "must be a number"),
        ({"min_downloads": -1}, "int >= 0"),
        ({"min_downloads": 1.5}, "int >= 0"),
    ],
)
def test_a_bad_gate_is_refused_when_built(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        HealthGate(**options)  # type: ignore[arg-type]


def test_the_gate_judges_only_with_enough_data() -> None:
    gate = HealthGate(max_failure_rate=0.1, min_downloads=10)
    assert gate.failure_rate(UpdateMetrics(downloaded=9, installed=9, failed=0)) is None
    assert gate.failure_rate(UpdateMetrics(downloaded=10, installed=0, failed=0)) is None
    assert gate.failure_rate(UpdateMetrics(downloaded=10, installed=6, failed=2)) == 0.25
    assert gate.failure_rate(UpdateMetrics(downloaded=None, installed=6, failed=2)) is None


async def test_bad_arguments_are_refused_before_any_request(world: World) -> None:
    before = len(world.emulator.requests)
    with pytest.raises(ValueError, match="plan must be a RolloutPlan"):
        await world.cp.rollouts.advance(APP, DEP, {"steps": (5,)})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="label must be a release label"):
        await world.cp.rollouts.advance(APP, DEP, PLAN, label="")
    with pytest.raises(ValueError, match=r"stop must be an anyio\.Event"):
        await world.cp.rollouts.advance(APP, DEP, PLAN, stop=True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="app"):
        await world.cp.rollouts.advance("", DEP, PLAN)
    assert len(world.emulator.requests) == before


async def test_a_deployment_without_releases_has_nothing_to_roll_out(world: World) -> None:
    await world.cp.deployments.create(APP, "Empty")
    with pytest.raises(NotFoundError, match="has no release to roll out"):
        await world.cp.rollouts.advance(APP, "Empty", PLAN)


def test_events_read_as_sentences() -> None:
    metrics = UpdateMetrics(downloaded=600, installed=567, failed=33)
    until = datetime(2026, 1, 5, 11, 0, tzinfo=timezone.utc)
    assert str(RolloutStarted(APP, DEP, "v2", 5)) == "started on Rollouts/Production v2 at 5%"
    assert str(RolloutStepped(25, None)) == "rollout raised to 25% (no metrics)"
    assert str(RolloutWaiting(until, 5)) == "waiting at 5% until 2026-01-05 11:00 UTC"
    assert str(RolloutWaiting(until, 5, "too few downloads")).endswith("(too few downloads)")
    assert str(RolloutBreached(metrics, "rollback", 0.055, 25)) == (
        "health gate breached at 25%: 5.50% failed "
        "(600 downloaded, 567 installed, 33 failed); rollback"
    )
    assert str(RolloutHalted("no metrics", 5, None)) == "halted at 5%: no metrics"
    assert str(RolloutCompleted("v2", 100)) == "v2 completed at 100%"
    assert str(RolloutSuperseded("v2", "v3")) == "v2 superseded by v3"
    assert str(RolloutSuperseded("v2", None)) == "v2 superseded by no release"
    assert str(RolloutCancelled("v2", 25)) == "cancelled at 25%: the server is left as it is"


async def test_a_failure_rate_at_the_limit_is_not_a_breach(world: World) -> None:
    await world.release("1.0.2", rollout=5)
    plan = RolloutPlan(steps=(5, 25), interval=60,
                       gate=HealthGate(max_failure_rate=0.01, min_downloads=200))
    world.devices(downloaded=200, failed=2)  # exactly 1 %
    outcome = await world.cp.rollouts.advance(APP, DEP, plan)
    assert (outcome.status, outcome.rollout) == ("completed", 25)
    world.devices(downloaded=0, failed=1)  # 3 of 201: over it
    await world.cp.releases.patch(APP, DEP, "v2", rollout=30)
    over = await world.cp.rollouts.advance(
        APP, DEP, RolloutPlan(steps=(30, 60), interval=60, gate=plan.gate, on_breach="halt")
    )
    assert (over.status, over.rollout) == ("halted", 30)
    assert isinstance(over.events[-1], RolloutBreached)


async def test_changes_made_by_someone_else_mid_plan_are_respected(world: World) -> None:
    await world.release("1.0.2", rollout=5)
    world.devices(downloaded=1000)

    async def operator(event: RolloutWaiting) -> None:
        if event.rollout == 5:
            await world.cp.releases.patch(APP, DEP, "v2", rollout=60)  # raised by hand
        elif event.rollout == 60:
            await world.cp.releases.patch(APP, DEP, "v2", is_disabled=True)

    events: list[RolloutEvent] = []
    async for event in world.cp.rollouts.run(APP, DEP, PLAN):
        events.append(event)
        if isinstance(event, RolloutWaiting):
            await operator(event)
    outcome = RolloutOutcome.from_events(events)

    assert [e.rollout for e in events if isinstance(e, RolloutStepped)] == []  # not its own
    assert (outcome.status, outcome.reason, outcome.rollout) == (
        "halted", "someone else changed the rollout from 5% to 60%", 60
    )
    assert await world.current() == ("v2", 60, False)


async def test_an_error_mid_plan_propagates_and_says_where_it_stopped(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await world.release("1.0.2", rollout=5)
    world.devices(downloaded=1000)
    world.emulator.fail_next(500, method="PATCH")
    with caplog.at_level(logging.WARNING, logger="codepush_async"), pytest.raises(
        ServerError
    ):
        await world.cp.rollouts.advance(APP, DEP, PLAN)
    assert ("stopped by ServerError while raising the rollout from 5% to 25%: the change "
            "may have landed; run the plan again") in caplog.text  # a 500 may follow a write
    assert await world.current() == ("v2", 5, False)


def test_rollouts_use_only_the_clients_public_calls() -> None:
    """The module reads as an example of the SDK: no private member of the client is used."""
    import ast

    import codepush_async.lib.rollouts as rollouts_module

    tree = ast.parse(Path(rollouts_module.__file__).read_text())
    used = {ast.unparse(node) for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and ast.unparse(node).startswith("self._cp.")}
    assert used == {
        "self._cp.clock", "self._cp.clock.now", "self._cp.clock.sleep",
        "self._cp.deployments", "self._cp.deployments.get", "self._cp.deployments.metrics",
        "self._cp.releases", "self._cp.releases.history", "self._cp.releases.patch",
        "self._cp.releases.rollback", "self._cp.resolve_flavor",
    }
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= {"__future__", "collections.abc", "datetime", "typing", "_exceptions",
                        "_models.entities", "_models.export", "_models.reprs",
                        "_display.tables", "_client_api"}


async def test_advancing_never_passes_counters_that_went_backwards(
    world: World,
) -> None:
    """``on_no_metrics="advance"`` is for missing metrics: a reset is impossible, so it halts."""
    await world.release("1.0.2", rollout=5)
    plan = RolloutPlan(steps=PLAN.steps, interval=PLAN.interval, gate=PLAN.gate,
                       on_breach="halt", on_no_metrics="advance")

    def play(event: RolloutWaiting) -> None:
        if event.rollout == 5:
            world.devices(downloaded=1000, failed=1)
        elif event.rollout == 25:  # the metrics store was flushed: counters start again
            world.devices(downloaded=-900, failed=-1)
        else:  # then half the devices fail
            world.devices(downloaded=400, failed=200)

    outcome = await drive(world, plan, play)

    assert [e.rollout for e in outcome.events if isinstance(e, RolloutStepped)] == [25]
    assert (outcome.status, outcome.rollout) == ("halted", 25)
    assert outcome.reason == "impossible metrics: downloaded went backwards (1000 -> 100)"
    assert await world.current() == ("v2", 25, False)


async def test_a_step_held_for_too_few_downloads_halts_after_max_hold(world: World) -> None:
    await world.release("1.0.2", rollout=5)
    world.devices(downloaded=10)  # far under min_downloads 200, and nobody else comes
    plan = RolloutPlan(steps=PLAN.steps, interval=PLAN.interval, gate=PLAN.gate,
                       max_hold=timedelta(hours=2))

    outcome = await drive(world, plan, at_most(10))

    reasons = [e.reason for e in outcome.events if isinstance(e, RolloutWaiting)]
    assert reasons == ["interval", "too few new downloads", "too few new downloads"]
    assert (outcome.status, outcome.rollout) == ("halted", 5)
    assert outcome.reason == "too few new downloads (10 < 200) after holding 2 h"
    assert outcome.metrics is not None
    assert outcome.metrics.downloaded == 10
    assert world.clock() == START + 3 * HOUR  # the interval, then at most max_hold more
    assert await world.current() == ("v2", 5, False)


async def test_without_an_interval_too_few_downloads_halts_instead_of_polling(
    world: World,
) -> None:
    await world.release("1.0.2", rollout=5)
    world.devices(downloaded=10)
    waits: list[RolloutWaiting] = []

    def count(event: RolloutWaiting) -> None:
        waits.append(event)
        if len(waits) > 5:
            raise AssertionError("a zero interval polls the server in a loop")

    outcome = await drive(world, RolloutPlan(steps=(5, 25), interval=0, gate=PLAN.gate), count)

    assert (outcome.status, outcome.rollout, len(waits)) == ("halted", 5, 1)
    assert outcome.reason == "too few new downloads (10 < 200)"


@pytest.mark.parametrize("value", [-1, "2h", float("inf")])
def test_a_bad_max_hold_is_refused_when_built(value: object) -> None:
    with pytest.raises(ValueError, match="max_hold must be"):
        RolloutPlan(steps=(5, 100), interval=60, max_hold=value)  # type: ignore[arg-type]


async def test_a_release_made_while_metrics_are_read_is_never_rolled_back(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await world.release("1.0.2", rollout=5)
    world.devices(downloaded=1000, failed=500)  # a breach: the plan rolls v2 back
    read = world.cp.deployments.metrics

    async def metrics_then_a_newer_release(app: str, deployment: str) -> object:
        answer = await read(app, deployment)
        await world.cp.releases.patch(APP, DEP, "v2", is_disabled=True)
        await world.release("1.0.3")  # v3 lands between the read and the breach action
        return answer

    monkeypatch.setattr(world.cp.deployments, "metrics", metrics_then_a_newer_release)
    outcome = await world.cp.rollouts.advance(APP, DEP, PLAN)

    assert outcome.status == "superseded"
    assert outcome.events[-1] == RolloutSuperseded("v2", "v3")
    assert await world.current() == ("v3", 100, False)  # v3 is not rolled back


async def test_the_first_step_never_widens_a_release_already_over_the_gate(
    world: World,
) -> None:
    await world.release("1.0.2", rollout=1)
    world.devices(downloaded=400, failed=200)  # at 1 %, half the devices already fail
    plan = RolloutPlan(steps=PLAN.steps, interval=PLAN.interval, gate=PLAN.gate,
                       on_breach="halt")

    outcome = await world.cp.rollouts.advance(APP, DEP, plan)

    assert kinds(outcome) == ["RolloutStarted", "RolloutBreached"]
    assert (outcome.status, outcome.rollout) == ("halted", 1)
    assert await world.current() == ("v2", 1, False)


class _CancelAfterPatch(httpx.AsyncBaseTransport):
    """Delivers each request to the emulator; once a PATCH has been acted on, cancels
    ``scope`` before its answer reaches the client (a task cancelled mid-write)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, scope: anyio.CancelScope) -> None:
        self.inner, self.scope = inner, scope

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "PATCH":
            self.scope.cancel()
            await anyio.sleep_forever()
        return response


async def test_cancelled_while_raising_says_the_change_may_have_landed(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await world.release("1.0.2", rollout=5)
    world.devices(downloaded=1000)
    key = world.emulator.create_account("ci@example.com")
    await world.cp.collaborators.add(APP, "ci@example.com")
    with anyio.CancelScope() as scope:
        transport = _CancelAfterPatch(world.emulator.transport, scope)
        async with AsyncCodePush(key, "http://e", transport=transport, clock=world.clock) as cp:
            with caplog.at_level(logging.WARNING, logger="codepush_async"):
                await cp.rollouts.advance(APP, DEP, PLAN)
    assert scope.cancelled_caught
    assert ("cancelled while raising the rollout from 5% to 25%: the change may have "
            "landed; run the plan again to resume from what the server holds") in caplog.text
    assert "cancelled at 5%" not in caplog.text  # the old rollout is not claimed
    assert await world.current() == ("v2", 25, False)  # it did land


async def test_a_breach_whose_rollback_fails_is_reported_then_raised(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await world.cp.deployments.create(APP, "Solo")
    bundle = world.root / "solo"
    bundle.mkdir()
    (bundle / "main.jsbundle").write_text("the only release")
    await world.cp.releases.release(APP, "Solo", bundle, "1.0.0", rollout=5)
    world.emulator.record_metrics(APP, "Solo", "v1", downloaded=400, installed=300, failed=100)
    events: list[RolloutEvent] = []

    async def collect() -> None:
        async for event in world.cp.rollouts.run(APP, "Solo", PLAN):  # on_breach="rollback"
            events.append(event)

    with caplog.at_level(logging.WARNING, logger="codepush_async"), pytest.raises(
        RolloutActionError
    ) as caught:
        await collect()

    metrics = UpdateMetrics(active=0, downloaded=400, installed=300, failed=100)
    breach = events[-1]
    assert isinstance(breach, RolloutBreached)
    assert (breach.metrics, breach.action, breach.failure_rate, breach.rollout) == (
        metrics, "rollback", 0.25, 5)
    assert isinstance(breach.error, CodePushError)
    assert caught.value.event is breach
    assert caught.value.__cause__ is breach.error
    assert caught.value.status_code == breach.error.status_code
    assert "rollback FAILED" in str(caught.value)
    assert "the release is still live at 5%" in str(caught.value)
    assert "25.00% failed (400 downloaded, 300 installed, 100 failed)" in caplog.text
    deployment = await world.cp.deployments.get(APP, "Solo")
    assert deployment.package is not None
    assert (deployment.package.label, deployment.package.rollout) == ("v1", 5)

    outcome = RolloutOutcome.from_events(events)  # never "rolled_back": nothing was done
    assert (outcome.status, outcome.metrics, outcome.rollout) == ("halted", metrics, 5)
    assert outcome.reason.startswith("failure rate 25.00% over the gate at 5%; rollback failed")

    with pytest.raises(RolloutActionError) as again:  # advance() raises it too, with the event
        await world.cp.rollouts.advance(APP, "Solo", PLAN)
    assert again.value.event.metrics == metrics
