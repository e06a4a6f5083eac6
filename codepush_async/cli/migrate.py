"""``migrate``: back an app up to a folder, restore it, or copy it to another server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from codepush_async import (
    AsyncCodePush,
    MigrationItem,
    MigrationReport,
    copy_app,
    export_app,
    import_app,
)

from .base import command, emit
from .clocks import clock_from_env
from .output import progress
from .params import EXIT_INCOMPLETE
from .session import Session

TO_SERVER_URL_ENV = "CODEPUSH_TO_SERVER_URL"
TO_ACCESS_KEY_ENV = "CODEPUSH_TO_ACCESS_KEY"
HISTORY = click.option("--history", type=click.Choice(["all", "current"]), default="all",
                       show_default=True,
                       help="Every release, or only each deployment's current one.")
TO_NAME = click.option("--to-name", help="The app's name on the destination (default: its own).")
NEW_KEYS = click.option("--new-keys", is_flag=True,
                        help="Let the destination make new deployment keys (default: keep them).")
DRY_RUN = click.option("--dry-run", is_flag=True, help="Read only, and print the plan.")


@click.group("migrate")
def migrate_group() -> None:
    """Back up, restore and copy apps with their deployment keys and release histories."""


@command("export", migrate_group)
@click.argument("app")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@HISTORY
def migrate_export(session: Session, app: str, directory: Path, history: Any) -> None:
    """Write APP's backup to DIRECTORY: manifest.json and its packages by hash (re-runnable)."""
    folder = session.run(lambda cp: export_app(cp, app, directory, history=history))
    emit(session, {"app": app, "directory": str(folder)}, f"backed up {app} to {folder}")


@command("import", migrate_group)
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@TO_NAME
@NEW_KEYS
@DRY_RUN
def migrate_import(session: Session, directory: Path, to_name: str | None, new_keys: bool,
                   dry_run: bool) -> None:
    """Restore the backup in DIRECTORY onto the server (what it already holds is skipped)."""
    _report(session, lambda on_item: session.run(lambda cp: import_app(
        cp, directory, to_name=to_name, keep_keys=not new_keys, dry_run=dry_run,
        on_item=on_item)))


@command("copy", migrate_group)
@click.argument("app")
@click.option("--to-server-url", "--to-server", "to_server_url", envvar=TO_SERVER_URL_ENV,
              metavar="URL", show_envvar=True, required=True,
              help="The destination server's URL.")
@click.option("--to-access-key", envvar=TO_ACCESS_KEY_ENV, metavar="KEY", show_envvar=True,
              required=True, help="The destination's access key (prefer the variable).")
@TO_NAME
@NEW_KEYS
@HISTORY
@DRY_RUN
def migrate_copy(session: Session, app: str, to_server_url: str, to_access_key: str,
                 to_name: str | None, new_keys: bool, history: Any, dry_run: bool) -> None:
    """Copy APP from the server to another one, each package downloaded once."""

    def work(on_item: Callable[[MigrationItem], None]) -> MigrationReport:
        async def copy(cp: AsyncCodePush) -> MigrationReport:
            async with AsyncCodePush(to_access_key, to_server_url, dialect=session.dialect,
                                     clock=clock_from_env()) as destination:
                return await copy_app(cp, destination, app, to_name=to_name,
                                      keep_keys=not new_keys, history=history,
                                      dry_run=dry_run, on_item=on_item)

        return session.run(copy)

    _report(session, work)


def _report(session: Session,
            run: Callable[[Callable[[MigrationItem], None]], MigrationReport]) -> None:
    """Run the migration with a progress bar, print its items; exit 3 when one failed."""
    with progress("migration", enabled=session.progress) as advance:
        seen: list[MigrationItem] = []

        def on_item(item: MigrationItem) -> None:
            seen.append(item)
            advance(len(seen), None)

        report = run(on_item)
    emit(session, report.to_dict(mode="json"), None if session.as_json else _text(report))
    if report.failed:
        raise click.exceptions.Exit(EXIT_INCOMPLETE)


def _text(report: MigrationReport) -> str:
    lines = [f"{i.deployment}  {i.what}  {i.action}  {i.label or ''}"
             + (f"  ({i.note})" if i.note else "")
             + (f"  {type(i.error).__name__}: {i.error}" if i.error else "")
             for i in report.items]
    lines.extend(f"new key of {name}: {key}" for name, key in report.new_keys.items())
    lines.append(repr(report))
    return "\n".join(lines)


def register(cli: click.Group) -> None:
    cli.add_command(migrate_group)
