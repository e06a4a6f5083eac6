"""An in-memory CodePush management server (classic and /api/v1 dialects) for tests and dev.

    emu = CodePushEmulator(clock=ManualClock())
    key = emu.create_account("me@example.com")
    async with httpx.AsyncClient(transport=emu.transport, base_url="http://emulator") as c:
        await c.get("/apps", headers={"Authorization": f"Bearer {key}"})

    emu.fail_next(503)                    # canned answer, handler not run
    emu.drop_next(after_handler=True)     # server acts, client gets RemoteProtocolError
    emu.delay_next(30)                    # beyond the read timeout: httpx.ReadTimeout at once
    emu.requests                          # the recent requests received, with their fate

``python -m codepush_async.emulator --port 3000`` serves it on 127.0.0.1 with a ready key.
Needs the ``emulator`` extra (starlette, python-multipart, uvicorn). Public names load lazily so
that importing this package (e.g. through the pytest plugin) never requires those extras.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._clock import Clock, ManualClock, system_clock
    from ._emulator import CodePushEmulator
    from ._faults import FaultKind, FaultRule
    from ._hash import package_hash
    from ._middleware import RecordedRequest

__all__ = [
    "Clock",
    "CodePushEmulator",
    "FaultKind",
    "FaultRule",
    "ManualClock",
    "RecordedRequest",
    "package_hash",
    "system_clock",
]

_LOCATIONS = {
    "Clock": "._clock",
    "ManualClock": "._clock",
    "system_clock": "._clock",
    "CodePushEmulator": "._emulator",
    "FaultKind": "._faults",
    "FaultRule": "._faults",
    "package_hash": "._hash",
    "RecordedRequest": "._middleware",
}


def __getattr__(name: str) -> Any:
    module = _LOCATIONS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
