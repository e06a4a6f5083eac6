"""What every command shares: the output options and its ``Session``."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import click

from .output import show, write_json
from .session import Session, session_of

F = TypeVar("F", bound=Callable[..., Any])


def _set_json(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        session_of(ctx).as_json = True


def _set_quiet(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        session_of(ctx).quiet = True
        logging.getLogger("codepush_async").setLevel(logging.ERROR)  # its warnings too


def output_options(function: F) -> F:
    """``--json`` and ``--quiet`` on a command too: ``codepush-async app ls --json``."""
    function = click.option("--quiet", "-q", is_flag=True, expose_value=False,
                            callback=_set_quiet, help="No progress bars.")(function)
    return click.option("--json", "as_json", is_flag=True, expose_value=False,
                        callback=_set_json,
                        help="One JSON document on stdout (errors as JSON on stderr).")(function)



def command(name: str, group: click.Group | None = None,
            **settings: Any) -> Callable[[Callable[..., Any]], click.Command]:
    """A command (of ``group``, if given) with the output options, given its ``Session``."""

    def register(function: Callable[..., Any]) -> click.Command:
        @functools.wraps(function)
        def with_session(*args: Any, **kwargs: Any) -> Any:
            return function(session_of(click.get_current_context()), *args, **kwargs)

        make = click.command if group is None else group.command
        return make(name, **settings)(output_options(with_session))

    return register


def emit(session: Session, value: Any, text: str | None = None) -> None:
    """A command's answer: JSON with ``--json``, else ``text`` (or the value as a table)."""
    if session.as_json:
        write_json(value)
    elif text is not None:
        click.echo(text)
    else:
        show(value)
