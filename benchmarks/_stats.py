"""Median and spread of interleaved rounds, printed the same way by every benchmark."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def spread(values: Sequence[float]) -> str:
    """``median [p10..p90]`` (the middle 80 % of rounds) with three decimals."""
    ordered = sorted(values)
    low = ordered[int(0.1 * (len(ordered) - 1))]
    high = ordered[round(0.9 * (len(ordered) - 1))]
    return f"{statistics.median(ordered):.3f} [{low:.3f}..{high:.3f}]"


def verdict(ratio: float, target: float, *, at_most: bool = True) -> str:
    met = ratio <= target if at_most else ratio >= target
    sign = "<=" if at_most else ">="
    return f"target {sign} {target:g}x: {'met' if met else 'MISSED'}"
