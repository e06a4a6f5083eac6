"""Migration and backup: an app's deployments, keys and release histories moved between servers.

``export_app`` writes a self-contained folder (``manifest.json`` + ``packages/<hash>.zip``),
``import_app`` replays it onto a server, ``copy_app`` does both through a temporary folder.
Built only on the client's public calls. The history is replayed in upload order across
deployments so labels match, and a run is resumable: what the destination already holds
(a prefix of the plan, by label, package hash and method) is ``skipped``; a destination app
that differs is refused before any write.
"""

from __future__ import annotations

import heapq
import inspect
import json
import os
import re
import tempfile
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit, urlunsplit

import anyio
import attrs

from .._exceptions import CodePushError, NotFoundError, RateLimitError, ReleaseIntegrityError
from .._models.entities import Deployment, Package, ReleaseMethod, _Model
from .._models.reprs import call_repr
from .._release.hashing import package_hash
from .._release.integrity import community_package_hash
from .._version import __version__
from .._wire.flavors import COMMUNITY
from .._wire.validate import check_bool, check_name, check_optional_name
from ._client_api import ClientAPI

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MigrationError",
    "MigrationItem",
    "MigrationReport",
    "copy_app",
    "export_app",
    "import_app",
]

FORMAT = "codepush-async backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PACKAGES = "packages"
History = Literal["all", "current"]
Action = Literal["created", "replayed", "skipped", "failed", "planned"]
OnItem = Callable[["MigrationItem"], Awaitable[None] | None]
T = TypeVar("T")
_HASH = re.compile(r"[A-Za-z0-9_-]{1,128}")
_METHODS = {"release": ReleaseMethod.UPLOAD, "promote": ReleaseMethod.PROMOTE,
            "rollback": ReleaseMethod.ROLLBACK}
_DEFAULT_WAIT = 60.0


class MigrationError(CodePushError):
    """The migration was refused before any write (an unknown app, a destination that differs)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 409)


@attrs.frozen
class MigrationItem(_Model):
    """One step of a migration: a deployment created, a release replayed, skipped or failed.

    ``what`` is ``"deployment"``, ``"release"``, ``"promote"``, ``"rollback"``, ``"patch"``
    or ``"collaborator"`` (its e-mail in ``note``; ``deployment`` is empty);
    ``note`` says where the destination could not do what the source did (a promote replayed
    as a release, a rollout completed to 100 % as the server demands, a key not kept).
    """

    deployment: str
    what: str
    action: Action
    label: str | None = None
    package_hash: str | None = None
    note: str | None = None
    error: Exception | None = None

    def __repr__(self) -> str:
        return call_repr("MigrationItem", deployment=self.deployment, what=self.what,
                         action=self.action, label=self.label, note=self.note,
                         error=None if self.error is None else repr(self.error))


@attrs.frozen
class MigrationReport(_Model):
    """Every step of a copy or import, in order; true when none failed.

    ``keys`` maps each deployment to its key on the destination; ``new_keys`` the ones that
    differ from the source's (the destination ignored or was not given the old key).
    ``rate_limit_waits`` and ``waited`` count the waits for the destination's rate limits.
    """

    app: str
    destination_app: str
    items: tuple[MigrationItem, ...] = ()
    keys: Mapping[str, str] = attrs.field(factory=dict)
    new_keys: Mapping[str, str] = attrs.field(factory=dict)
    dry_run: bool = False
    rate_limit_waits: int = 0
    waited: float = 0.0

    def _with(self, action: str) -> tuple[MigrationItem, ...]:
        return tuple(item for item in self.items if item.action == action)

    @property
    def created(self) -> tuple[MigrationItem, ...]:
        """The deployments (and app) created."""
        return self._with("created")

    @property
    def replayed(self) -> tuple[MigrationItem, ...]:
        """The releases, promotes, rollbacks and patches written."""
        return self._with("replayed")

    @property
    def skipped(self) -> tuple[MigrationItem, ...]:
        """What the destination already held."""
        return self._with("skipped")

    @property
    def failed(self) -> tuple[MigrationItem, ...]:
        """The steps that failed (the run stops at the first)."""
        return self._with("failed")

    @property
    def planned(self) -> tuple[MigrationItem, ...]:
        """What a dry run would write."""
        return self._with("planned")

    @property
    def flagged(self) -> tuple[MigrationItem, ...]:
        """The items with a note: where the destination differs from the source."""
        return tuple(item for item in self.items if item.note)

    def by_deployment(self) -> dict[str, tuple[MigrationItem, ...]]:
        """The items of each deployment, in order."""
        grouped: dict[str, list[MigrationItem]] = {}
        for item in self.items:
            grouped.setdefault(item.deployment, []).append(item)
        return {name: tuple(items) for name, items in grouped.items()}

    def __bool__(self) -> bool:
        return not self.failed

    def __repr__(self) -> str:
        counts = {action: len(self._with(action)) or None
                  for action in ("created", "replayed", "skipped", "failed", "planned")}
        return call_repr("MigrationReport", app=self.app, to=self.destination_app,
                         flagged=len(self.flagged) or None, waits=self.rate_limit_waits or None,
                         **counts)


# The manifest


@attrs.frozen
class Entry:
    """One release of a source deployment, as the manifest keeps it."""

    deployment: str
    label: str | None
    app_version: str
    package_hash: str
    description: str | None = None
    is_mandatory: bool | None = None
    is_disabled: bool | None = None
    rollout: int = 100
    size: int | None = None
    upload_time: int | None = None
    release_method: str | None = None
    original_label: str | None = None
    original_deployment: str | None = None


def _entry(deployment: str, package: Package) -> Entry:
    if package.package_hash is None or package.app_version is None:
        raise MigrationError(f"release {package.label} of {deployment!r} has no package hash "
                             "or app version: it cannot be replayed")
    uploaded = package.upload_time
    return Entry(
        deployment=deployment, label=package.label, app_version=package.app_version,
        package_hash=package.package_hash, description=package.description,
        is_mandatory=package.is_mandatory, is_disabled=package.is_disabled,
        rollout=package.rollout, size=package.size,
        upload_time=None if uploaded is None else int(uploaded.timestamp() * 1000),
        release_method=package.release_method, original_label=package.original_label,
        original_deployment=package.original_deployment,
    )


def _public_url(url: str) -> str:
    """The server's URL without credentials, query or fragment."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


async def _read_app(cp: ClientAPI, app: str, history: History) -> dict[str, Any]:
    """The manifest of ``app`` as the source serves it now (reads only)."""
    try:
        found = await cp.apps.get(app)
    except NotFoundError:
        raise MigrationError(f"no app {app!r} on {_public_url(cp.server_url)}") from None
    deployments = []
    for deployment in await cp.deployments.list(app):
        releases = list(await cp.releases.history(app, deployment.name))
        if history == "current":
            releases = releases[-1:]
        metrics = await cp.deployments.metrics(app, deployment.name)
        deployments.append({
            "name": deployment.name,
            "key": deployment.key,
            "history": [attrs.asdict(_entry(deployment.name, p)) for p in releases],
            "metrics": {k: v.to_dict() for k, v in metrics.items()},
        })
    return {
        "format": FORMAT, "format_version": FORMAT_VERSION, "sdk_version": __version__,
        "source_server": _public_url(cp.server_url), "history": history,
        "exported_at": datetime.fromtimestamp(cp.clock.now(), timezone.utc).isoformat(),
        "app": {"name": found.name, "os": found.os, "platform": found.platform},
        "collaborators": await _collaborators(cp, app),
        "deployments": deployments,
    }


async def _collaborators(cp: ClientAPI, app: str) -> list[str]:
    """The e-mails of the app's collaborators (its owner is whoever imports it)."""
    listed = await cp.collaborators.list(app)
    return sorted(email for email, props in listed.items() if props.permission != "Owner")


def _entries(manifest: Mapping[str, Any]) -> list[Entry]:
    return [Entry(**entry) for d in manifest["deployments"] for entry in d["history"]]


def _package_file(directory: Path, digest: str) -> Path:
    if not _HASH.fullmatch(digest):
        raise MigrationError(f"package hash {digest!r} cannot name a file")
    return directory / PACKAGES / f"{digest}.zip"


def _first_of_each_package(entries: Iterable[Entry]) -> dict[str, Entry]:
    firsts: dict[str, Entry] = {}
    for entry in entries:
        firsts.setdefault(entry.package_hash, entry)
    return firsts


async def _fetch_packages(cp: ClientAPI, app: str, directory: Path,
                          entries: Sequence[Entry]) -> None:
    """Each distinct package once; one already there with the right hash is kept."""
    (directory / PACKAGES).mkdir(parents=True, exist_ok=True)
    for digest, entry in _first_of_each_package(entries).items():
        path = _package_file(directory, digest)
        if path.is_file() and await anyio.to_thread.run_sync(package_hash, path) == digest:
            continue
        await cp.releases.download(app, entry.deployment, entry.label, dest=path)


def _check_history(history: Any) -> History:
    if history not in ("all", "current"):
        raise ValueError(f"history must be 'all' or 'current', got {history!r}")
    return history  # type: ignore[no-any-return]


async def export_app(
    cp: ClientAPI, app: str, directory: str | os.PathLike[str], *, history: History = "all"
) -> Path:
    """Write a backup of ``app`` to ``directory``: ``manifest.json`` and its packages by hash.

    Re-runnable: packages already there with the right hash are not downloaded again. The
    manifest is written last, so a folder with one is complete; it holds no access key.
    """
    check_name(app, "app")
    _check_history(history)
    if not isinstance(directory, (str, os.PathLike)):
        raise ValueError(f"directory must be a path, got {type(directory).__name__}")
    folder = Path(directory)
    manifest = await _read_app(cp, app, history)
    await _fetch_packages(cp, app, folder, _entries(manifest))
    temp = folder / f"{MANIFEST}.tmp"
    temp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    temp.replace(folder / MANIFEST)
    return folder


def read_backup(directory: str | os.PathLike[str], *, packages: bool = True) -> dict[str, Any]:
    """The manifest of a backup folder, checked: ``ValueError`` for anything else."""
    if not isinstance(directory, (str, os.PathLike)):
        raise ValueError(f"directory must be a path, got {type(directory).__name__}")
    folder = Path(directory)
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise ValueError(f"{folder} is not a codepush-async backup: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ValueError(f"{folder} is not a codepush-async backup (no {FORMAT!r} manifest)")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(f"{folder} is a backup of format version {version!r}; this SDK "
                         f"reads versions up to {FORMAT_VERSION}: upgrade codepush-async")
    try:
        entries = _entries(manifest)
        check_name(manifest["app"]["name"], "the backup's app name")
        _check_emails(manifest.get("collaborators", []))
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{folder}/{MANIFEST} is damaged: {error!r}") from None
    missing = [e.package_hash for e in _first_of_each_package(entries).values()
               if packages and not _package_file(folder, e.package_hash).is_file()]
    if missing:
        raise ValueError(f"{folder} lacks the packages {', '.join(missing)}")
    return manifest


def _check_emails(emails: Any) -> None:
    if not isinstance(emails, list) or not all(isinstance(e, str) and e for e in emails):
        raise ValueError("collaborators must be a list of e-mail addresses")


# The plan


@attrs.frozen
class Step:
    """One write of the replay: ``entry`` as a release, promote or rollback."""

    entry: Entry
    method: Literal["release", "promote", "rollback"]
    note: str | None = None


def _ready(entry: Entry, placed: Mapping[str, Mapping[str | None, str]]) -> bool:
    """Whether the release a promote copies is placed (or will never be)."""
    origin = placed.get(entry.original_deployment or "")
    if entry.release_method != ReleaseMethod.PROMOTE or origin is None:
        return True
    return entry.original_label in origin


def _method(entry: Entry, placed: Mapping[str, Mapping[str | None, str]],
            current_only: bool) -> Step:
    """How ``entry`` is replayed: as what it is where it can be, else as a release, noted."""
    if entry.release_method not in (ReleaseMethod.PROMOTE, ReleaseMethod.ROLLBACK):
        return Step(entry, "release")
    method: Literal["promote", "rollback"] = (
        "promote" if entry.release_method == ReleaseMethod.PROMOTE else "rollback")
    origin = entry.original_deployment if method == "promote" else entry.deployment
    copied = placed.get(origin or "", {}).get(entry.original_label)
    crosses = method == "rollback" or origin != entry.deployment
    if not current_only and crosses and copied == entry.package_hash:
        return Step(entry, method)
    return Step(entry, "release", note=f"{entry.release_method} of {origin}/"
                f"{entry.original_label} replayed as a release of the same package")


def plan_steps(manifest: Mapping[str, Any]) -> list[Step]:
    """Every release in upload order across deployments (a promote after what it copies)."""
    current_only = manifest.get("history") == "current"
    queues = {d["name"]: [Entry(**e) for e in d["history"]] for d in manifest["deployments"]}
    order = {name: i for i, name in enumerate(queues)}
    placed: dict[str, dict[str | None, str]] = {name: {} for name in queues}
    heads = [0] * len(queues)
    names = list(queues)
    steps: list[Step] = []
    while True:
        waiting = [(queues[n][heads[i]], n) for i, n in enumerate(names)
                   if heads[i] < len(queues[n])]
        if not waiting:
            return steps
        ready = [(e, n) for e, n in waiting if _ready(e, placed)] or waiting
        entry, name = heapq.nsmallest(
            1, ready, key=lambda pair: (pair[0].upload_time or 0, order[pair[1]]))[0]
        heads[order[name]] += 1
        steps.append(_method(entry, placed, current_only))
        placed[name][entry.label] = entry.package_hash


# The replay


def _same(step: Step, package: Package, package_hash: str) -> bool:
    """Whether a destination release is this step's (label, package and method)."""
    wanted = _METHODS[step.method]
    return (package.label == step.entry.label and package.package_hash == package_hash
            and package.release_method in (None, wanted))


def _community_hashes(folder: Path, entries: Iterable[Entry]) -> dict[str, str]:
    """Each package's hash as the community server computes it (its own way, for a zip)."""
    hashes = {}
    for digest in _first_of_each_package(entries):
        theirs = community_package_hash(_package_file(folder, digest))
        hashes[digest] = theirs or digest
    return hashes


@attrs.define
class _Migration:
    """One import: the plan, the destination's state, and the report being built."""

    cp: ClientAPI
    manifest: Mapping[str, Any]
    packages: Path | None
    name: str
    keep_keys: bool
    dry_run: bool
    on_item: OnItem | None
    items: list[MigrationItem] = attrs.field(factory=list)
    keys: dict[str, str] = attrs.field(factory=dict)
    new_keys: dict[str, str] = attrs.field(factory=dict)
    history: dict[str, list[Package]] = attrs.field(factory=dict)
    placed: list[Step] = attrs.field(factory=list)
    community: bool = False
    hashes: dict[str, str] = attrs.field(factory=dict)
    waits: int = 0
    waited: float = 0.0

    @property
    def source(self) -> str:
        return str(self.manifest["app"]["name"])

    def report(self) -> MigrationReport:
        return MigrationReport(self.source, self.name, tuple(self.items), dict(self.keys),
                               dict(self.new_keys), self.dry_run, self.waits, self.waited)

    async def add(self, item: MigrationItem) -> None:
        self.items.append(item)
        if self.on_item is not None:
            result = self.on_item(item)
            if inspect.isawaitable(result):
                await result

    async def run(self) -> MigrationReport:
        steps = plan_steps(self.manifest)
        self.community = await self.cp.resolve_flavor() == COMMUNITY
        if self.community and self.packages is not None:
            self.hashes = await anyio.to_thread.run_sync(
                _community_hashes, self.packages, _entries(self.manifest))
        existing = await self._existing()
        self._check_prefix(steps, existing)
        app = self.manifest["app"]
        if existing is None and self.community and not (app.get("os") and app.get("platform")):
            raise MigrationError(
                f"the community server needs an app's os and platform, which {self.source!r} "
                f"does not name: create {self.name!r} there first with "
                "cp.apps.create(name, os=..., platform=...), then run again")
        if existing is None and not self.dry_run:
            await self.cp.apps.create(self.name, os=app.get("os"), platform=app.get("platform"),
                                      manually_provision_deployments=True)
        await self._deployments(existing or {})
        for step in steps:
            if not await self._step(step):
                return self.report()
        await self._collaborators()
        return self.report()

    async def _collaborators(self) -> None:
        """Add the source's collaborators that have an account on the destination."""
        wanted = self.manifest.get("collaborators") or []
        held = set() if self.dry_run and not await self._app_exists() else set(
            await self.cp.collaborators.list(self.name))
        for email in wanted:
            if email in held:
                await self.add(MigrationItem("", "collaborator", "skipped", note=email))
            elif self.dry_run:
                await self.add(MigrationItem("", "collaborator", "planned", note=email))
            else:
                await self.add(await self._collaborator(email))

    async def _collaborator(self, email: str) -> MigrationItem:
        try:
            await self.cp.collaborators.add(self.name, email)
        except NotFoundError:
            return MigrationItem("", "collaborator", "skipped",
                                 note=f"{email}: no account with this e-mail on the destination")
        return MigrationItem("", "collaborator", "created", note=email)

    async def _app_exists(self) -> bool:
        try:
            await self.cp.apps.get(self.name)
        except NotFoundError:
            return False
        return True

    async def _existing(self) -> dict[str, Deployment] | None:
        """The destination app's deployments with their histories; ``None``: no such app."""
        try:
            await self.cp.apps.get(self.name)
        except NotFoundError:
            return None
        deployments = {d.name: d for d in await self.cp.deployments.list(self.name)}
        for name in deployments:
            self.history[name] = list(await self.cp.releases.history(self.name, name))
        return deployments

    def _check_prefix(self, steps: Sequence[Step], existing: Mapping[str, Deployment] | None
                      ) -> None:
        """Refuse a destination app that is not a prefix of the plan, before any write."""
        if existing is None:
            return
        sources = {d["name"]: d.get("key") for d in self.manifest["deployments"]}
        for name, deployment in existing.items():
            planned = [s for s in steps if s.entry.deployment == name]
            held = self.history.get(name, [])
            if name not in sources:
                problem = f"it has a deployment {name!r} the backup lacks"
            elif len(held) > len(planned) or not all(
                    _same(step, package, self.stored_hash(step))
                    for step, package in zip(planned, held, strict=False)):
                problem = f"the history of {name!r} is not the backup's"
            elif not held and self._other_key(deployment.key, sources[name]):
                problem = f"{name!r} has another key than the backup's"
            else:
                continue
            raise MigrationError(
                f"app {self.name!r} already exists on the destination and differs from "
                f"{self.source!r} ({problem}): it is never merged; choose another to_name")

    def stored_hash(self, step: Step) -> str:
        """The package hash the destination gives this step's package."""
        return self.hashes.get(step.entry.package_hash, step.entry.package_hash)

    def _other_key(self, held: str | None, kept: str | None) -> bool:
        """A key the destination should hold (it takes custom keys) but does not."""
        return self.keep_keys and not self.community and held != kept

    async def _deployments(self, existing: Mapping[str, Deployment]) -> None:
        for source in self.manifest["deployments"]:
            name, key = source["name"], source.get("key")
            if name in existing:
                await self._keep(name, key, existing[name].key, "skipped")
                continue
            self.history[name] = []
            if self.dry_run:
                await self.add(MigrationItem(name, "deployment", "planned"))
                continue
            made = await self.cp.deployments.create(
                self.name, name, key=key if self.keep_keys else None)
            await self._keep(name, key, made.key, "created")

    async def _keep(self, name: str, key: str | None, now: str | None, action: Action) -> None:
        note = None
        if now is not None:
            self.keys[name] = now
            if now != key:
                self.new_keys[name] = now
                note = "new key (the source's was not kept)" if self.keep_keys else "new key"
        await self.add(MigrationItem(name, "deployment", action, note=note))

    async def _step(self, step: Step) -> bool:
        """Replay (or skip) one step and restore its final state; False after a failure."""
        entry, held = step.entry, self.history[step.entry.deployment]
        index = sum(1 for p in self._done(entry.deployment))
        if index < len(held):
            await self.add(self._item(step, "skipped", held[index]))
            self.placed.append(step)
            return await self._restore(entry, held[index])
        if self.dry_run:
            await self.add(self._item(step, "planned"))
            return True
        try:
            await self._finish_rollout(entry.deployment)
            package = await self._waiting(lambda: self._write(step))
            if package.label is None:  # a rollback's answer names no label: read it
                package = (await self.cp.releases.history(self.name, entry.deployment))[-1]
            if package.package_hash != self.stored_hash(step):
                raise ReleaseIntegrityError(
                    app=self.name, deployment=entry.deployment, label=package.label,
                    expected_hash=self.stored_hash(step), actual_hash=package.package_hash)
        except CodePushError as error:
            await self.add(self._item(step, "failed", error=error))
            return False
        held.append(package)
        self.placed.append(step)
        await self.add(self._item(step, "replayed", package))
        return await self._restore(entry, package)

    def _done(self, deployment: str) -> Iterable[Step]:
        return (s for s in self.placed if s.entry.deployment == deployment)

    def _item(self, step: Step, action: Action, package: Package | None = None,
              error: Exception | None = None) -> MigrationItem:
        entry = step.entry
        label = entry.label if package is None else package.label
        note = step.note
        if package is not None and package.label != entry.label:
            note = f"labelled {package.label} on the destination, {entry.label} at the source"
        return MigrationItem(entry.deployment, step.method, action, label, entry.package_hash,
                             note, error)

    async def _waiting(self, write: Callable[[], Awaitable[T]]) -> T:
        """``write``, waiting out the destination's rate limit as often as it asks."""
        while True:
            try:
                return await write()
            except RateLimitError as error:
                wait = error.retry_after if error.retry_after is not None else _DEFAULT_WAIT
                self.waits += 1
                self.waited += wait
                await self.cp.clock.sleep(wait)

    async def _finish_rollout(self, deployment: str) -> None:
        """Complete an unfinished rollout before the next write, as the server demands.

        (A faithful source never has one: the official server clears the previous release's
        rollout on each release; a backup edited or made elsewhere may.)
        """
        held = self.history[deployment]
        latest = held[-1] if held else None
        if latest is None or latest.rollout >= 100 or latest.is_disabled:
            return
        await self._patch(latest, deployment, {"rollout": 100}, (
            f"rollout of {latest.label} completed to 100% (was {latest.rollout}%): the server "
            "requires it before the next release"))

    async def _patch(self, package: Package, deployment: str, fields: Mapping[str, Any],
                     note: str) -> None:
        """Patch one destination release, keep its new state, and report it."""
        patched = await self.cp.releases.patch(self.name, deployment, package.label, **fields)
        new = patched or attrs.evolve(package, **fields)
        held = self.history[deployment]
        held[:] = [new if p.label == package.label else p for p in held]
        await self.add(MigrationItem(deployment, "patch", "replayed", package.label,
                                     package.package_hash, note))

    def _label(self, deployment: str, label: str | None) -> str | None:
        """The destination's label of a source release of ``deployment``."""
        steps = list(self._done(deployment))
        held = self.history[deployment]
        return next((held[i].label for i, s in enumerate(steps) if s.entry.label == label),
                    label)

    async def _write(self, step: Step) -> Package:
        entry = step.entry
        if step.method == "promote":
            origin = entry.original_deployment or ""
            return await self.cp.releases.promote(
                self.name, origin, entry.deployment,
                label=self._label(origin, entry.original_label),
                app_version=entry.app_version, description=entry.description or None,
                is_mandatory=entry.is_mandatory, is_disabled=entry.is_disabled,
                rollout=entry.rollout if entry.rollout < 100 else None)
        if step.method == "rollback":
            return await self.cp.releases.rollback(
                self.name, entry.deployment, self._label(entry.deployment, entry.original_label))
        assert self.packages is not None
        return await self.cp.releases.release(
            self.name, entry.deployment, _package_file(self.packages, entry.package_hash),
            entry.app_version, description=entry.description or None,
            is_mandatory=entry.is_mandatory, is_disabled=entry.is_disabled,
            rollout=entry.rollout if entry.rollout < 100 else None)

    async def _restore(self, entry: Entry, package: Package) -> bool:
        """Patch what differs from the source's final state (a rollback copies its target's)."""
        fields = _differences(entry, package)
        if self.community:  # it reports rollout and disabled as constants: never patched
            fields = {k: v for k, v in fields.items() if k not in ("rollout", "is_disabled")}
        if not fields or self.dry_run:
            return True
        try:
            await self._patch(package, entry.deployment, fields,
                              "restored " + ", ".join(sorted(fields)))
        except CodePushError as error:
            await self.add(MigrationItem(entry.deployment, "patch", "failed", package.label,
                                         entry.package_hash, error=error))
            return False
        return True


def _differences(entry: Entry, package: Package) -> dict[str, Any]:
    """The patch that gives ``package`` the source's final fields (what a patch can set)."""
    fields: dict[str, Any] = {}
    if entry.app_version != package.app_version:
        fields["app_version"] = entry.app_version
    if entry.description and entry.description != package.description:
        fields["description"] = entry.description
    if entry.is_mandatory is not None and entry.is_mandatory != bool(package.is_mandatory):
        fields["is_mandatory"] = entry.is_mandatory
    if entry.is_disabled is not None and entry.is_disabled != bool(package.is_disabled):
        fields["is_disabled"] = entry.is_disabled
    if package.rollout < entry.rollout:
        fields["rollout"] = entry.rollout
    return fields


def _check_options(to_name: Any, keep_keys: Any, dry_run: Any, on_item: Any) -> None:
    check_optional_name(to_name, "to_name")
    check_bool(keep_keys, "keep_keys")
    check_bool(dry_run, "dry_run")
    if on_item is not None and not callable(on_item):
        raise ValueError(f"on_item must be callable, got {type(on_item).__name__}")


async def import_app(
    cp: ClientAPI,
    directory: str | os.PathLike[str],
    *,
    to_name: str | None = None,
    keep_keys: bool = True,
    dry_run: bool = False,
    on_item: OnItem | None = None,
) -> MigrationReport:
    """Restore a backup folder onto ``cp``'s server (as ``to_name``, else its own name).

    Resumable: what the destination already holds is ``skipped``. ``dry_run`` reads only
    and returns the plan (``planned`` items).
    """
    _check_options(to_name, keep_keys, dry_run, on_item)
    manifest = read_backup(directory, packages=not dry_run)
    name = to_name or manifest["app"]["name"]
    migration = _Migration(cp, manifest, Path(directory), name, keep_keys, dry_run, on_item)
    return await migration.run()


async def copy_app(
    source: ClientAPI,
    destination: ClientAPI,
    app: str,
    *,
    to_name: str | None = None,
    keep_keys: bool = True,
    history: History = "all",
    dry_run: bool = False,
    on_item: OnItem | None = None,
) -> MigrationReport:
    """Copy ``app`` from ``source``'s server to ``destination``'s, each package downloaded once.

    An export into a temporary folder, then an import (a dry run downloads nothing).
    """
    check_name(app, "app")
    _check_history(history)
    _check_options(to_name, keep_keys, dry_run, on_item)
    if dry_run:
        manifest = await _read_app(source, app, history)
        migration = _Migration(destination, manifest, None, to_name or app, keep_keys, True,
                               on_item)
        return await migration.run()
    with tempfile.TemporaryDirectory(prefix="codepush-copy-") as folder:
        await export_app(source, app, folder, history=history)
        return await import_app(destination, folder, to_name=to_name, keep_keys=keep_keys,
                                on_item=on_item)
