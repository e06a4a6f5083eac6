"""Short reprs and cell formats shared by the models and the tables that show them."""

from __future__ import annotations

from datetime import datetime, timezone

__all__ = ["call_repr", "format_size", "format_time", "format_value", "short_repr"]

Part = str | tuple[str, object] | None


def format_time(value: datetime) -> str:
    """``2026-12-01 21:18 UTC``: minutes are what a person compares."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def format_size(size: int) -> str:
    """``812 B``, ``1.2 KiB``, ``3.4 MiB``."""
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in ("KiB", "MiB", "GiB"):
        value /= 1024
        if value < 1024 or unit == "GiB":
            break
    return f"{value:.1f} {unit}"


def format_value(value: object) -> str:
    """A value as a table cell or repr part: times and sizes readable, ``None`` empty."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, (tuple, list)):
        return ", ".join(map(str, value))
    return str(value)


def short_repr(name: str, *parts: Part) -> str:
    """``<Name a, key value, ...>``, leaving out the parts that are ``None``.

    A part is a plain word or a ``(label, value)`` pair; ``("size", n)`` shows bytes
    readably.
    """
    words: list[str] = []
    for part in parts:
        if isinstance(part, tuple):
            label, value = part
            if value is None:
                continue
            shown = format_size(value) if label == "size" and isinstance(value, int) else (
                format_value(value)
            )
            words.append(f"{label} {shown}")
        elif part is not None:
            words.append(part)
    return f"<{name} {', '.join(words)}>" if words else f"<{name}>"


def call_repr(name: str, **fields: object) -> str:
    """``Name(a='x', n=3)``: a summary in constructor style, leaving out ``None`` fields."""
    shown = ", ".join(f"{key}={value!r}" for key, value in fields.items() if value is not None)
    return f"{name}({shown})"
