"""The typed, immutable values the SDK returns (and the ``PackageInfo`` it takes).

Field names are snake_case; the converter maps them to the server's camelCase.
Everything the wire may omit or send as null defaults to ``None``.
"""

from __future__ import annotations

from datetime import datetime

import attrs

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
class Account:
    """The account the access key belongs to."""

    email: str | None = None
    name: str | None = None
    linked_providers: tuple[str, ...] = ()


def _mask(secret: str | None) -> str:
    return "None" if secret is None else "'***'"


@attrs.frozen
class AccessKey:
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


@attrs.frozen
class Session:
    """A CLI login session, identified by the machine that created it."""

    machine_name: str
    logged_in_time: datetime | None = None


@attrs.frozen
class CollaboratorProperties:
    """One collaborator's role on an app."""

    permission: str | None = None
    is_current_account: bool | None = None


@attrs.frozen
class App:
    """An app; ``deployments`` is ``None`` for an app created without default ones."""

    name: str
    collaborators: dict[str, CollaboratorProperties] = attrs.field(factory=dict)
    deployments: tuple[str, ...] | None = None
    os: str | None = None
    platform: str | None = None


@attrs.frozen
class DiffPackage:
    """A diff from an earlier package hash to this package."""

    size: int | None = None
    url: str | None = None


@attrs.frozen
class PackageInfo:
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
class Package:
    """A release in a deployment's history. ``rollout`` ``None`` means 100 %."""

    label: str | None = None
    app_version: str | None = None
    description: str | None = None
    is_mandatory: bool | None = None
    is_disabled: bool | None = None
    rollout: int | None = None
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


@attrs.frozen
class Deployment:
    """A deployment of an app, with its key and current package (``None`` before any release)."""

    name: str
    key: str | None = None
    package: Package | None = None
    id: str | None = None
    created_time: datetime | None = None


@attrs.frozen
class UpdateMetrics:
    """Install counters for one label (or ``active`` only, for an app-version key).

    Servers may send null or even negative counts; they are passed through as-is.
    """

    active: int | None = None
    downloaded: int | None = None
    installed: int | None = None
    failed: int | None = None
