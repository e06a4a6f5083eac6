"""What the commands print: one JSON document (or JSON lines), rich tables, error lines
and progress bars (on stderr, only when it is a terminal)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import click
from rich.console import Console
from rich.progress import Progress

from codepush_async import ModelList, ModelMap


def to_json(value: Any) -> Any:
    """``value`` as JSON-safe data: models by ``to_dict(mode="json")``, lists of models as
    records, maps of models as a dict of their dicts."""
    if isinstance(value, ModelMap):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, ModelList):
        return value.to_records(mode="json")
    if hasattr(value, "to_dict"):
        return value.to_dict(mode="json")
    if isinstance(value, Mapping):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    return value


def write_json(value: Any, *, indent: int | None = 2) -> None:
    """One JSON document (or, with ``indent=None``, one JSON line) on stdout, flushed."""
    click.echo(json.dumps(to_json(value), indent=indent, sort_keys=False))
    sys.stdout.flush()


def show(value: Any) -> None:
    """``value`` for a human: a table for models and lists of them, else the text."""
    # Piped or in a CI log, no cell is cut to fit 80 columns (a deployment key must survive).
    console = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 240)
    if isinstance(value, (ModelList, ModelMap)):
        if not value:
            click.echo("(none)")
            return
        console.print(value)
    elif hasattr(value, "to_dict"):
        console.print(ModelList([value]))
    elif isinstance(value, Mapping):
        click.echo(_key_values(value))
    else:
        click.echo(str(value))


def _key_values(value: Mapping[str, Any]) -> str:
    return "\n".join(f"{key}: {item}" for key, item in value.items())


def error_line(error: BaseException, *, as_json: bool) -> None:
    """The error as one line on stderr: ``Class: message (status)``, or the JSON object
    ``{"error", "message", "status_code"}``."""
    name = type(error).__name__
    message = str(error).replace("\n", " ")
    status = getattr(error, "status_code", None)
    if as_json:
        document = {"error": name, "message": message, "status_code": status}
        click.echo(json.dumps(document), err=True)
    else:
        shown = f" (status {status})" if status is not None else ""
        click.echo(f"error: {name}: {message}{shown}", err=True)


Advance = Callable[[float, "float | None"], None]


@contextmanager
def progress(description: str, *, enabled: bool) -> Iterator[Advance]:
    """A progress bar on stderr; ``advance(done, total)`` moves it. Shown only when
    ``enabled`` and stderr is a terminal: CI logs and pipes never get one."""
    if not (enabled and sys.stderr.isatty()):
        yield lambda _done, _total: None
        return
    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=None)

        def advance(done: float, total: float | None) -> None:
            bar.update(task, completed=done, total=total)

        yield advance
