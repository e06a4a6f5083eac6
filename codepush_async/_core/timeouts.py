"""Timeouts per phase, and the extra budget an upload gets for its size."""

from __future__ import annotations

import math
from typing import Any

import attrs

__all__ = ["DEFAULT_TIMEOUTS", "Timeouts", "to_timeouts"]


def _seconds(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not _is_seconds(value):
        raise ValueError(
            f"Timeouts.{attribute.name} must be finite seconds > 0 or None, got {value!r}"
        )


def _is_seconds(value: Any) -> bool:
    """A finite number > 0 (NaN and infinity are refused: ``None`` means no limit)."""
    return (
        not isinstance(value, bool)
        and isinstance(value, (int, float))
        and math.isfinite(value)
        and value > 0
    )


@attrs.frozen
class Timeouts:
    """Seconds allowed to connect, to wait for each read or write, and to get a pooled connection.

    ``None`` waits forever. An upload adds ``size / min_upload_rate`` seconds to its
    write and read timeouts, so a big package on a slow link is not cut off.
    """

    connect: float | None = attrs.field(default=10.0, validator=_seconds)
    read: float | None = attrs.field(default=60.0, validator=_seconds)
    write: float | None = attrs.field(default=60.0, validator=_seconds)
    pool: float | None = attrs.field(default=10.0, validator=_seconds)
    min_upload_rate: float = attrs.field(default=100_000.0, validator=_seconds)

    def for_upload(self, size: int) -> Timeouts:
        """These timeouts with the write and read budgets grown for ``size`` bytes."""
        extra = size / self.min_upload_rate
        return attrs.evolve(
            self,
            write=None if self.write is None else self.write + extra,
            read=None if self.read is None else self.read + extra,
        )


DEFAULT_TIMEOUTS = Timeouts()


def to_timeouts(value: Timeouts | float | None) -> Timeouts:
    """Accept a ``Timeouts``, one number of seconds for every phase, or ``None`` (no limit)."""
    if isinstance(value, Timeouts):
        return value
    if value is None:
        return Timeouts(connect=None, read=None, write=None, pool=None)
    if not _is_seconds(value):
        raise ValueError(
            f"timeout must be finite seconds > 0, a Timeouts or None, got {value!r}"
        )
    seconds = float(value)
    return Timeouts(connect=seconds, read=seconds, write=seconds, pool=seconds)
