"""What a response's headers say about time: the server's clock (``Date``), how long to
wait (``Retry-After``) and the rate-limit window (``X-RateLimit-*``)."""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping

__all__ = [
    "MAX_HINT_SECONDS",
    "header_int",
    "parse_retry_after",
    "reset_delay",
    "reset_epoch",
    "server_now",
]

# Server hints further ahead than this are not believed (rate-limit windows are minutes);
# Retry-After is clamped to it, an X-RateLimit-Reset beyond it is ignored.
MAX_HINT_SECONDS = 86_400.0


def _header_float(headers: Mapping[str, str], name: str) -> float | None:
    """A finite number from header ``name``; ``None`` if absent, not a number, NaN or inf."""
    text = headers.get(name)  # absent is the usual case: no exception raised for it
    if text is None:
        return None
    try:
        value = float(text)
    except (ValueError, TypeError):
        return None
    return value if math.isfinite(value) else None


def header_int(headers: Mapping[str, str], name: str) -> int | None:
    """A whole number from header ``name`` (``None`` if absent or not a finite number)."""
    value = _header_float(headers, name)
    return None if value is None else int(value)


@functools.lru_cache(maxsize=8)
def _http_date(value: str) -> float | None:
    """Epoch seconds of an HTTP date (cached: a server repeats one for a whole second)."""
    from email.utils import parsedate_to_datetime  # here: it imports socket, rarely needed

    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError, OSError):
        return None


def server_now(headers: Mapping[str, str], now: float) -> float:
    """The server's clock per its ``Date`` header, else ours."""
    when = _http_date(headers["date"]) if "date" in headers else None
    return now if when is None else when


def reset_epoch(headers: Mapping[str, str], server: float) -> float | None:
    """``X-RateLimit-Reset`` as epoch seconds, read as seconds or else as milliseconds, and
    believed only where it lands within a day of the server's time."""
    reset = _header_float(headers, "x-ratelimit-reset")
    if reset is None:
        return None
    for epoch in (reset, reset / 1000):
        if abs(epoch - server) <= MAX_HINT_SECONDS:
            return epoch
    return None


def reset_delay(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds until the rate-limit window resets; ``None`` without a believable hint."""
    server = server_now(headers, now)
    reset = reset_epoch(headers, server)
    return None if reset is None else max(0.0, reset - server)


def parse_retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds to wait per ``Retry-After`` (seconds or HTTP-date), else ``X-RateLimit-Reset``.

    Always finite: a hint of years is clamped to a day (longer than any ``max_wait``).
    """
    value = headers.get("retry-after")
    if value is not None:
        try:
            seconds: float | None = float(value)
        except ValueError:
            when = _http_date(value)
            seconds = None if when is None else when - server_now(headers, now)
        if seconds is not None and not math.isnan(seconds):
            return min(max(0.0, seconds), MAX_HINT_SECONDS)
    return reset_delay(headers, now)
