"""``rollout run`` (a health-gated staged rollout) and ``bulk`` (many apps at once)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from codepush_async import (
    AsyncCodePush,
    BulkResult,
    HealthGate,
    ItemResult,
    RolloutEvent,
    RolloutOutcome,
    RolloutPlan,
)

from .base import command, emit
from .output import progress, write_json
from .params import EXIT_INCOMPLETE, Duration, Rate, Steps, release_options
from .session import Session

F = TypeVar("F", bound=Callable[..., Any])


@click.group("rollout")
def rollout_group() -> None:
    """Health-gated staged rollouts."""


@command("run", rollout_group)
@click.argument("app")
@click.argument("deployment")
@click.option("--steps", type=Steps(), default="5,25,50,100", show_default=True,
              help="Rollout percentages to go through, strictly increasing.")
@click.option("--interval", type=Duration(), default="1h", show_default=True,
              help="The wait at each step before judging it: 90s, 15m, 2h ...")
@click.option("--max-failure-rate", type=Rate(), default="0.02", show_default=True,
              help="Failed installs over installs+failures that breach the gate.")
@click.option("--min-downloads", type=click.IntRange(min=0), default=100, show_default=True,
              help="New downloads a step needs before it is judged.")
@click.option("--on-breach", type=click.Choice(["rollback", "disable", "halt"]),
              default="rollback", show_default=True, help="What a breach does.")
@click.option("--on-no-metrics", type=click.Choice(["halt", "advance"]), default="halt",
              show_default=True, help="What a server without metrics does.")
@click.option("--max-hold", type=Duration(),
              help="How long a step with too little data is held before halting.")
@click.option("--label", help="The release to roll out (default: the current one).")
def rollout_run(session: Session, app: str, deployment: str, steps: tuple[int, ...],
                interval: float, max_failure_rate: float, min_downloads: int, on_breach: Any,
                on_no_metrics: Any, max_hold: float | None, label: str | None) -> None:
    """Widen APP/DEPLOYMENT's current release step by step while its installs stay
    healthy; each event is printed as it happens (a JSON line with --json).

    Exits 0 once completed, 3 when breached, halted or superseded.
    """
    plan = RolloutPlan(steps, interval, HealthGate(max_failure_rate, min_downloads),
                       on_breach, on_no_metrics, max_hold=max_hold)
    outcome = session.run(lambda cp: _watch(session, cp, app, deployment, plan, label))
    if session.as_json:
        write_json({"outcome": outcome.status, "label": outcome.label,
                    "rollout": outcome.rollout, "reason": outcome.reason}, indent=None)
    else:
        click.echo(f"{outcome.status}: {outcome.reason}")
    if outcome.status != "completed":
        raise click.exceptions.Exit(EXIT_INCOMPLETE)


async def _watch(session: Session, cp: AsyncCodePush, app: str, deployment: str,
                 plan: RolloutPlan, label: str | None) -> RolloutOutcome:
    """Run ``plan``, printing each event as it comes; the outcome its events describe."""
    events: list[RolloutEvent] = []
    with progress(f"rollout of {app}/{deployment}", enabled=session.progress) as advance:
        async for event in cp.rollouts.run(app, deployment, plan, label=label):
            events.append(event)
            _print_event(session, event)
            rollout = getattr(event, "rollout", None)
            if rollout is not None:
                advance(rollout, 100)
    return RolloutOutcome.from_events(events)


def _print_event(session: Session, event: RolloutEvent) -> None:
    if session.as_json:
        write_json({"event": type(event).__name__, **event.to_dict(mode="json")}, indent=None)
    else:
        click.echo(str(event))


@click.group("bulk")
def bulk_group() -> None:
    """Promote, patch or roll back many apps at once (chosen by a name pattern)."""


def bulk_options(function: F) -> F:
    for option in reversed((
        click.option("--apps", "pattern", required=True, metavar="PATTERN",
                     help="The apps, by an fnmatch pattern on their names: 'shop-*'."),
        click.option("--dry-run", is_flag=True, help="Say what would be done; change nothing."),
        click.option("--concurrency", type=click.IntRange(1, 64), default=8,
                      show_default=True, help="Apps worked on at once."),
    )):
        function = option(function)
    return function


def _bulk(session: Session, pattern: str, deployment: str,
          call: Callable[[AsyncCodePush, list[Any], Callable[[ItemResult], None]], Any]) -> None:
    """Choose the apps, run ``call`` on them with a progress bar, and print the items;
    exit 3 when any failed."""

    async def work(cp: AsyncCodePush) -> BulkResult:
        targets = await cp.bulk.targets(pattern, deployment)
        with progress(f"{len(targets)} apps", enabled=session.progress) as advance:
            settled: list[ItemResult] = []

            def on_item(item: ItemResult) -> None:
                settled.append(item)
                advance(len(settled), len(targets))

            result: BulkResult = await call(cp, targets, on_item)
        return result

    result = session.run(work)
    counts = {status: len(getattr(result, status))
              for status in ("done", "skipped", "failed", "planned")}
    emit(session, {"operation": result.operation, **counts,
                   "items": result.to_records(mode="json")},
         None if session.as_json else f"{result.table()}\n{_summary(counts)}")
    if result.failed:
        raise click.exceptions.Exit(EXIT_INCOMPLETE)


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{count} {status}" for status, count in counts.items() if count)


@command("promote", bulk_group)
@click.argument("source")
@click.argument("destination")
@bulk_options
@click.option("--label", help="The source's release to promote (default: its latest).")
@release_options
def bulk_promote(session: Session, source: str, destination: str, pattern: str,
                 dry_run: bool, concurrency: int, **options: Any) -> None:
    """Promote SOURCE to DESTINATION in every chosen app."""
    _bulk(session, pattern, destination, lambda cp, targets, on_item: cp.bulk.promote(
        targets, source, destination, concurrency=concurrency, dry_run=dry_run,
        on_item=on_item, **options))


@command("patch", bulk_group)
@click.argument("deployment")
@bulk_options
@click.option("--label", help="The release to change (default: each app's latest).")
@release_options
def bulk_patch(session: Session, deployment: str, pattern: str, dry_run: bool,
               concurrency: int, label: str | None, **options: Any) -> None:
    """Change DEPLOYMENT's release in every chosen app."""
    if all(value is None for value in options.values()):
        raise click.UsageError("nothing to change: give at least one of --rollout, "
                               "--disabled/--enabled, --mandatory/--optional, --description")
    _bulk(session, pattern, deployment, lambda cp, targets, on_item: cp.bulk.patch(
        targets, deployment, label=label, concurrency=concurrency, dry_run=dry_run,
        on_item=on_item, **options))


@command("rollback", bulk_group)
@click.argument("deployment")
@bulk_options
@click.option("--target-release", help="The label to restore (default: the previous).")
def bulk_rollback(session: Session, deployment: str, pattern: str, dry_run: bool,
                  concurrency: int, target_release: str | None) -> None:
    """Roll DEPLOYMENT back in every chosen app (never twice on a re-run)."""
    _bulk(session, pattern, deployment, lambda cp, targets, on_item: cp.bulk.rollback(
        targets, deployment, target_release=target_release, concurrency=concurrency,
        dry_run=dry_run, on_item=on_item))


def register(cli: click.Group) -> None:
    cli.add_command(rollout_group)
    cli.add_command(bulk_group)
