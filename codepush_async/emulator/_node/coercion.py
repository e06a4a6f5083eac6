"""JavaScript coercions the official (Node.js) server applies implicitly to request values."""

from __future__ import annotations

import math
import re

_LEADING_INT = re.compile(r"^\s*([+-]?\d+)")
# JavaScript's whitespace: what its ``\s`` and ``String.prototype.trim`` match. Python's
# differs both ways (it adds U+001C..U+001F and U+0085, and lacks U+FEFF).
JS_WHITESPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)


def js_string(value: object) -> str:
    """``String(value)`` for JSON-decoded values."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ",".join("" if item is None else js_string(item) for item in value)
    return "[object Object]"


def js_trim(text: str) -> str:
    """``String.prototype.trim``: strip JavaScript's whitespace, not Python's."""
    return text.strip(JS_WHITESPACE)


def js_parse_int(value: object) -> int | None:
    """``parseInt(value, 10)``; None stands for NaN."""
    if isinstance(value, float) and math.isfinite(value) and abs(value) < 1e21:
        return int(value)
    match = _LEADING_INT.match(js_string(value))
    return int(match.group(1)) if match else None


def js_len(text: str) -> int:
    """``text.length``: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def js_sort_key(text: str) -> bytes:
    """Key giving JavaScript's default ``sort()`` order (UTF-16 code units)."""
    return text.encode("utf-16-be", "surrogatepass")


def locale_key(text: str) -> tuple[str, str]:
    """An approximation of ``localeCompare`` order: case-insensitive, lower case first."""
    return (text.casefold(), text.swapcase())


def js_truthy(value: object) -> bool:
    """JavaScript truthiness of a JSON-decoded value."""
    if value is None or value is False:
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value == value and value != 0
    if isinstance(value, str):
        return value != ""
    return True
