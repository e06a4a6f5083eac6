"""Write ``docs/reference/cli.md``, the command line's reference, from the commands
themselves (their ``--help``), so the page cannot drift from the code.

Usage: ``python tools/cli_reference.py`` (``--check``: exit 1 when the page is stale;
``tests/cli/test_cli_reference.py`` runs that check).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import click

from codepush_async.cli import cli

PAGE = Path(__file__).resolve().parents[1] / "docs" / "reference" / "cli.md"
WIDTH = 96
INTRO = """# Command line reference

Every command of `codepush-async` (also `python -m codepush_async`; installed by the
`cli` extra), as its `--help` shows it. The guide: [The command line](../guides/cli.md).
This page is generated from the commands by `python tools/cli_reference.py`.
"""


def _contexts(command: click.Command, parent: click.Context | None,
              name: str) -> Iterator[click.Context]:
    """The context of ``command`` and of each subcommand below it, depth first."""
    settings = {**command.context_settings, "terminal_width": WIDTH,
                "max_content_width": WIDTH}
    ctx = click.Context(command, info_name=name, parent=parent, **settings)
    yield ctx
    if isinstance(command, click.Group):
        for sub in command.list_commands(ctx):
            subcommand = command.get_command(ctx, sub)
            assert subcommand is not None
            yield from _contexts(subcommand, ctx, sub)


def render() -> str:
    """The page: one section per command, its help as click prints it."""
    sections = [INTRO]
    for ctx in _contexts(cli, None, "codepush-async"):
        title = ctx.command_path
        sections.append(f"## `{title}`\n\n```text\n{ctx.get_help()}\n```\n")
    return "\n".join(sections)


def main(argv: list[str]) -> int:
    page = render()
    if "--check" in argv:
        if not PAGE.is_file() or PAGE.read_text("utf-8") != page:
            print(f"{PAGE} is stale: run python tools/cli_reference.py", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(page, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
