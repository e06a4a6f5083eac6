"""When and how long to retry: the policy value object and the backoff it computes."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable
from typing import Any

import attrs

__all__ = [
    "DEFAULT_RETRY",
    "RETRYABLE_STATUSES",
    "SAFE_WRITE_STATUSES",
    "RetryPolicy",
    "retries_left",
    "retry_wait",
]

RETRYABLE_STATUSES = frozenset({408, 429, 502, 503, 504})
# Statuses proving the server did not act on a write, so resending it is safe.
SAFE_WRITE_STATUSES = frozenset({429, 503})


def _positive(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
    ):
        raise ValueError(
            f"RetryPolicy.{attribute.name} must be a finite number >= 0, got {value!r}"
        )


def _attempts(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"RetryPolicy.{attribute.name} must be an integer >= 1, got {value!r}")


def _fraction(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    _positive(_, attribute, value)
    if value > 1:
        raise ValueError(f"RetryPolicy.{attribute.name} must be from 0 to 1, got {value!r}")


def _statuses(value: Any) -> frozenset[int]:
    """HTTP statuses as a frozenset; a string or a non-status is refused (not split)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ValueError(
            f"RetryPolicy.retry_statuses must be a set of HTTP statuses, got {value!r}"
        )
    statuses = frozenset(value)
    for status in statuses:
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            raise ValueError(
                f"RetryPolicy.retry_statuses must hold HTTP statuses (100-599), got {status!r}"
            )
    return statuses


def _callable(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not callable(value):
        raise ValueError(
            f"RetryPolicy.{attribute.name} must be callable, got {type(value).__name__}"
        )


@attrs.frozen
class RetryPolicy:
    """Exponential backoff with jitter and a cap; server hints (``Retry-After``) win.

    ``max_attempts`` counts the first try. A server-requested wait over ``max_wait``
    seconds is not slept: the error (``RateLimitError`` for a 429) is raised with it.
    ``jitter`` is the fraction of each backoff that is randomised (0 = deterministic).
    """

    max_attempts: int = attrs.field(default=4, validator=_attempts)
    initial_backoff: float = attrs.field(default=0.5, validator=_positive)
    max_backoff: float = attrs.field(default=30.0, validator=_positive)
    multiplier: float = attrs.field(default=2.0, validator=_positive)
    jitter: float = attrs.field(default=0.5, validator=_fraction)
    max_wait: float = attrs.field(default=120.0, validator=_positive)
    retry_statuses: frozenset[int] = attrs.field(default=RETRYABLE_STATUSES, converter=_statuses)
    random: Callable[[], float] = attrs.field(
        default=random.random, repr=False, eq=False, validator=_callable
    )

    def backoff(self, retry_number: int) -> float:
        """Seconds to wait before retry ``retry_number`` (1 for the first retry)."""
        base = min(self.max_backoff, self.initial_backoff * self.multiplier ** (retry_number - 1))
        return base * (1 - self.jitter * self.random())


DEFAULT_RETRY = RetryPolicy()


def retries_left(policy: RetryPolicy | None, attempt: int) -> bool:
    """Whether another attempt may follow attempt number ``attempt`` (1 for the first)."""
    return policy is not None and attempt < policy.max_attempts


def retry_wait(policy: RetryPolicy | None, attempt: int, requested: float | None) -> float | None:
    """Seconds to wait before retrying attempt ``attempt``; ``None``: give up.

    The server's ``requested`` wait wins over backoff, unless it is over ``max_wait``.
    """
    if policy is None or not retries_left(policy, attempt):
        return None
    if requested is None:
        return policy.backoff(attempt)
    return requested if requested <= policy.max_wait else None
