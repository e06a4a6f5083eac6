"""Argument checks run before any request, so bad input never reaches the server."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

__all__ = [
    "check_access_key",
    "check_bool",
    "check_email",
    "check_name",
    "check_optional_name",
    "check_optional_str",
    "check_path_segment",
    "check_rollout",
    "check_size_limit",
    "check_ttl",
]


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _kind(value: Any) -> str:
    return type(value).__name__


def check_path_segment(value: str, arg: str) -> str:
    """A value that stays one path segment once percent-encoded: not empty, ``.`` or ``..``.

    Every other string is safe, since ``/``, ``%``, ``?`` and ``#`` are percent-encoded;
    dot segments are not, and URL normalisation turns them into another route.
    """
    if value in ("", ".", ".."):
        raise ValueError(
            f"{arg} must not be {value!r}: as a URL path segment it would address another route"
        )
    return value


def check_name(value: Any, arg: str) -> str:
    """A non-empty string naming an app, deployment, key, label or machine.

    Names end up in URL paths, so ``.`` and ``..`` are refused too.
    """
    if not isinstance(value, str):
        raise ValueError(f"{arg} must be a string, got {_kind(value)}")
    if not value.strip():
        raise ValueError(f"{arg} must not be empty")
    if _CONTROL.search(value):
        raise ValueError(f"{arg} must not contain control characters")
    return check_path_segment(value, arg)


def check_optional_name(value: Any, arg: str) -> str | None:
    return None if value is None else check_name(value, arg)


def check_email(value: Any, arg: str = "email") -> str:
    check_name(value, arg)
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain or any(ch.isspace() for ch in value):
        raise ValueError(f"{arg} must be an e-mail address, got {value!r}")
    return str(value)


def check_optional_str(value: Any, arg: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{arg} must be a string or None, got {_kind(value)}")
    return value


def check_bool(value: Any, arg: str) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise ValueError(f"{arg} must be True, False or None, got {value!r}")
    return value


def check_rollout(value: Any, arg: str = "rollout") -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{arg} must be an integer percentage from 1 to 100, got {value!r}")
    if not 1 <= value <= 100:
        raise ValueError(f"{arg} must be from 1 to 100, got {value}")
    return value


def check_ttl(value: Any, arg: str = "ttl", *, allow_zero: bool = False) -> int | None:
    """A time-to-live as milliseconds (the wire unit), from an int of ms or a ``timedelta``."""
    if value is None:
        return None
    if isinstance(value, timedelta):
        millis = round(value.total_seconds() * 1000)
    elif isinstance(value, int) and not isinstance(value, bool):
        millis = value
    else:
        raise ValueError(f"{arg} must be milliseconds (int) or a timedelta, got {_kind(value)}")
    if millis < 0 or (millis == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{arg} must be {bound}, got {millis} ms")
    return millis


_HEADER_SAFE_KEY = re.compile(r"[\x21-\x7e]+")


def check_access_key(value: Any) -> str:
    """A non-empty key of visible ASCII characters (what a header can carry).

    The value itself is never echoed, and no local here holds a plain copy of it.
    """
    if not isinstance(value, str):
        raise ValueError(f"access_key must be a string, got {_kind(value)}")
    if not value:
        raise ValueError("access_key must not be empty")
    if _HEADER_SAFE_KEY.fullmatch(value) is None:
        raise ValueError(
            "access_key must not contain whitespace, control or non-ASCII characters "
            "(it is sent in the Authorization header)"
        )
    return value


def check_size_limit(value: Any, arg: str = "max_package_size") -> int:
    """A positive byte count."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{arg} must be a positive number of bytes, got {value!r}")
    return value
