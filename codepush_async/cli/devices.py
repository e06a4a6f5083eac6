"""``check`` and ``download``: what a device asks, and a release's package on disk."""

from __future__ import annotations

from pathlib import Path

import click

from codepush_async import UpdateCheck

from .base import command, emit
from .output import progress
from .session import Session

DEVICE_ONLY_KEY = "device-requests-send-no-access-key"
"""The client a device check needs holds some key; its requests never send one."""


@command("check")
@click.argument("deployment_key")
@click.argument("app_version")
@click.option("--client-id", help="The device's id (the rollout's bucket depends on it).")
@click.option("--label", help="The release label the device runs.")
@click.option("--package-hash", help="The package hash the device runs (with --label: a "
                                     "device sending only a label is offered its own release).")
def check(session: Session, deployment_key: str, app_version: str, client_id: str | None,
          label: str | None, package_hash: str | None) -> None:
    """Ask the server what a device on APP_VERSION should run, as the device asks it
    (the deployment key only: no access key is needed or sent)."""
    if not session.access_key:
        session.access_key = DEVICE_ONLY_KEY
    update: UpdateCheck = session.run(lambda cp: cp.devices.check(
        deployment_key, app_version, client_id=client_id, label=label,
        package_hash=package_hash))
    emit(session, {**update.to_dict(mode="json"), "reason": update.reason.value,
                   "why": update.why},
         None if session.as_json else f"{update.reason.value}: {update.why}")


@command("download")
@click.argument("app")
@click.argument("deployment")
@click.argument("label", required=False)
@click.option("--to", "dest", required=True, type=click.Path(path_type=Path),
              help="The file to write, or a folder to write <label>.zip in.")
def download(session: Session, app: str, deployment: str, label: str | None,
             dest: Path) -> None:
    """Download a release's package (LABEL, default the latest), checked against its
    package hash."""
    with progress(f"downloading {label or 'the latest release'}",
                  enabled=session.progress) as advance:
        path = session.run(lambda cp: cp.releases.download(
            app, deployment, label, dest=dest, on_progress=advance))
    emit(session, {"path": str(path)}, f"Downloaded to {path}")


def register(cli: click.Group) -> None:
    cli.add_command(check)
    cli.add_command(download)
