"""The typed, immutable values the SDK returns (and the ``PackageInfo`` it takes).

Field names are snake_case; the converter maps them to the server's camelCase.
Everything the wire may omit or send as null defaults to ``None``, with two exceptions
that give one meaning everywhere: ``Package.rollout`` is ``100`` for a full rollout (the
server stores 100 as null), and ``CollaboratorProperties.is_current_account`` is a plain
``bool``. Each model has ``to_dict()``; the main ones have a short ``repr``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import attrs

from .export import to_dict
from .reprs import short_repr

__all__ = [
    "AccessKey",
    "Account",
    "App",
    "CollaboratorProperties",
    "Deployment",
    "DiffPackage",
    "Package",
    "PackageInfo",
    "Permission",
    "ReleaseMethod",
    "Session",
    "UpdateMetrics",
]

FULL_ROLLOUT = 100


class _Model:
    """What every model shares: ``to_dict()``."""

    __slots__ = ()

    def to_dict(
        self, *, by_alias: bool = False, mode: Literal["python", "json"] = "python"
    ) -> dict[str, Any]:
        """The fields as a dict: snake_case keys, or camelCase with ``by_alias=True``.

        ``mode="json"`` makes it JSON-safe (ISO-8601 times, lists for tuples).
        """
        return to_dict(self, by_alias=by_alias, mode=mode)


class Permission:
    """The two collaborator permissions the server knows."""

    OWNER = "Owner"
    COLLABORATOR = "Collaborator"


class ReleaseMethod:
    """How a package came to a deployment."""

    UPLOAD = "Upload"
    PROMOTE = "Promote"
    ROLLBACK = "Rollback"


@attrs.frozen
class Account(_Model):
    """The account the access key belongs to."""

    email: str | None = None
    name: str | None = None
    linked_providers: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return short_repr(
            "Account",
            None if self.email is None else repr(self.email),
            ("name", self.name),
            ("linked", ", ".join(self.linked_providers) or None),
        )


def _mask(secret: str | None) -> str:
    return "None" if secret is None else "'***'"


@attrs.frozen
class AccessKey(_Model):
    """An access key. ``name`` is its friendly name (the handle used in calls).

    ``key`` is the secret: only set right after creation, never shown in ``repr``.
    """

    name: str
    key: str | None = attrs.field(default=None, repr=_mask)
    created_time: datetime | None = None
    expires: datetime | None = None
    created_by: str | None = None
    description: str | None = None
    is_session: bool = False
    id: str | None = None

    def __repr__(self) -> str:
        return short_repr(
            "AccessKey",
            repr(self.name),
            "session" if self.is_session else None,
            ("created", self.created_time),
            ("expires", self.expires),
            ("by", self.created_by),
        )


@attrs.frozen
class Session(_Model):
    """A CLI login session, identified by the machine that created it."""

    machine_name: str
    logged_in_time: datetime | None = None

    def __repr__(self) -> str:
        return short_repr("Session", repr(self.machine_name), ("logged in", self.logged_in_time))


@attrs.frozen
class CollaboratorProperties(_Model):
    """One collaborator's role on an app; ``is_current_account`` is ``True`` for the caller."""

    permission: str | None = None
    is_current_account: bool = False


@attrs.frozen
class App(_Model):
    """An app; ``deployments`` is ``None`` for an app created without default ones."""

    name: str
    collaborators: dict[str, CollaboratorProperties] = attrs.field(factory=dict)
    deployments: tuple[str, ...] | None = None
    os: str | None = None
    platform: str | None = None

    @property
    def owner(self) -> str | None:
        """The e-mail of the collaborator with the ``Owner`` permission."""
        for email, properties in self.collaborators.items():
            if properties.permission == Permission.OWNER:
                return email
        return None

    def __repr__(self) -> str:
        deployments = None if self.deployments is None else ", ".join(self.deployments)
        return short_repr(
            "App",
            repr(self.name),
            " ".join(p for p in (self.os, self.platform) if p) or None,
            ("deployments", deployments),
            ("owner", self.owner),
        )


@attrs.frozen
class DiffPackage(_Model):
    """A diff from an earlier package hash to this package."""

    size: int | None = None
    url: str | None = None


@attrs.frozen
class PackageInfo(_Model):
    """Release metadata the caller sets (flat aliases take it like the seed's ``updateMetadata``).

    ``None`` means "not sent"; ``is_disabled=False`` is sent.
    """

    app_version: str | None = None
    description: str | None = None
    is_mandatory: bool | None = None
    is_disabled: bool | None = None
    rollout: int | None = None
    label: str | None = None


@attrs.frozen
class Package(_Model):
    """A release in a deployment's history.

    ``rollout`` is the percentage of devices it is offered to: ``100`` (every device) when
    the server sends null or nothing, as it does for a complete rollout.
    """

    label: str | None = None
    app_version: str | None = None
    description: str | None = None
    is_mandatory: bool | None = None
    is_disabled: bool | None = None
    rollout: int = FULL_ROLLOUT
    package_hash: str | None = None
    blob_url: str | None = None
    manifest_blob_url: str | None = None
    size: int | None = None
    upload_time: datetime | None = None
    released_by: str | None = None
    release_method: str | None = None
    original_label: str | None = None
    original_deployment: str | None = None
    diff_package_map: dict[str, DiffPackage] | None = None

    def __repr__(self) -> str:
        return short_repr(
            "Package",
            self.label or "(no label)",
            ("app", self.app_version),
            ("rollout", f"{self.rollout}%"),
            "mandatory" if self.is_mandatory else None,
            "disabled" if self.is_disabled else None,
            ("uploaded", self.upload_time),
            ("size", self.size),
            release_source(self),
        )


def release_source(package: Package) -> str | None:
    """Where a promoted or rolled-back release came from, as the CLI's history says it."""
    if package.release_method == ReleaseMethod.PROMOTE:
        return f'Promoted {package.original_label} from "{package.original_deployment}"'
    if package.release_method == ReleaseMethod.ROLLBACK:
        label = package.label or ""
        previous = f"v{int(label[1:]) - 1} " if label[1:].isdigit() else ""
        return f"Rolled back {previous}to {package.original_label}"
    return None


@attrs.frozen
class Deployment(_Model):
    """A deployment of an app, with its key and current package (``None`` before any release)."""

    name: str
    key: str | None = None
    package: Package | None = None
    id: str | None = None
    created_time: datetime | None = None

    def __repr__(self) -> str:
        package = self.package
        current = "no release" if package is None else (
            f"current {package.label or '(no label)'}"
            + (f" (app {package.app_version})" if package.app_version else "")
        )
        return short_repr("Deployment", repr(self.name), ("key", self.key), current)


@attrs.frozen
class UpdateMetrics(_Model):
    """Install counters for one label (or ``active`` only, for an app-version key).

    Servers may send null or even negative counts; they are passed through as-is.
    """

    active: int | None = None
    downloaded: int | None = None
    installed: int | None = None
    failed: int | None = None
