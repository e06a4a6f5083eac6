"""The root command: global options, the command groups, and the console script's entry."""

from __future__ import annotations

import click

from codepush_async import __version__

from . import automation, devices, manage, migrate, releases, tools
from .base import output_options
from .session import ACCESS_KEY_ENV, SERVER_URL_ENV, session_of
from .tools import COMPLETE_VAR, PROG


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--access-key", envvar=ACCESS_KEY_ENV, metavar="KEY", show_envvar=True,
              help="The access key (prefer the variable: arguments show in process lists).")
@click.option("--server-url", envvar=SERVER_URL_ENV, metavar="URL", show_envvar=True,
              help="The management server's URL (no default).")
@click.option("--dialect", type=click.Choice(["classic", "v1"]), default="classic",
              show_default=True, help="The server's API: classic routes, or /api/v1.")
@click.option("--debug", is_flag=True, help="Show the traceback of an error.")
@output_options
@click.version_option(__version__, prog_name=PROG)
@click.pass_context
def cli(ctx: click.Context, access_key: str | None, server_url: str | None, dialect: str,
        debug: bool) -> None:
    """Manage CodePush apps, deployments and releases from a shell or a CI pipeline.

    Exit codes: 0 success, 1 the operation failed, 2 usage error, 3 finished with failed
    items or a breached / halted rollout.
    """
    session = session_of(ctx)
    session.access_key, session.server_url = access_key, server_url
    session.dialect, session.debug = dialect, debug


for _module in (manage, releases, automation, devices, migrate, tools):
    _module.register(cli)


def main(args: list[str] | None = None) -> None:
    """The console script ``codepush-async`` (and ``python -m codepush_async``)."""
    cli.main(args, prog_name=PROG, complete_var=COMPLETE_VAR)

