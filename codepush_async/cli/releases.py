"""``release``, ``promote``, ``patch``, ``rollback`` and ``verify``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from codepush_async import verify_release

from .base import command, emit
from .output import progress
from .params import release_options
from .session import Session

F = TypeVar("F", bound=Callable[..., Any])


def new_release_options(function: F) -> F:
    """``release_options`` and ``--skip-identical`` (release, promote)."""
    function = click.option(
        "--skip-identical", "no_duplicate_release_error", is_flag=True,
        help="A release identical to the current one is no error: nothing is released "
             "and the exit code is 0 (a CI job run again).")(function)
    return release_options(function)


def _described(package: Any, what: str) -> str:
    if package is None:
        return f"{what}: nothing changed (identical to the current release)."
    rollout = "" if package.rollout in (None, 100) else f" at {package.rollout}%"
    return f"{what}: {package.label} ({package.app_version}){rollout}."


@command("release")
@click.argument("app")
@click.argument("deployment")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.argument("target_version")
@new_release_options
@click.option("--private-key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Sign the release with this PEM private key (the signing extra).")
def _release(session: Session, app: str, deployment: str, path: Path, target_version: str,
             private_key: Path | None, **options: Any) -> None:
    """Release PATH (a folder, zipped; or a file) to APP's DEPLOYMENT for TARGET_VERSION
    (a semver range of binary versions: 1.2.3, ^1.2, 1.x ...)."""
    with progress(f"uploading {path.name}", enabled=session.progress) as advance:
        package = session.run(lambda cp: cp.releases.release(
            app, deployment, path, target_version, private_key=private_key,
            on_progress=advance, **options))
    emit(session, package, _described(package, f"Released to {app}/{deployment}"))


@command("promote")
@click.argument("app")
@click.argument("source")
@click.argument("destination")
@click.option("--label", help="The source's release to promote (default: its latest).")
@click.option("--target-version", "app_version", help="A new target binary version range.")
@new_release_options
def _promote(session: Session, app: str, source: str, destination: str,
             **options: Any) -> None:
    """Promote SOURCE's latest release (or --label) to DESTINATION."""
    package = session.run(lambda cp: cp.releases.promote(app, source, destination, **options))
    emit(session, package, _described(package, f"Promoted {app}/{source} to {destination}"))


@command("patch")
@click.argument("app")
@click.argument("deployment")
@click.option("--label", help="The release to change (default: the latest).")
@click.option("--target-version", "app_version", help="A new target binary version range.")
@release_options
def _patch(session: Session, app: str, deployment: str, label: str | None,
           **options: Any) -> None:
    """Change a release's rollout, state, mandatory flag, description or target version."""
    if all(value is None for value in options.values()):
        raise click.UsageError("nothing to change: give at least one of --rollout, "
                               "--disabled/--enabled, --mandatory/--optional, "
                               "--description, --target-version")
    package = session.run(lambda cp: cp.releases.patch(app, deployment, label, **options))
    emit(session, package, _described(package, f"Patched {app}/{deployment}"))


@command("rollback")
@click.argument("app")
@click.argument("deployment")
@click.option("--target-release", help="The label to restore (default: the previous).")
def _rollback(session: Session, app: str, deployment: str, target_release: str | None) -> None:
    """Release the previous package (or --target-release) again as the latest."""
    package = session.run(lambda cp: cp.releases.rollback(app, deployment, target_release))
    emit(session, package, _described(package, f"Rolled back {app}/{deployment}"))


@command("verify")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--public-key", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The PEM public key releases are signed for.")
def _verify(session: Session, path: Path, public_key: Path) -> None:
    """Check a signed release (zip or folder) as a device does; print its content hash."""

    async def verify() -> str:
        return await verify_release(path, public_key)

    content_hash = session.call(verify)
    emit(session, {"path": str(path), "content_hash": content_hash, "verified": True},
         f"{path}: signature verified, content hash {content_hash}")


def register(cli: click.Group) -> None:
    for function in (_release, _promote, _patch, _rollback, _verify):
        cli.add_command(function)
