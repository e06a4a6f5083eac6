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
    from ._middleware import RecordedRequest
    from ._node.package_hash import package_hash

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
    "package_hash": "._node.package_hash",
    "RecordedRequest": "._middleware",
}


# The modules of the ``emulator`` extra (python-multipart imports as ``multipart``).
EXTRA_MODULES = frozenset({"starlette", "multipart", "python_multipart", "uvicorn"})


def _is_extra(exc: ModuleNotFoundError) -> bool:
    return (exc.name or "").partition(".")[0] in EXTRA_MODULES


def missing_extra_message(what: str, module: str | None) -> str:
    """What to install when ``what`` needs the ``emulator`` extra and ``module`` is missing."""
    top = (module or "").partition(".")[0]
    return (
        f"{what} needs the 'emulator' extra (starlette, python-multipart, uvicorn; "
        f"{top!r} is not installed): install codepush-async with it, e.g. "
        "`pip install -e '.[emulator]'` in a checkout or "
        "`pip install 'codepush_async-<version>-py3-none-any.whl[emulator]'` for a wheel"
    )


def require_extra(what: str) -> None:
    """Raise ``ModuleNotFoundError`` saying which extra to install, if it is missing."""
    try:
        for module in ("starlette", "uvicorn"):
            importlib.import_module(module)
        try:
            importlib.import_module("python_multipart")
        except ModuleNotFoundError:
            importlib.import_module("multipart")  # python-multipart before 0.0.13
    except ModuleNotFoundError as exc:
        if not _is_extra(exc):
            raise
        raise ModuleNotFoundError(missing_extra_message(what, exc.name), name=exc.name) from exc


def __getattr__(name: str) -> Any:
    module = _LOCATIONS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        imported = importlib.import_module(module, __name__)
    except ModuleNotFoundError as exc:
        if not _is_extra(exc):
            raise
        message = missing_extra_message(f"codepush_async.emulator.{name}", exc.name)
        raise ModuleNotFoundError(message, name=exc.name) from exc
    value = getattr(imported, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
