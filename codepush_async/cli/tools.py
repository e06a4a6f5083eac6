"""``emulator`` (a local server for trying things) and ``completion`` (shell scripts)."""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class

COMPLETE_VAR = "_CODEPUSH_ASYNC_COMPLETE"
PROG = "codepush-async"


@click.command("emulator", context_settings={"ignore_unknown_options": True})
@click.option("--port", type=int, default=3000, show_default=True,
              help="The port to listen on (0 picks a free one).")
@click.argument("emulator_args", nargs=-1, type=click.UNPROCESSED)
def emulator(port: int, emulator_args: tuple[str, ...]) -> None:
    """Serve the embedded emulator (a fresh in-memory server) and print its URL and an
    access key; other options go to ``python -m codepush_async.emulator`` (see its
    --help). Needs the emulator extra."""
    from codepush_async.emulator.__main__ import main as serve

    raise click.exceptions.Exit(serve(["--port", str(port), *emulator_args]))


@click.command("completion")
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
@click.pass_context
def completion(ctx: click.Context, shell: str) -> None:
    """Print the shell completion script: eval "$(codepush-async completion bash)"."""
    root = ctx.find_root().command
    complete = get_completion_class(shell)
    assert complete is not None
    click.echo(complete(root, {}, PROG, COMPLETE_VAR).source())


def register(cli: click.Group) -> None:
    cli.add_command(emulator)
    cli.add_command(completion)
