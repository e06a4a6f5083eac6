"""Parameter types the commands share: durations, rollout steps and percentages."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Any, TypeVar

import click

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3  # finished with failed items, or a breached / halted rollout

_UNITS = {"d": 86400, "h": 3600, "m": 60, "min": 60, "s": 1, "ms": 0.001}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|min|d|h|m|s)")

PERCENT = click.IntRange(1, 100)
"""A rollout percentage: 1 to 100."""

F = TypeVar("F", bound=Callable[..., Any])


def parse_duration(text: str) -> float:
    """Seconds from ``"90"``, ``"90s"``, ``"15m"``, ``"2h"``, ``"1h30m"`` or ``"1d"``."""
    text = text.strip().lower()
    try:
        seconds = float(text)
    except ValueError:
        parts = _PART.findall(text)
        if not parts or "".join(number + unit for number, unit in parts) != text:
            raise ValueError(
                f"{text!r} is not a duration such as 90s, 15m, 2h or 1h30m"
            ) from None
        seconds = sum(float(number) * _UNITS[unit] for number, unit in parts)
    if not seconds >= 0 or seconds == float("inf"):
        raise ValueError(f"{text!r} is not a duration >= 0")
    return seconds


class Duration(click.ParamType):  # type: ignore[type-arg, unused-ignore]
    """A duration in seconds, written ``90s``, ``15m``, ``2h``, ``1h30m`` (plain: seconds)."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> float:
        if isinstance(value, float):
            return value
        try:
            return parse_duration(str(value))
        except ValueError as error:
            self.fail(str(error), param, ctx)


class Steps(click.ParamType):  # type: ignore[type-arg, unused-ignore]
    """Rollout percentages, strictly increasing, from 1 to 100: ``5,25,50,100``."""

    name = "steps"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> tuple[int, ...]:
        if isinstance(value, tuple):
            return value
        try:
            steps = tuple(int(part) for part in str(value).split(","))
        except ValueError:
            self.fail(f"{value!r} is not a comma-separated list of percentages", param, ctx)
        if not all(1 <= step <= 100 for step in steps):
            self.fail(f"each step must be from 1 to 100, got {value!r}", param, ctx)
        if any(b <= a for a, b in itertools.pairwise(steps)):
            self.fail(f"steps must increase strictly, got {value!r}", param, ctx)
        return steps


class Rate(click.ParamType):  # type: ignore[type-arg, unused-ignore]
    """A failure rate from 0 to 1 (``0.02``), or a percentage (``2%``)."""

    name = "rate"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> float:
        if isinstance(value, float):
            return value
        text = str(value).strip()
        try:
            rate = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            self.fail(f"{value!r} is not a rate such as 0.02 or 2%", param, ctx)
        if not 0 <= rate <= 1:
            self.fail(f"a rate is from 0 to 1 (0% to 100%), got {value!r}", param, ctx)
        return rate


def release_options(function: F) -> F:
    """The options a release carries (release, promote, patch, and their bulk forms)."""
    for option in reversed((
        click.option("--description", help="The release's description."),
        click.option("--mandatory/--optional", "is_mandatory", default=None,
                     help="Whether devices must install it."),
        click.option("--disabled/--enabled", "is_disabled", default=None,
                     help="A disabled release is offered to no device."),
        click.option("--rollout", type=PERCENT, help="The percentage of devices offered it."),
    )):
        function = option(function)
    return function
