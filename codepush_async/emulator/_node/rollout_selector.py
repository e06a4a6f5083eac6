"""The official server's rollout selection (``utils/rollout-selector.ts``), computed as its
JavaScript computes it: ``hash = (hash << 5) - hash + charCode`` over UTF-16 code units, where
only the shift wraps to 32 bits and the sum is a double (so long ids drift past 2**31)."""

from __future__ import annotations

import math
import struct

DELIMITER = "-"
_TWO_32 = 1 << 32


def _to_int32(value: float) -> int:
    """JavaScript's ``ToInt32`` of an integral double."""
    wrapped = int(value) % _TWO_32
    return wrapped - _TWO_32 if wrapped >= 1 << 31 else wrapped


def utf16_units(text: str) -> tuple[int, ...]:
    """``text.charCodeAt(i)`` for every ``i`` (a lone surrogate is its own unit)."""
    data = text.encode("utf-16-le", "surrogatepass")
    return struct.unpack(f"<{len(data) // 2}H", data)


def hash_code(text: str) -> float:
    """``getHashCode(text)``: a JavaScript number (a double, integral)."""
    value = 0.0
    for unit in utf16_units(text):
        value = float(_to_int32(_to_int32(value) << 5)) - value + unit
    return value


def is_selected_for_rollout(client_id: str, rollout: float, release_tag: str) -> bool:
    """Whether a device with ``client_id`` gets a release at ``rollout`` percent tagged
    ``release_tag`` (its label, else its package hash)."""
    return math.fmod(abs(hash_code(client_id + DELIMITER + release_tag)), 100.0) < rollout
