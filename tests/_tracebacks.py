"""Where a secret shows in what traceback renderers print (``pytest --showlocals``, rich,
Sentry): every exception of the chain (causes, contexts even when suppressed, group
members), its ``str``, ``repr``, ``args`` and notes, and every local of every frame, as
``repr()`` and as rich's pretty printer shows it (which cuts long strings by slicing)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.pretty import pretty_repr

TESTS = str(Path(__file__).resolve().parent)
WINDOW = 16


def chain(error: BaseException) -> list[BaseException]:
    """``error`` and every exception reachable from it."""
    found: list[BaseException] = []
    todo: list[BaseException | None] = [error]
    while todo:
        exc = todo.pop()
        if exc is None or any(exc is seen for seen in found):
            continue
        found.append(exc)
        todo += [exc.__cause__, exc.__context__, *getattr(exc, "exceptions", ())]
    return found


def _renderings(value: Any) -> Iterator[str]:
    for render in (repr, lambda v: pretty_repr(v, max_string=80)):
        try:
            yield render(value)
        except Exception as error:
            yield f"<{type(error).__name__}>"


def _sdk_frames(error: BaseException) -> Iterator[Any]:
    """The frames the exception passed through, except the test's own (the caller's)."""
    tb = error.__traceback__
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(TESTS):
            yield tb.tb_frame
        tb = tb.tb_next


def shown(error: BaseException) -> Iterator[tuple[str, str]]:
    """``(where, text)`` for everything a renderer of ``error`` may print."""
    for exc in chain(error):
        name = type(exc).__name__
        yield f"{name} str", str(exc)
        yield f"{name} repr", repr(exc)
        yield f"{name} args", repr(exc.args)
        yield f"{name} notes", repr(getattr(exc, "__notes__", ()))
        for frame in _sdk_frames(exc):
            where = f"{name} <- {frame.f_code.co_qualname}"
            for local, value in frame.f_locals.items():
                for text in _renderings(value):
                    yield f"{where}: {local}", text


def needles(secret: str | bytes) -> list[str]:
    """The secret and, for long ones, every 16-character window of its lines (a PEM key's
    base64 lines; its armour is not secret), so a cut or partial copy is found too."""
    text = secret.decode("latin-1") if isinstance(secret, bytes) else secret
    lines = [line for line in text.splitlines() if line and not line.startswith("-----")]
    windows = [
        line[i:i + WINDOW] for line in lines for i in range(0, len(line) - WINDOW + 1, WINDOW)
    ]
    return [text.strip(), *windows]


def leaks(error: BaseException, *secrets: str | bytes) -> list[str]:
    """Where any of ``secrets`` (or a piece of one) shows; empty when none does."""
    found = []
    wanted = [needle for secret in secrets for needle in needles(secret)]
    for where, text in shown(error):
        if any(needle in text for needle in wanted):
            found.append(where)
    return sorted(set(found))


def frames_seen(error: BaseException) -> set[str]:
    """The names of the SDK frames the chain passed through (to show a test reached them)."""
    return {frame.f_code.co_qualname for exc in chain(error) for frame in _sdk_frames(exc)}
