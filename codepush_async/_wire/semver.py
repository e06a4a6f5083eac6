"""The node-semver range grammar the server checks ``appVersion`` against.

Only validation: ranges are never evaluated here.

Why not the PyPI ``node-semver`` port (0.9.1): on this module's 37 test vectors
(tests/test_semver.py) it accepts 4 that the SDK refuses before sending: ``""``, ``"   "``,
``"1.2.3 ||"`` and ``"|| 1.0"`` (an empty alternative, which node-semver 7 on the server
reads as ``*``: every app version, almost always a typo). Its range parser also follows
node-semver 5, not the server's 7 (see ``codepush_async.emulator._semver``). A strict
grammar check is 40 lines of regular expressions; a dependency would not remove them.
"""

from __future__ import annotations

import re

__all__ = ["as_server_reads", "is_device_version", "is_valid_range"]

_NR = r"(?:0|[1-9]\d*)"
_X = r"[xX*]"
_XR = rf"(?:{_X}|{_NR})"
# A numeric prerelease identifier has no leading zero (``1.2.3-01`` is refused).
_PRE_ID = r"(?:\d*[A-Za-z-][0-9A-Za-z-]*|0|[1-9]\d*)"
_BUILD_ID = r"[0-9A-Za-z-]+"
_QUALIFIER = rf"(?:-{_PRE_ID}(?:\.{_PRE_ID})*)?(?:\+{_BUILD_ID}(?:\.{_BUILD_ID})*)?"
# Once a part is a wildcard, the rest are too (``1.x.2`` is refused).
_PARTIAL = (
    rf"v?(?:{_NR}(?:\.{_NR}(?:\.{_XR}{_QUALIFIER})?|\.{_X}(?:\.{_X}{_QUALIFIER})?)?"
    rf"|{_X}(?:\.{_X}(?:\.{_X}{_QUALIFIER})?)?)"
)
_HYPHEN = re.compile(rf"\s*({_PARTIAL})\s+-\s+({_PARTIAL})\s*", re.ASCII)
_TOKEN = re.compile(rf"(?:(?:<=|>=|<|>|~>|~|\^)=?|=)?\s*{_PARTIAL}", re.ASCII)


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
    # node reads \d as ASCII digits only; its \s and trim() would take a pasted no-break or
    # ideographic space as a separator, but such a range is far likelier a mistake: refused.
    if not value.isascii() or not value.strip():
        return False
    for alternative in value.split("||"):
        if _HYPHEN.fullmatch(alternative) is None and not _valid_simple_list(alternative):
            return False
    return True


# node-semver's ``valid``: a full version (``v`` allowed), at most 256 characters, each
# number at most 2**53 - 1.
_FULL = re.compile(rf"v?({_NR})\.({_NR})\.({_NR}){_QUALIFIER}", re.ASCII)
_PLAIN_NUMBER = re.compile(r"\d+", re.ASCII)
_NO_PATCH = re.compile(r"(\d+\.\d+)([+-].*)?", re.ASCII)
_MAX_SAFE_INTEGER = 2**53 - 1


def as_server_reads(version: str) -> str:
    """``version`` as the update check rewrites it: ``2`` -> ``2.0.0``, ``2.0-b`` -> ``2.0.0-b``."""
    if _PLAIN_NUMBER.fullmatch(version):
        return version + ".0.0"
    match = _NO_PATCH.fullmatch(version)
    return version if match is None else f"{match[1]}.0{match[2] or ''}"


def is_device_version(value: str) -> bool:
    """Whether the update check takes ``value`` as a binary's version (not a range)."""
    full = _FULL.fullmatch(as_server_reads(value))
    return (
        full is not None and len(value) <= 256
        and all(int(part) <= _MAX_SAFE_INTEGER for part in full.groups())
    )
