"""One invocation's settings, the client it opens and how its errors end the process."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

import anyio
import click

from codepush_async import AsyncCodePush

from .clocks import clock_from_env
from .output import error_line
from .params import EXIT_FAILED

T = TypeVar("T")

ACCESS_KEY_ENV = "CODEPUSH_ACCESS_KEY"
SERVER_URL_ENV = "CODEPUSH_SERVER_URL"


class Session:
    """The global options of one invocation (``ctx.obj``); the access key is kept out of
    its repr and of every message."""

    def __init__(self) -> None:
        self.access_key: str | None = None
        self.server_url: str | None = None
        self.dialect = "classic"
        self.as_json = False
        self.quiet = False
        self.debug = False

    def __repr__(self) -> str:
        return f"Session(server_url={self.server_url!r}, dialect={self.dialect!r})"

    @property
    def progress(self) -> bool:
        """Whether progress bars may be shown (on stderr, which still must be a terminal:
        with --json too, stdout keeping the one JSON document)."""
        return not self.quiet

    def client(self) -> AsyncCodePush:
        """The client the options (or ``CODEPUSH_*`` variables) name; none is a usage error."""
        if not self.server_url:
            raise click.UsageError(f"no server: pass --server-url or set {SERVER_URL_ENV}")
        if not self.access_key:
            raise click.UsageError(f"no access key: pass --access-key or set {ACCESS_KEY_ENV}")
        return AsyncCodePush(self.access_key, self.server_url, dialect=self.dialect,
                             clock=clock_from_env())

    def run(self, work: Callable[[AsyncCodePush], Awaitable[T]]) -> T:
        """``await work(cp)`` with a client open for it; errors end the process as the
        spec says (1: the operation failed, 2: bad input), as one line on stderr."""

        async def with_client() -> T:
            async with self.client() as cp:
                return await work(cp)

        return self.call(with_client)

    def call(self, work: Callable[[], Awaitable[T]]) -> T:
        """``await work()`` (no client), its errors ended as ``run`` ends them."""
        try:
            return anyio.run(work)
        except (click.ClickException, click.exceptions.Exit):
            raise
        except ValueError as error:  # bad input the SDK refused, before any request
            self._trace()
            raise click.UsageError(str(error)) from None
        except KeyboardInterrupt:
            raise click.exceptions.Exit(130) from None
        except Exception as error:
            self.fail(error)

    def fail(self, error: BaseException, code: int = EXIT_FAILED) -> NoReturn:
        """End the process with ``error`` as one line (its traceback first with --debug)."""
        self._trace()
        error_line(error, as_json=self.as_json)
        raise click.exceptions.Exit(code)

    def _trace(self) -> None:
        if self.debug:
            traceback.print_exc(file=sys.stderr)


def session_of(ctx: click.Context) -> Session:
    """The invocation's ``Session`` (made by the root group)."""
    return ctx.ensure_object(Session)

