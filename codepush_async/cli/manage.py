"""``app``, ``deployment``, ``access-key`` and ``collaborator``: the account's resources."""

from __future__ import annotations

from datetime import timedelta

import click

from .base import command, emit
from .params import Duration
from .session import Session


@click.group("app")
def app_group() -> None:
    """Apps: ls, add, rm, rename, transfer."""


@command("ls", app_group)
def app_ls(session: Session) -> None:
    """List the apps of the account."""
    emit(session, session.run(lambda cp: cp.apps.list()))


@command("add", app_group)
@click.argument("name")
@click.option("--os", "os_name", help="The app's OS (iOS, Android, Windows).")
@click.option("--platform", help="The app's platform (React-Native, Cordova).")
def app_add(session: Session, name: str, os_name: str | None, platform: str | None) -> None:
    """Create an app (the server adds its Staging and Production deployments)."""
    app = session.run(lambda cp: cp.apps.create(name, os=os_name, platform=platform))
    emit(session, app, f"Created app {app.name!r}.")


@command("rm", app_group)
@click.argument("name")
def app_rm(session: Session, name: str) -> None:
    """Remove an app, its deployments and releases."""
    session.run(lambda cp: cp.apps.remove(name))
    emit(session, {"app": name, "removed": True}, f"Removed app {name!r}.")


@command("rename", app_group)
@click.argument("name")
@click.argument("new_name")
def app_rename(session: Session, name: str, new_name: str) -> None:
    """Rename an app."""
    app = session.run(lambda cp: cp.apps.rename(name, new_name))
    emit(session, app, f"Renamed app {name!r} to {app.name!r}.")


@command("transfer", app_group)
@click.argument("name")
@click.argument("email")
def app_transfer(session: Session, name: str, email: str) -> None:
    """Transfer an app to another account (by its e-mail)."""
    session.run(lambda cp: cp.apps.transfer(name, email))
    emit(session, {"app": name, "transferred_to": email},
         f"Transferred app {name!r} to {email}.")


@click.group("deployment")
def deployment_group() -> None:
    """Deployments: ls, add, rm, rename, history, metrics."""


@command("ls", deployment_group)
@click.argument("app")
def deployment_ls(session: Session, app: str) -> None:
    """List an app's deployments (with their keys and current releases)."""
    emit(session, session.run(lambda cp: cp.deployments.list(app)))


@command("add", deployment_group)
@click.argument("app")
@click.argument("name")
@click.option("--key", help="The deployment key to use (default: the server makes one).")
def deployment_add(session: Session, app: str, name: str, key: str | None) -> None:
    """Create a deployment."""
    deployment = session.run(lambda cp: cp.deployments.create(app, name, key=key))
    emit(session, deployment, f"Created deployment {app}/{deployment.name} "
                              f"(key {deployment.key}).")


@command("rm", deployment_group)
@click.argument("app")
@click.argument("name")
def deployment_rm(session: Session, app: str, name: str) -> None:
    """Remove a deployment and its releases."""
    session.run(lambda cp: cp.deployments.remove(app, name))
    emit(session, {"app": app, "deployment": name, "removed": True},
         f"Removed deployment {app}/{name}.")


@command("rename", deployment_group)
@click.argument("app")
@click.argument("name")
@click.argument("new_name")
def deployment_rename(session: Session, app: str, name: str, new_name: str) -> None:
    """Rename a deployment."""
    deployment = session.run(lambda cp: cp.deployments.rename(app, name, new_name))
    emit(session, deployment, f"Renamed deployment {app}/{name} to {deployment.name}.")


@command("history", deployment_group)
@click.argument("app")
@click.argument("deployment")
def deployment_history(session: Session, app: str, deployment: str) -> None:
    """A deployment's releases with their install metrics, oldest first."""
    emit(session, session.run(lambda cp: cp.deployments.history(app, deployment)))


@command("metrics", deployment_group)
@click.argument("app")
@click.argument("deployment")
def deployment_metrics(session: Session, app: str, deployment: str) -> None:
    """A deployment's install counters, by release label."""
    emit(session, session.run(lambda cp: cp.deployments.metrics(app, deployment)))


@click.group("access-key")
def access_key_group() -> None:
    """Access keys: ls, add, rm."""


@command("ls", access_key_group)
def access_key_ls(session: Session) -> None:
    """List the account's access keys (never their secrets)."""
    emit(session, session.run(lambda cp: cp.tokens.list()))


@command("add", access_key_group)
@click.argument("name")
@click.option("--ttl", type=Duration(), help="How long the key lives: 30d, 12h, ...")
def access_key_add(session: Session, name: str, ttl: float | None) -> None:
    """Create an access key and print its secret, once: store it now."""
    life = None if ttl is None else timedelta(seconds=ttl)
    key = session.run(lambda cp: cp.tokens.create(name, ttl=life))
    emit(session, key, f"Created access key {key.name!r}: {key.key}\n"
                       "(its secret is shown only this once: store it now)")


@command("rm", access_key_group)
@click.argument("name")
def access_key_rm(session: Session, name: str) -> None:
    """Remove an access key."""
    session.run(lambda cp: cp.tokens.remove(name))
    emit(session, {"access_key": name, "removed": True}, f"Removed access key {name!r}.")


@click.group("collaborator")
def collaborator_group() -> None:
    """An app's collaborators: ls, add, rm."""


@command("ls", collaborator_group)
@click.argument("app")
def collaborator_ls(session: Session, app: str) -> None:
    """List an app's collaborators and their permissions."""
    emit(session, session.run(lambda cp: cp.collaborators.list(app)))


@command("add", collaborator_group)
@click.argument("app")
@click.argument("email")
def collaborator_add(session: Session, app: str, email: str) -> None:
    """Add a collaborator to an app."""
    session.run(lambda cp: cp.collaborators.add(app, email))
    emit(session, {"app": app, "collaborator": email, "added": True},
         f"Added {email} to {app!r}.")


@command("rm", collaborator_group)
@click.argument("app")
@click.argument("email")
def collaborator_rm(session: Session, app: str, email: str) -> None:
    """Remove a collaborator from an app."""
    session.run(lambda cp: cp.collaborators.remove(app, email))
    emit(session, {"app": app, "collaborator": email, "removed": True},
         f"Removed {email} from {app!r}.")


def register(cli: click.Group) -> None:
    for group in (app_group, deployment_group, access_key_group, collaborator_group):
        cli.add_command(group)

