"""The emulator's in-memory state: accounts, keys, apps, deployments, packages, blobs, metrics.

Pure Python with no HTTP and no wire format: the dialect modules own validation, messages and
JSON shapes, so another dialect can share this store.
"""

from __future__ import annotations

import base64
import copy
import io
import re
import secrets
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

OWNER = "Owner"
COLLABORATOR = "Collaborator"
MAX_HISTORY = 50
"""Releases kept per deployment (the official Azure backend trims history to 50)."""
MAX_METRIC_FIELDS = 10_000
"""Counters kept per deployment key (labels and app versions times four); reports naming more
are answered but not counted, so hostile reports cannot grow memory without bound."""
MAX_TRACKED_CLIENTS = 100_000
"""Devices whose current label is remembered per deployment key (old devices' reports)."""
ACTIVE = "Active"
DOWNLOADED = "Downloaded"
DEPLOYMENT_SUCCEEDED = "DeploymentSucceeded"
DEPLOYMENT_FAILED = "DeploymentFailed"
COUNTER_OF_STATUS = {  # Redis field kinds and the REST counters they add to
    ACTIVE: "active",
    DOWNLOADED: "downloaded",
    DEPLOYMENT_SUCCEEDED: "installed",
    DEPLOYMENT_FAILED: "failed",
}

_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-"
_BLOB_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
"""The ids ``BlobStore`` makes (37 characters) with room to spare, and nothing a file system
could read as a path or refuse as too long."""


def new_id() -> str:
    """A short random identifier in the style of the server's shortid."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(9))


def generate_secure_key(account_id: str) -> str:
    """A secret in the server's format: URL-safe base64 of 21 random bytes plus the account id."""
    raw = base64.b64encode(secrets.token_bytes(21)).decode("ascii")
    raw = raw.replace("+", "_").replace("/", "-")
    if raw.startswith("-"):
        raw = "_" + raw[1:]
    return raw + account_id


@dataclass
class Account:
    """A registered user."""

    id: str
    email: str
    name: str
    created_time: int


@dataclass
class AccessKey:
    """An access key or login session; ``name`` is the secret."""

    id: str
    account_id: str
    name: str
    friendly_name: str
    description: str
    created_by: str
    created_time: int
    expires: int
    is_session: bool = False


@dataclass
class Collaborator:
    """One member of an app."""

    account_id: str
    permission: str


@dataclass
class App:
    """An app; ``collaborators`` maps e-mail to membership and always holds one Owner."""

    id: str
    name: str
    created_time: int
    collaborators: dict[str, Collaborator] = field(default_factory=dict)
    os: str | None = None
    platform: str | None = None

    def owner_email(self) -> str | None:
        for email, member in self.collaborators.items():
            if member.permission == OWNER:
                return email
        return None

    def email_of(self, account_id: str) -> str | None:
        for email, member in self.collaborators.items():
            if member.account_id == account_id:
                return email
        return None

    def permission_of(self, account_id: str) -> str | None:
        email = self.email_of(account_id)
        return None if email is None else self.collaborators[email].permission

    def is_owned_by(self, account_id: str) -> bool:
        return self.permission_of(account_id) == OWNER


@dataclass
class Package:
    """One release in a deployment's history. ``None`` means the field was never set.

    ``blob_id`` (and ``manifest_blob_id``) name the bytes in the ``BlobStore``; answers
    turn them into URLs on the address each request came to.

    ``rollout_null`` records that ``rollout`` was explicitly cleared (the server writes ``null``
    when a release is completed or superseded), which history shows as ``null``, not absent.
    """

    app_version: str
    package_hash: str
    blob_id: str
    size: int
    upload_time: int
    release_method: str
    description: str | None = None
    is_mandatory: bool | None = None
    is_disabled: bool | None = None
    rollout: int | None = None
    rollout_null: bool = False
    label: str | None = None
    released_by: str | None = None
    original_label: str | None = None
    original_deployment: str | None = None
    manifest_blob_id: str | None = None
    diff_package_map: dict[str, object] | None = None

    def copy(self) -> Package:
        return copy.deepcopy(self)

    def blob_ids(self) -> Iterator[str]:
        """The blobs this release references (its package, and its manifest if any)."""
        yield self.blob_id
        if self.manifest_blob_id is not None:
            yield self.manifest_blob_id

    def set_rollout(self, value: int | None) -> None:
        """Store a rollout; None clears it (100% / complete)."""
        self.rollout = value
        self.rollout_null = value is None


@dataclass
class Deployment:
    """A deployment of an app with its release history (oldest first)."""

    id: str
    app_id: str
    name: str
    key: str
    created_time: int
    history: list[Package] = field(default_factory=list)

    @property
    def package(self) -> Package | None:
        return self.history[-1] if self.history else None


@dataclass
class MetricCounters:
    """Counters for one label (``v3``) or app version (``1.0.0``) of a deployment."""

    active: int = 0
    downloaded: int = 0
    installed: int = 0
    failed: int = 0


class BlobStore:
    """Uploaded package bytes, in memory or under a directory (the store frees the blobs no
    release references any more)."""

    def __init__(self, directory: str | Path | None = None) -> None:
        self._memory: dict[str, bytes] = {}
        self._on_disk: set[str] = set()
        self._dir: Path | None = None
        if directory is not None:
            self._dir = Path(directory)
            self._dir.mkdir(parents=True, exist_ok=True)

    def put(self, data: bytes) -> str:
        return self.put_file(io.BytesIO(data))

    def put_file(self, file: IO[bytes]) -> str:
        """Store what ``file`` holds from its start (copied a chunk at a time to a directory);
        blocking, so the server calls it off its event loop."""
        blob_id = generate_secure_key(new_id())
        file.seek(0)
        if self._dir is not None:
            with (self._dir / blob_id).open("wb") as out:
                shutil.copyfileobj(file, out)
            self._on_disk.add(blob_id)
        else:
            self._memory[blob_id] = file.read()
        return blob_id

    def get(self, blob_id: str) -> bytes | None:
        """The blob's bytes; None for an id this store could not have made (any length, any
        character) or does not hold."""
        path = self.path_of(blob_id)
        if path is not None:
            try:
                return path.read_bytes()
            except OSError:
                return None
        return self._memory.get(blob_id) if _BLOB_ID.fullmatch(blob_id) else None

    def path_of(self, blob_id: str) -> Path | None:
        """The file of a blob kept under the directory (None in memory, or when there is none),
        so a download can stream it."""
        if self._dir is None or not _BLOB_ID.fullmatch(blob_id):
            return None
        path = self._dir / blob_id
        try:
            return path if path.is_file() else None
        except OSError:
            return None

    def delete(self, blob_id: str) -> None:
        """Forget a blob (and remove its file); unknown ids are ignored."""
        if blob_id in self._on_disk and self._dir is not None:
            self._on_disk.discard(blob_id)
            (self._dir / blob_id).unlink(missing_ok=True)
        self._memory.pop(blob_id, None)

    def __len__(self) -> int:
        return len(self._memory) + len(self._on_disk)

    @property
    def size(self) -> int:
        """Bytes held in memory (blobs under a directory count nothing)."""
        return sum(len(data) for data in list(self._memory.values()))  # a worker may add one


class Store:
    """All emulator state. Methods are primitive operations; callers enforce the rules."""

    def __init__(self, blobs: BlobStore | None = None) -> None:
        self.accounts: dict[str, Account] = {}
        self.access_keys: dict[str, AccessKey] = {}
        self.apps: dict[str, App] = {}
        self.deployments: dict[str, Deployment] = {}
        self.metrics: dict[str, dict[str, int]] = {}
        """Per deployment key, counters as the server's Redis keeps them (``"v2:Active": 3``)."""
        self.active_labels: dict[str, dict[str, str]] = {}
        """Per deployment key, the label each device last reported (the server's deprecated
        ``deploymentKeyClients`` hash, kept for devices that send no SDK version)."""
        self.blobs = blobs if blobs is not None else BlobStore()

    # Accounts

    def add_account(self, email: str, name: str, created_time: int) -> Account:
        if self.account_by_email(email) is not None:
            raise ValueError(f"an account for {email!r} already exists")
        account = Account(id=new_id(), email=email, name=name, created_time=created_time)
        self.accounts[account.id] = account
        return account

    def account_by_email(self, email: str) -> Account | None:
        wanted = email.lower()
        for account in self.accounts.values():
            if account.email.lower() == wanted:
                return account
        return None

    # Access keys

    def add_access_key(
        self,
        account_id: str,
        *,
        name: str,
        friendly_name: str,
        created_by: str,
        created_time: int,
        expires: int,
        is_session: bool = False,
    ) -> AccessKey:
        key = AccessKey(
            id=new_id(),
            account_id=account_id,
            name=name,
            friendly_name=friendly_name,
            description=friendly_name,
            created_by=created_by,
            created_time=created_time,
            expires=expires,
            is_session=is_session,
        )
        self.access_keys[key.id] = key
        return key

    def access_keys_of(self, account_id: str) -> list[AccessKey]:
        return [k for k in self.access_keys.values() if k.account_id == account_id]

    def find_access_key(self, account_id: str, name: str) -> AccessKey | None:
        """Find a key by secret or friendly name, as the server's name resolver does."""
        for key in self.access_keys_of(account_id):
            if name in (key.name, key.friendly_name):
                return key
        return None

    def key_by_secret(self, secret: str) -> AccessKey | None:
        for key in self.access_keys.values():
            if secrets.compare_digest(key.name.encode(), secret.encode()):
                return key
        return None

    def remove_access_key(self, key_id: str) -> None:
        self.access_keys.pop(key_id, None)

    # Apps

    def apps_of(self, account_id: str) -> list[App]:
        return [
            app
            for app in self.apps.values()
            if any(m.account_id == account_id for m in app.collaborators.values())
        ]

    def add_app(
        self,
        owner: Account,
        name: str,
        created_time: int,
        *,
        os: str | None = None,
        platform: str | None = None,
    ) -> App:
        app = App(id=new_id(), name=name, created_time=created_time, os=os, platform=platform)
        app.collaborators[owner.email] = Collaborator(owner.id, OWNER)
        self.apps[app.id] = app
        return app

    def resolve_app(self, account_id: str, display_name: str) -> App | None:
        """Find an app by plain name or ``owner@example.com:Name`` among the account's apps."""
        parts = display_name.split(":")
        if len(parts) > 2:
            return None
        owner_email = parts[0] if len(parts) == 2 else None
        raw_name = parts[-1]
        candidates = [app for app in self.apps_of(account_id) if app.name == raw_name]
        if owner_email:
            for app in candidates:
                member = app.collaborators.get(owner_email)
                if member is not None and member.permission == OWNER:
                    return app
            return None
        if len(candidates) == 1:
            return candidates[0]
        for app in candidates:
            if app.is_owned_by(account_id):
                return app
        return None

    def remove_app(self, app_id: str) -> None:
        for deployment in self.deployments_of(app_id):
            self.remove_deployment(deployment.id)
        self.apps.pop(app_id, None)

    # Deployments

    def deployments_of(self, app_id: str) -> list[Deployment]:
        return [d for d in self.deployments.values() if d.app_id == app_id]

    def find_deployment(self, app_id: str, name: str) -> Deployment | None:
        for deployment in self.deployments_of(app_id):
            if deployment.name == name:
                return deployment
        return None

    def deployment_by_key(self, key: str) -> Deployment | None:
        for deployment in self.deployments.values():
            if deployment.key == key:
                return deployment
        return None

    def add_deployment(self, app_id: str, name: str, key: str, created_time: int) -> Deployment:
        deployment = Deployment(
            id=new_id(), app_id=app_id, name=name, key=key, created_time=created_time
        )
        self.deployments[deployment.id] = deployment
        return deployment

    def remove_deployment(self, deployment_id: str) -> None:
        deployment = self.deployments.pop(deployment_id, None)
        if deployment is not None:
            self.free_blobs(deployment.history)

    # Packages

    def commit_package(self, deployment: Deployment, package: Package, released_by: str) -> Package:
        """Append a release: next label, releaser, and the previous release's rollout cleared."""
        if deployment.history:
            last_label = deployment.history[-1].label or "v0"
            package.label = f"v{int(last_label[1:]) + 1}"
            deployment.history[-1].set_rollout(None)
        else:
            package.label = "v1"
        package.released_by = released_by
        deployment.history.append(package)
        if len(deployment.history) > MAX_HISTORY:
            trimmed = deployment.history[: len(deployment.history) - MAX_HISTORY]
            del deployment.history[: len(trimmed)]
            self.free_blobs(trimmed)
        return package

    def clear_history(self, deployment: Deployment) -> None:
        dropped = list(deployment.history)
        deployment.history.clear()
        self.clear_metrics(deployment.key)
        self.free_blobs(dropped)

    def free_blobs(self, dropped: Iterable[Package]) -> None:
        """Delete the blobs of releases that left history, unless another release (a promotion
        or rollback shares its source's blob) still references them."""
        candidates = {blob_id for package in dropped for blob_id in package.blob_ids()}
        if not candidates:
            return
        for deployment in self.deployments.values():
            for package in deployment.history:
                candidates.difference_update(package.blob_ids())
        for blob_id in candidates:
            self.blobs.delete(blob_id)

    # Metrics (as the official server's Redis keeps them: by deployment key, which outlives a
    # deleted deployment; only keys of deployments that exist are counted)

    def increment_metric(self, deployment_key: str, label: str, status: str, by: int = 1) -> None:
        """``HINCRBY deploymentKeyLabels:<key> <label>:<status> <by>``."""
        if self.deployment_by_key(deployment_key) is None:
            return
        fields = self.metrics.setdefault(deployment_key, {})
        name = f"{label}:{status}"
        if name in fields or len(fields) < MAX_METRIC_FIELDS:
            fields[name] = fields.get(name, 0) + by

    def active_label(self, deployment_key: str, client_id: str) -> str | None:
        """The label a device last reported (``HGET deploymentKeyClients:<key> <id>``)."""
        return self.active_labels.get(deployment_key, {}).get(client_id)

    def set_active_label(self, deployment_key: str, client_id: str, label: str) -> None:
        if self.deployment_by_key(deployment_key) is None:
            return
        clients = self.active_labels.setdefault(deployment_key, {})
        if client_id in clients or len(clients) < MAX_TRACKED_CLIENTS:
            clients[client_id] = label

    def forget_active_label(self, deployment_key: str, client_id: str) -> None:
        self.active_labels.get(deployment_key, {}).pop(client_id, None)

    def clear_metrics(self, deployment_key: str) -> None:
        """``clearMetricsForDeploymentKey``: both hashes of the key."""
        self.metrics.pop(deployment_key, None)
        self.active_labels.pop(deployment_key, None)

    def record_metrics(
        self,
        deployment: Deployment,
        label: str,
        *,
        active: int = 0,
        downloaded: int = 0,
        installed: int = 0,
        failed: int = 0,
    ) -> None:
        """Add to the counters of ``label`` that device reports move (``active`` is always
        created, so the label is listed; the others only when changed, as Redis would have
        them)."""
        self.increment_metric(deployment.key, label, ACTIVE, active)
        for status, by in (
            (DOWNLOADED, downloaded),
            (DEPLOYMENT_SUCCEEDED, installed),
            (DEPLOYMENT_FAILED, failed),
        ):
            if by:
                self.increment_metric(deployment.key, label, status, by)

    def metric_fields(self, deployment: Deployment) -> dict[str, int]:
        """The deployment's counters as Redis answers ``HGETALL``."""
        return dict(self.metrics.get(deployment.key, {}))

    def metrics_of(self, deployment: Deployment) -> dict[str, MetricCounters]:
        """The counters per label, as ``toRestDeploymentMetrics`` groups them: a field's label
        is the text before its first ``:``, its kind the text after (unknown kinds count
        nothing but still list the label)."""
        out: dict[str, MetricCounters] = {}
        for name, value in self.metric_fields(deployment).items():
            parts = name.split(":")
            counters = out.setdefault(parts[0], MetricCounters())
            counter = COUNTER_OF_STATUS.get(parts[1]) if len(parts) > 1 else None
            if counter is not None:
                setattr(counters, counter, getattr(counters, counter) + value)
        return out
