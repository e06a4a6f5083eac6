"""The caller's extra ``headers=``: checked once, merged under the SDK's own.

Headers that carry the credentials, describe the body or route the request are the
SDK's to set; a caller's copy would be sent twice or silently replace ours, so it is
refused. ``User-Agent`` may be replaced (a product name for the server's logs).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["RESERVED_HEADERS", "check_headers", "merge_headers"]

RESERVED_HEADERS = frozenset({
    "accept",
    "authorization",
    "content-encoding",
    "content-length",
    "content-type",
    "host",
    "transfer-encoding",
    "x-codepush-sdk-version",
})

# RFC 9110 token characters; values: visible ASCII, spaces and tabs inside, no CR/LF/NUL.
_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_VALUE = re.compile(r"(?:[\x21-\x7e](?:[\x20\x09\x21-\x7e]*[\x21-\x7e])?)?")


def check_headers(value: Any) -> dict[str, str]:
    """``headers=`` as a dict, or a ``TypeError``/``ValueError`` naming ``headers``."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"headers must be a mapping of str to str, got {type(value).__name__}")
    checked: dict[str, str] = {}
    seen: set[str] = set()
    for name, text in value.items():
        if not isinstance(name, str):
            raise TypeError(f"headers keys must be str, got {type(name).__name__}")
        if _NAME.fullmatch(name) is None:
            raise ValueError(
                f"headers has an invalid header name {name!r} (letters, digits and "
                "!#$%&'*+-.^_`|~ only; no spaces, colons or control characters)"
            )
        if not isinstance(text, str):
            raise TypeError(f"headers[{name!r}] must be a str, got {type(text).__name__}")
        if _VALUE.fullmatch(text) is None:
            raise ValueError(
                f"headers[{name!r}] must be visible ASCII with inner spaces only "
                "(no CR, LF or other control characters, no leading or trailing space)"
            )
        lower = name.lower()
        if lower in RESERVED_HEADERS:
            raise ValueError(
                f"headers must not set {name!r}: the SDK sets it for every request"
            )
        if lower in seen:
            raise ValueError(f"headers names {name!r} twice (header names ignore case)")
        seen.add(lower)
        checked[name] = text
    return checked


def merge_headers(caller: Mapping[str, str], ours: Mapping[str, str]) -> dict[str, str]:
    """``ours`` with the caller's extras; a caller's ``User-Agent`` replaces ours."""
    names = {name.lower() for name in caller}
    merged = {k: v for k, v in ours.items() if k.lower() not in names}
    return {**caller, **merged}
