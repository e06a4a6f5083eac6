"""The node-semver range grammar the server checks ``appVersion`` against.

Only validation: ranges are never evaluated here.
"""

from __future__ import annotations

import re

__all__ = ["is_valid_range"]

_NR = r"(?:0|[1-9]\d*)"
_XR = rf"(?:[xX*]|{_NR})"
_PART = r"(?:[0-9A-Za-z-]+)"
_QUALIFIER = rf"(?:-{_PART}(?:\.{_PART})*)?(?:\+{_PART}(?:\.{_PART})*)?"
_PARTIAL = rf"v?{_XR}(?:\.{_XR}(?:\.{_XR}{_QUALIFIER})?)?"
_COMPARATOR = re.compile(rf"(?:<=|>=|<|>|=|~>|~|\^)?\s*=?\s*{_PARTIAL}")
_HYPHEN = re.compile(rf"\s*({_PARTIAL})\s+-\s+({_PARTIAL})\s*")
_TOKEN = re.compile(rf"(?:<=|>=|<|>|=|~>|~|\^)\s*=?\s*{_PARTIAL}|=?{_PARTIAL}")


def _valid_simple_list(text: str) -> bool:
    position = 0
    text = text.strip()
    if not text:
        return False
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            return False
        position = match.end()
        if position < len(text):
            if not text[position].isspace():
                return False
            while position < len(text) and text[position].isspace():
                position += 1
    return True


def is_valid_range(value: str) -> bool:
    """Whether ``value`` is a non-empty semver range: ``1.2.3``, ``1.x``, ``^1.2``, ``>=1 <2``..."""
    if not value.strip():
        return False
    for alternative in value.split("||"):
        if _HYPHEN.fullmatch(alternative) is None and not _valid_simple_list(alternative):
            return False
    return True
