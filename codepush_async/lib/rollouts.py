"""``cp.rollouts``: staged rollouts that widen a release step by step behind a health gate.

Built only on the client's public calls (``deployments.get``, ``deployments.metrics``,
``releases.patch``, ``releases.rollback``, ``releases.history``, ``resolve_flavor``) and
its public ``clock``, so it reads as an example of the SDK. A run keeps no state of its
own: it starts from the release's rollout on the server, so a restarted service resumes
where it stopped. Each step is judged on its own data (the counters' growth since its
patch landed), counters that cannot be true halt it, and a release the plan no longer
owns (disabled, rolled back, superseded, its rollout changed by someone else) is never
written. A server that never reports rollouts (the community server answers 100 whatever
it stores) cannot be run against: ``UnsupportedOperationError`` before any write.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, NoReturn

import anyio
import attrs

from .._display.tables import Column, Displayed, Table, make_table
from .._exceptions import APIStatusError, CodePushError, NotFoundError, UnsupportedOperationError
from .._models.entities import Package, ReleaseMethod, UpdateMetrics, _Model
from .._models.export import Mode, unstructure
from .._models.reprs import call_repr
from ._client_api import ClientAPI

__all__ = [
    "BreachAction",
    "HealthGate",
    "NoMetricsAction",
    "RolloutActionError",
    "RolloutBreached",
    "RolloutCancelled",
    "RolloutCompleted",
    "RolloutEvent",
    "RolloutHalted",
    "RolloutOutcome",
    "RolloutPlan",
    "RolloutStarted",
    "RolloutStatus",
    "RolloutStepped",
    "RolloutSuperseded",
    "RolloutWaiting",
    "Rollouts",
]

logger = logging.getLogger("codepush_async")

BreachAction = Literal["rollback", "disable", "halt"]
NoMetricsAction = Literal["halt", "advance"]
RolloutStatus = Literal[
    "completed", "rolled_back", "disabled", "halted", "superseded", "cancelled"
]
_BREACH_ACTIONS = ("rollback", "disable", "halt")
_NO_METRICS_ACTIONS = ("halt", "advance")
_BREACH_STATUS: dict[str, RolloutStatus] = {
    "rollback": "rolled_back", "disable": "disabled", "halt": "halted"
}
_COUNTERS = ("downloaded", "installed", "failed")


def _check_gate_rate(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"max_failure_rate must be a number, got {type(value).__name__}")
    if not (math.isfinite(value) and 0 <= value <= 1):
        raise ValueError(f"max_failure_rate must be between 0 and 1, got {value!r}")
    return float(value)


def _check_count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be an int >= 0, got {value!r}")
    return value


def _describe(metrics: UpdateMetrics | None) -> str:
    if metrics is None:
        return "no metrics"
    return (f"{metrics.downloaded or 0} downloaded, {metrics.installed or 0} installed, "
            f"{metrics.failed or 0} failed")


@attrs.frozen
class HealthGate(_Model):
    """When a release may widen: failure rate = failed / (installed + failed), judged
    once at least ``min_downloads`` downloads are counted; above ``max_failure_rate`` is a
    breach. A plan judges each step on its own counters (their growth since the step
    began) and the release's totals; too little new data holds the step."""

    max_failure_rate: float = attrs.field(default=0.02, converter=_check_gate_rate)
    min_downloads: int = attrs.field(
        default=100, validator=lambda _i, _a, v: _check_count(v, "min_downloads")
    )

    def failure_rate(self, metrics: UpdateMetrics) -> float | None:
        """The failure rate of ``metrics`` (a step's growth or the totals), or ``None``
        while there is too little data to judge."""
        downloaded = metrics.downloaded or 0
        installed = metrics.installed or 0
        failed = metrics.failed or 0
        if downloaded < self.min_downloads or installed + failed <= 0:
            return None
        return failed / (installed + failed)


def _to_seconds(value: object, name: str = "interval") -> float:
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise ValueError(f"{name} must be a timedelta or seconds, got {type(value).__name__}")
    if not (math.isfinite(seconds) and seconds >= 0):
        raise ValueError(f"{name} must be finite and >= 0, got {value!r}")
    return seconds


def _to_max_hold(value: object) -> float | None:
    return None if value is None else _to_seconds(value, "max_hold")


def _duration(seconds: float) -> str:
    for unit, size in (("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} s"


def _too_little_data(gate: HealthGate, growth: UpdateMetrics) -> tuple[str, str]:
    """Why a step's growth is too little to judge: in short, and with its counts."""
    downloaded = growth.downloaded or 0
    if downloaded < gate.min_downloads:
        return "too few new downloads", f"({downloaded} < {gate.min_downloads})"
    return "no new installs reported", f"({downloaded} new downloads)"


def _growth(metrics: UpdateMetrics, baseline: UpdateMetrics) -> UpdateMetrics:
    """What the counters gained since ``baseline`` (``active`` as read: it is no counter)."""
    gained = {name: (getattr(metrics, name) or 0) - (getattr(baseline, name) or 0)
              for name in _COUNTERS}
    return UpdateMetrics(active=metrics.active, **gained)


def _impossible(metrics: UpdateMetrics, last: UpdateMetrics | None) -> str | None:
    """Why counters cannot be true (negative, above the downloads, or lower than ``last``,
    the previous read), naming the counter; ``None`` when they can be."""
    for name in ("active", *_COUNTERS):
        value = getattr(metrics, name)
        if value is not None and value < 0:
            return f"impossible metrics: {name} is negative ({value})"
    downloaded = metrics.downloaded
    for name in ("installed", "failed"):
        value = getattr(metrics, name) or 0
        if downloaded is not None and value > downloaded:
            return f"impossible metrics: {name} ({value}) above downloaded ({downloaded})"
    if last is None:
        return None
    for name in _COUNTERS:
        before, now = getattr(last, name) or 0, getattr(metrics, name) or 0
        if now < before:
            return f"impossible metrics: {name} went backwards ({before} -> {now})"
    return None


def _check_steps(value: object) -> tuple[int, ...]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise ValueError(f"steps must be a sequence of percentages, got {value!r}")
    steps = tuple(value)
    if not steps:
        raise ValueError("steps must not be empty")
    for step in steps:
        if isinstance(step, bool) or not isinstance(step, int) or not 1 <= step <= 100:
            raise ValueError(f"each step must be an int from 1 to 100, got {step!r}")
    if any(b <= a for a, b in itertools.pairwise(steps)):
        raise ValueError(f"steps must increase strictly, got {steps!r}")
    return steps


def _check_choice(value: object, choices: tuple[str, ...], name: str) -> None:
    if value not in choices:
        known = ", ".join(map(repr, choices))
        raise ValueError(f"{name} must be one of {known}, got {value!r}")


@attrs.frozen
class RolloutPlan(_Model):
    """The rollout percentages to go through, the wait at each, the gate and what to do
    on a breach (``"rollback"``, ``"disable"`` or ``"halt"``) or without metrics.

    A step with too little data to judge is held one more ``interval`` at a time, for
    at most ``max_hold`` (``None``: as long as it takes), then the plan halts; with
    ``interval=0`` there is nothing to wait for, so it halts at once.
    """

    steps: tuple[int, ...] = attrs.field(converter=_check_steps)
    interval: float = attrs.field(converter=_to_seconds)
    gate: HealthGate = attrs.field(factory=HealthGate)
    on_breach: BreachAction = attrs.field(
        default="rollback",
        validator=lambda _i, _a, v: _check_choice(v, _BREACH_ACTIONS, "on_breach"),
    )
    on_no_metrics: NoMetricsAction = attrs.field(
        default="halt",
        validator=lambda _i, _a, v: _check_choice(v, _NO_METRICS_ACTIONS, "on_no_metrics"),
    )
    max_hold: float | None = attrs.field(default=None, kw_only=True, converter=_to_max_hold)

    @gate.validator
    def _check_gate(self, _attribute: object, value: object) -> None:
        if not isinstance(value, HealthGate):
            raise ValueError(f"gate must be a HealthGate, got {type(value).__name__}")


@attrs.frozen
class RolloutStarted(_Model):
    """The plan starts (or resumes) on ``label``, currently at ``rollout`` %."""

    app: str
    deployment: str
    label: str
    rollout: int

    def __str__(self) -> str:
        return f"started on {self.app}/{self.deployment} {self.label} at {self.rollout}%"


@attrs.frozen
class RolloutStepped(_Model):
    """The rollout was raised to ``rollout`` %: ``growth``, the previous step's own data,
    allowed it; ``metrics`` are the totals read then (both ``None``: first step, or
    advanced without metrics as the plan allows)."""

    rollout: int
    metrics: UpdateMetrics | None
    growth: UpdateMetrics | None = attrs.field(default=None, kw_only=True)

    def __str__(self) -> str:
        if self.growth is None or self.metrics is None:
            return f"rollout raised to {self.rollout}% ({_describe(self.metrics)})"
        return (f"rollout raised to {self.rollout}% (this step: {_describe(self.growth)}; "
                f"{self.metrics.downloaded or 0} downloaded in all)")


@attrs.frozen
class RolloutWaiting(_Model):
    """Waiting on the client's clock until ``until`` before judging ``rollout`` %."""

    until: datetime
    rollout: int
    reason: str = "interval"

    def __str__(self) -> str:
        why = "" if self.reason == "interval" else f" ({self.reason})"
        return f"waiting at {self.rollout}% until {self.until:%Y-%m-%d %H:%M} UTC{why}"


@attrs.frozen
class RolloutBreached(_Model):
    """The gate was breached at ``rollout`` %: by the step's own data (``growth``, its
    counters' gain since the step began) or, with ``growth=None``, by the release's totals
    (``metrics``). ``action`` was taken, unless ``error`` says why it failed (then the run
    raises ``RolloutActionError`` right after)."""

    metrics: UpdateMetrics
    action: BreachAction
    failure_rate: float
    rollout: int
    error: Exception | None = attrs.field(default=None, kw_only=True)
    growth: UpdateMetrics | None = attrs.field(default=None, kw_only=True)

    def __str__(self) -> str:
        done = self.action if self.error is None else (
            f"{self.action} FAILED ({type(self.error).__name__}: {self.error}); "
            f"the release is still live at {self.rollout}%")
        seen = _describe(self.metrics) if self.growth is None else (
            f"this step: {_describe(self.growth)}; in all: {_describe(self.metrics)}")
        return (f"health gate breached at {self.rollout}%: {self.failure_rate:.2%} failed "
                f"({seen}); {done}")


class RolloutActionError(CodePushError):
    """The health gate was breached but its action (rollback or disable) failed, so the
    failing release is still live. ``event`` is the breach with its metrics; the
    server's error is the ``__cause__``."""

    def __init__(self, event: RolloutBreached) -> None:
        assert event.error is not None
        status = event.error.status_code if isinstance(event.error, CodePushError) else None
        super().__init__(str(event), status)
        self.event = event


@attrs.frozen
class RolloutHalted(_Model):
    """The plan stopped without a breach: metrics missing or impossible (the reason names
    the counter), too little new data after ``max_hold``, or a release changed by someone
    else (disabled, rolled back, its rollout changed)."""

    reason: str
    rollout: int
    metrics: UpdateMetrics | None

    def __str__(self) -> str:
        return f"halted at {self.rollout}%: {self.reason}"


@attrs.frozen
class RolloutCompleted(_Model):
    """The release reached the plan's last step (100 %: every device)."""

    label: str
    rollout: int

    def __str__(self) -> str:
        return f"{self.label} completed at {self.rollout}%"


@attrs.frozen
class RolloutSuperseded(_Model):
    """The deployment's current release is no longer ``label`` but ``by``."""

    label: str
    by: str | None

    def __str__(self) -> str:
        return f"{self.label} superseded by {self.by or 'no release'}"


@attrs.frozen
class RolloutCancelled(_Model):
    """The run was asked to stop; the server is left as it is, at ``rollout`` %."""

    label: str
    rollout: int

    def __str__(self) -> str:
        return f"cancelled at {self.rollout}%: the server is left as it is"


RolloutEvent = (
    RolloutStarted
    | RolloutStepped
    | RolloutWaiting
    | RolloutBreached
    | RolloutHalted
    | RolloutCompleted
    | RolloutSuperseded
    | RolloutCancelled
)
"""Any event a rollout run yields; ``str(event)`` says it in one line for a log."""

_EVENT_COLUMNS: tuple[Column, ...] = (
    ("Event", lambda event: type(event).__name__.removeprefix("Rollout")),
    ("Detail", str),
)


@attrs.frozen
class RolloutOutcome(_Model, Displayed):
    """How a plan ended, at what rollout, the metrics that decided it and every event.

    It shows as one line (the events counted), and as a table of its events in a
    notebook, with ``rich`` or through ``table()``.
    """

    status: RolloutStatus
    label: str | None
    rollout: int | None
    metrics: UpdateMetrics | None
    events: tuple[RolloutEvent, ...]
    reason: str = ""

    @classmethod
    def from_events(cls, events: Sequence[RolloutEvent]) -> RolloutOutcome:
        """The outcome a run's events describe (the last one says how it ended)."""
        label = next((e.label for e in events if isinstance(e, RolloutStarted)), None)
        rollout = next(
            (e.rollout for e in reversed(events) if not isinstance(e, RolloutSuperseded)), None
        )
        stepped = [e.metrics for e in events if isinstance(e, RolloutStepped) and e.metrics]
        status, reason, metrics, label = _ending(events[-1], stepped[-1] if stepped else None,
                                                 label)
        return cls(status, label, rollout, metrics, tuple(events), reason)

    def __repr__(self) -> str:
        return call_repr("RolloutOutcome", status=self.status, label=self.label,
                         rollout=self.rollout, reason=self.reason, events=len(self.events))

    def to_records(
        self, *, by_alias: bool = False, mode: Mode = "python"
    ) -> list[dict[str, Any]]:
        """One dict per event, its kind first under ``event`` (``"RolloutStepped"``, ...)."""
        return [
            {"event": type(event).__name__,
             **unstructure(event, by_alias=by_alias, mode=mode)}
            for event in self.events
        ]

    def _table(self) -> Table:
        return make_table(_EVENT_COLUMNS, self.events)


def _ending(
    last: RolloutEvent, metrics: UpdateMetrics | None, label: str | None
) -> tuple[RolloutStatus, str, UpdateMetrics | None, str | None]:
    """Status, reason, deciding metrics and label of a run that ended with ``last``
    (``metrics``: the last step's, ``label``: the release it started on)."""
    status: RolloutStatus
    if isinstance(last, RolloutCompleted):
        status = "completed"
        reason = f"reached {last.rollout}%"
    elif isinstance(last, RolloutBreached):
        status, metrics = _BREACH_STATUS[last.action], last.metrics
        reason = f"failure rate {last.failure_rate:.2%} over the gate at {last.rollout}%"
        if last.growth is not None:
            reason += " on the step's own data"
        if last.error is not None:  # nothing was done: the run stopped, the release is live
            status = "halted"
            reason += f"; {last.action} failed ({type(last.error).__name__}: {last.error})"
    elif isinstance(last, RolloutHalted):
        status, metrics, reason = "halted", last.metrics, last.reason
    elif isinstance(last, RolloutSuperseded):
        status, label = "superseded", last.label
        reason = f"{last.by or 'no release'} is now the current release"
    elif isinstance(last, RolloutCancelled):
        status = "cancelled"
        reason = f"stopped at {last.rollout}%; the server is left as it is"
    else:  # pragma: no cover - run() always ends with one of the above
        raise AssertionError(f"a rollout run ended with {last!r}")
    return status, reason, metrics, label


class _Stop(Exception):
    """Raised inside a run to end it with ``event``."""

    def __init__(self, event: RolloutEvent) -> None:
        self.event = event


class _ActionFailed(Exception):
    """Raised inside a run when a breach's action failed: ``event`` says so."""

    def __init__(self, event: RolloutBreached) -> None:
        self.event = event


_COMMUNITY_REFUSAL = (
    "staged rollouts need the release's rollout as the server holds it, and the "
    "community server always reports 100 (it stores and serves the rollout it is "
    "sent, but never shows it): a run could neither see where it stands nor "
    "resume. Set rollouts with cp.releases.patch(rollout=...) and watch "
    "cp.deployments.metrics instead."
)


def _check_run(plan: object, label: object, stop: object) -> None:
    if not isinstance(plan, RolloutPlan):
        raise ValueError(f"plan must be a RolloutPlan, got {type(plan).__name__}")
    if label is not None and (not isinstance(label, str) or not label):
        raise ValueError(f"label must be a release label such as 'v3', got {label!r}")
    if stop is not None and not isinstance(stop, anyio.Event):
        raise ValueError(f"stop must be an anyio.Event, got {type(stop).__name__}")


class Rollouts:
    """``cp.rollouts``: run a ``RolloutPlan`` on a deployment's current release."""

    def __init__(self, client: ClientAPI) -> None:
        self._cp = client

    def __repr__(self) -> str:
        return f"<Rollouts of {self._cp!r}>"

    async def run(
        self,
        app: str,
        deployment: str,
        plan: RolloutPlan,
        *,
        label: str | None = None,
        stop: anyio.Event | None = None,
    ) -> AsyncIterator[RolloutEvent]:
        """Run ``plan``, yielding each event as it happens; the last one says how it ended.

        Setting ``stop`` ends the run at once with ``RolloutCancelled``; cancelling
        the task (or leaving the loop) does too, with a log line. Either way the server
        keeps the rollout it had: run the plan again to resume from there. A breach whose
        action fails yields its ``RolloutBreached`` (with ``error``), then raises
        ``RolloutActionError``. A release changed by someone else (disabled, rolled
        back, its rollout changed) ends the run ``RolloutHalted`` and a newer release
        ``RolloutSuperseded``, before any write to it. A server that never reports
        rollouts (the community server) raises ``UnsupportedOperationError`` before any
        write.
        """
        _check_run(plan, label, stop)
        package = await self._target(app, deployment, label)
        assert package.label is not None
        if label is not None and label != package.label:
            yield RolloutSuperseded(label, package.label)
            return
        yield RolloutStarted(app, deployment, package.label, package.rollout)
        if package.is_disabled:
            yield RolloutHalted("the release is disabled", package.rollout, None)
            return
        run = _Run(self._cp, app, deployment, package.label, plan, stop, package.rollout)
        try:
            first = await run.first_step()
            if first is not None:
                yield first
            while run.steps:
                yield run.waiting()
                stepped = await run.next_step()
                if stepped is not None:
                    yield stepped
        except _Stop as stopped:
            yield stopped.event
            return
        except _ActionFailed as failed:
            breach = failed.event
        except (GeneratorExit, anyio.get_cancelled_exc_class()):
            run.log_cancelled()
            raise
        except Exception as error:
            run.log_stopped(error)
            raise
        else:
            yield RolloutCompleted(run.label, run.rollout)
            return
        logger.error("rollout of %s/%s %s: %s", app, deployment, run.label, breach)
        yield breach
        raise RolloutActionError(breach) from breach.error

    async def advance(
        self,
        app: str,
        deployment: str,
        plan: RolloutPlan,
        *,
        label: str | None = None,
        stop: anyio.Event | None = None,
    ) -> RolloutOutcome:
        """Run ``plan`` to its end and return the ``RolloutOutcome``."""
        events: list[RolloutEvent] = []
        async for event in self.run(app, deployment, plan, label=label, stop=stop):
            events.append(event)
        return RolloutOutcome.from_events(events)

    async def _target(self, app: str, deployment: str, label: str | None) -> Package:
        """The deployment's current release (``label`` must be in its history); a server
        that never reports rollouts is refused here, before any write."""
        current = (await self._cp.deployments.get(app, deployment)).package
        if current is None or current.label is None:
            raise NotFoundError(f"{app}/{deployment} has no release to roll out")
        if label is not None and label != current.label:
            history = await self._cp.releases.history(app, deployment)
            if not any(package.label == label for package in history):
                raise NotFoundError(f"{app}/{deployment} has no release {label!r}")
        if await self._cp.resolve_flavor() == "community":
            raise UnsupportedOperationError(_COMMUNITY_REFUSAL)
        return current


@attrs.define
class _Run:
    """One run of a plan on release ``label``: where it stands and what it last saw.

    ``baseline`` holds the counters when the current step began (a step is judged on their
    growth since), ``last`` the latest ones read (counters never go down); ``flight``
    names the write in flight, for the log if the run stops during it; ``held`` is how
    long the current step was held for too little data.
    """

    _cp: ClientAPI
    app: str
    deployment: str
    label: str
    plan: RolloutPlan
    stop: anyio.Event | None
    rollout: int  # 100 where the server stores null
    steps: list[int] = attrs.field(init=False)
    baseline: UpdateMetrics = attrs.field(factory=UpdateMetrics)
    last: UpdateMetrics | None = None
    held: float = 0.0
    why: str = "interval"
    flight: list[str] = attrs.field(factory=list)

    def __attrs_post_init__(self) -> None:
        self.steps = [step for step in self.plan.steps if step > self.rollout]  # resume

    async def first_step(self) -> RolloutStepped | None:
        """Read where the release stands (a release already failing is never widened) and,
        below the first step, take it with no data.

        Resumed at the first step, every count is that step's own (the server never
        lowers a rollout); resumed above it, the counts may be earlier steps', so the
        step is judged only on what comes after this read.
        """
        if not self.steps:
            return None
        metrics = await self._read()
        await self._judge_totals(metrics)
        if self.rollout > self.plan.steps[0] and metrics is not None:
            self.baseline = metrics
        if self.rollout >= self.plan.steps[0]:
            return None
        await self._step_up()
        return RolloutStepped(self.rollout, None)

    def waiting(self) -> RolloutWaiting:
        """The wait before the next judgement, and why it is waited for."""
        event = RolloutWaiting(self._until(), self.rollout, self.why)
        self.why = "interval"
        return event

    async def next_step(self) -> RolloutStepped | None:
        """Wait, judge the step's data and step up (``None``: the step is held one more
        wait)."""
        metrics = await self._wait_and_read()
        growth = None
        if metrics is None:
            self._without_metrics()
        else:
            growth = _growth(metrics, self.baseline)
            if not await self._passes(metrics, growth):
                return None
        await self._step_up()
        return RolloutStepped(self.rollout, metrics, growth=growth)

    def _without_metrics(self) -> None:
        """No metrics at all for the release: halt, or advance as the plan allows."""
        if self.plan.on_no_metrics == "halt":
            raise _Stop(RolloutHalted("no metrics", self.rollout, None))
        logger.warning("rollout of %s/%s %s: no metrics; advancing as the plan allows",
                       self.app, self.deployment, self.label)

    async def _passes(self, metrics: UpdateMetrics, growth: UpdateMetrics) -> bool:
        """Whether the step's own data lets the release widen; too little holds the step."""
        plan = self.plan
        rate = plan.gate.failure_rate(growth)
        if rate is not None and rate > plan.gate.max_failure_rate:
            await self._breach(metrics, rate, growth)
        await self._judge_totals(metrics)
        if rate is not None:
            return True
        why, counts = _too_little_data(plan.gate, growth)
        if not plan.interval or (
            plan.max_hold is not None and self.held + plan.interval > plan.max_hold
        ):
            held = f" after holding {_duration(self.held)}" if self.held else ""
            raise _Stop(RolloutHalted(f"{why} {counts}{held}", self.rollout, metrics))
        self.held += plan.interval
        self.why = why
        return False

    async def _step_up(self) -> None:
        self.rollout = await self._raise_to(self.steps.pop(0))
        self.held = 0.0
        if self.steps:  # the next step is judged on what comes after its patch landed
            metrics = await self._read()
            await self._judge_totals(metrics)
            self.baseline = metrics or UpdateMetrics()

    async def _read(self) -> UpdateMetrics | None:
        """The release's counters now (``None``: none reported); impossible ones (the
        reason names the counter) halt the run, whatever the plan says."""
        metrics = (await self._cp.deployments.metrics(self.app, self.deployment)).get(self.label)
        impossible = _impossible(metrics or UpdateMetrics(), self.last)
        if impossible is not None:
            raise _Stop(RolloutHalted(impossible, self.rollout, metrics))
        if metrics is not None:
            self.last = metrics
        return metrics

    async def _judge_totals(self, metrics: UpdateMetrics | None) -> None:
        """The release's totals over the gate breach it, whatever the step."""
        rate = None if metrics is None else self.plan.gate.failure_rate(metrics)
        if metrics is not None and rate is not None and rate > self.plan.gate.max_failure_rate:
            await self._breach(metrics, rate, None)

    async def _breach(
        self, metrics: UpdateMetrics, rate: float, growth: UpdateMetrics | None
    ) -> NoReturn:
        """Take the plan's action on a breach and end the run with it."""
        action = self.plan.on_breach
        try:
            await self._act(action)
        except _Stop:
            raise
        except Exception as error:  # the breach is still reported, with why it stands
            raise _ActionFailed(RolloutBreached(
                metrics, action, rate, self.rollout, error=error, growth=growth)) from error
        raise _Stop(RolloutBreached(metrics, action, rate, self.rollout, growth=growth))

    async def _act(self, action: BreachAction) -> None:
        app, deployment, label = self.app, self.deployment, self.label
        if action == "halt":
            return
        await self._owned()  # a rollback undoes whatever is current: never another's
        if action == "rollback":
            self.flight.append(f"rolling back {label} after a breach")
            await self._cp.releases.rollback(app, deployment)
        else:
            self.flight.append(f"disabling {label} after a breach")
            await self._cp.releases.patch(app, deployment, label, is_disabled=True)
        self.flight.clear()
        logger.warning("rollout of %s/%s %s breached its health gate: %s", app, deployment,
                       label, action)

    async def _owned(self) -> Package:
        """The release as the server holds it now, if the plan still owns it: the run ends
        if another release is current, or someone else disabled it or changed its rollout."""
        current = (await self._cp.deployments.get(self.app, self.deployment)).package
        if current is None or current.label != self.label:
            if current is not None and current.release_method == ReleaseMethod.ROLLBACK:
                raise _Stop(RolloutHalted(
                    f"someone else rolled the deployment back ({current.label} restores "
                    f"{current.original_label})", self.rollout, self.last))
            raise _Stop(RolloutSuperseded(self.label, None if current is None else current.label))
        if current.is_disabled:
            raise _Stop(RolloutHalted("someone else disabled the release", self.rollout,
                                      self.last))
        if current.rollout != self.rollout:
            raise _Stop(RolloutHalted(
                f"someone else changed the rollout from {self.rollout}% to {current.rollout}%",
                current.rollout, self.last))
        return current

    async def _raise_to(self, rollout: int) -> int:
        current = await self._owned()
        self.flight.append(f"raising the rollout from {current.rollout}% to {rollout}%")
        updated = await self._cp.releases.patch(
            self.app, self.deployment, self.label, rollout=rollout
        )
        self.flight.clear()
        landed = rollout if updated is None else updated.rollout
        if landed != rollout:
            raise _Stop(RolloutHalted(
                f"someone else changed the rollout to {landed}% as the plan raised it to "
                f"{rollout}%", landed, self.last))
        return landed

    def _until(self) -> datetime:
        return datetime.fromtimestamp(self._cp.clock.now() + self.plan.interval, tz=timezone.utc)

    async def _wait_and_read(self) -> UpdateMetrics | None:
        await self._sleep(self.plan.interval)
        if self.stop is not None and self.stop.is_set():
            raise _Stop(RolloutCancelled(self.label, self.rollout))
        await self._owned()
        return await self._read()

    async def _sleep(self, seconds: float) -> None:
        stop = self.stop
        if stop is None:
            await self._cp.clock.sleep(seconds)
            return
        async with anyio.create_task_group() as group:

            async def watch() -> None:
                await stop.wait()
                group.cancel_scope.cancel()

            group.start_soon(watch)
            await self._cp.clock.sleep(seconds)
            group.cancel_scope.cancel()

    def log_cancelled(self) -> None:
        """The log line of a run cancelled (or left) while it waited or wrote."""
        if self.flight:  # the write was sent: the server may hold either state
            logger.warning(
                "rollout of %s/%s %s cancelled while %s: the change may have landed; "
                "run the plan again to resume from what the server holds",
                self.app, self.deployment, self.label, self.flight[-1],
            )
        else:
            logger.warning(
                "rollout of %s/%s %s cancelled at %d%%: the server is left as it is; "
                "run the plan again to resume", self.app, self.deployment, self.label,
                self.rollout,
            )

    def log_stopped(self, error: Exception) -> None:
        """The log line of a run stopped by ``error`` (a refusal never landed)."""
        refused = isinstance(error, APIStatusError) and 400 <= error.http_status < 500
        if self.flight and not refused:
            logger.warning("rollout of %s/%s %s stopped by %s while %s: the change may "
                           "have landed; run the plan again to resume from what the "
                           "server holds", self.app, self.deployment, self.label,
                           type(error).__name__, self.flight[-1])
        else:
            logger.warning("rollout of %s/%s %s stopped at %d%% by %s; run the plan "
                           "again to resume", self.app, self.deployment, self.label,
                           self.rollout, type(error).__name__)
