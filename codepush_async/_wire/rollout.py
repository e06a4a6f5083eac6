"""Whether a device is in a staged rollout: the official server's ``isSelectedForRollout``.

Computed as its JavaScript does, in IEEE doubles: ``hash = (hash << 5) - hash + charCode``
for each UTF-16 code unit, where only the shift wraps to a signed 32-bit integer.
"""

from __future__ import annotations

import math

__all__ = ["is_selected_for_rollout", "rollout_hash"]


def _shift5(value: float) -> int:
    """JavaScript's ``value << 5``: ``value`` to int32 (ToInt32), shifted, wrapped to int32."""
    unsigned = (int(value) << 5) & 0xFFFFFFFF
    return unsigned - (1 << 32) if unsigned >= 1 << 31 else unsigned


def rollout_hash(text: str) -> float:
    """The server's ``getHashCode(text)``."""
    data = text.encode("utf-16-le", "surrogatepass")
    hash_value = 0.0
    for index in range(0, len(data), 2):
        unit = data[index] | data[index + 1] << 8
        hash_value = (_shift5(hash_value) - hash_value) + unit
    return hash_value


def is_selected_for_rollout(client_id: str, rollout: int, release_tag: str) -> bool:
    """Whether ``client_id`` gets a release at ``rollout`` percent tagged ``release_tag``
    (its label, or its package hash when it has none)."""
    return math.fmod(abs(rollout_hash(f"{client_id}-{release_tag}")), 100) < rollout
