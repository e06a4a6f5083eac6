"""``cp.bulk``: one operation over a fleet of apps, bounded, reported per item, safe to re-run.

Built only on the client's public calls (``cp.apps.list``, ``cp.deployments.get``,
``cp.releases.*``, ``cp.resolve_flavor``), so it reads as an example of the SDK. Each
item first reads the target's current state: a target already in the wanted state is
``skipped`` (so a re-run after a crash completes the rest and touches nothing twice), and
``dry_run`` stops there. The read and the write it decides are one step per target in
this process (two calls at once on one target take turns), and a write refused or left
unanswered is settled by reading the state again: never a second write.
"""

from __future__ import annotations

import contextlib
import fnmatch
import inspect
import time
import weakref
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from typing import Any, Generic, Literal, TypeVar

import anyio
import anyio.abc
import anyio.lowlevel
import attrs

from .._display.tables import Column, Displayed, Table, make_table, to_records
from .._exceptions import (
    APIConnectionError,
    CodePushError,
    ConflictError,
    IdenticalReleaseError,
    ServerError,
)
from .._models.entities import App, Package, ReleaseMethod, _Model
from .._models.export import Mode
from .._models.reprs import call_repr, format_value
from .._models.secret import redacted
from .._release.package import ReleaseContents
from .._release.prepared import prepare_release
from .._wire.semver import is_valid_range
from .._wire.validate import (
    check_bool,
    check_name,
    check_optional_str,
    check_rollout,
    check_size_limit,
)
from ._client_api import ClientAPI

__all__ = ["Bulk", "BulkError", "BulkResult", "ItemResult", "Status", "Target"]

Status = Literal["done", "skipped", "failed", "planned"]
ClientT = TypeVar("ClientT", bound=ClientAPI)
# Fields the community server stores and serves but reports as constants (rollout 100,
# isDisabled false): a read can never show a release already has the wanted value.
_UNREPORTED_BY_COMMUNITY = frozenset({"rollout", "is_disabled"})
DONE: Status = "done"
SKIPPED: Status = "skipped"
FAILED: Status = "failed"
PLANNED: Status = "planned"


def _check_name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string, got {value!r}")
    return check_name(value, what)  # blank or control characters: as the client refuses


@attrs.frozen
class Target(_Model):
    """One app (and the deployment the call acts on; ``None``: the call's deployment)."""

    app: str = attrs.field(validator=lambda _, __, v: _check_name(v, "Target.app"))
    deployment: str | None = attrs.field(
        default=None,
        validator=lambda _, __, v: v is None or _check_name(v, "Target.deployment"),
    )

    def __str__(self) -> str:
        return self.app if self.deployment is None else f"{self.app}/{self.deployment}"


TargetLike = str | Target
OnItem = Callable[["ItemResult"], Awaitable[None] | None]


@attrs.frozen
class ItemResult(_Model):
    """How one target ended: ``done``, ``skipped`` (already so), ``failed`` or ``planned``.

    ``value`` is the operation's answer (for ``skipped`` and ``planned``: the current
    release the decision was made on); ``error`` the exception of a failed item, kept as
    raised (an ``OutcomeUnknownError`` means the write may or may not have happened);
    ``attempts`` the writes sent for it (0 or 1: the client's retry policy retries inside
    one); ``elapsed`` its seconds from start to settle; ``reason`` why a ``skipped`` item
    needed no write (e.g. another writer reached the wanted state first).
    """

    target: Target
    status: Status
    value: Any = None
    error: Exception | None = None
    attempts: int = 0
    elapsed: float = 0.0
    reason: str | None = None

    @property
    def cause(self) -> str | None:
        """A failed item's error as ``"NotFoundError: ..."`` (``None`` for the others)."""
        return None if self.error is None else f"{type(self.error).__name__}: {self.error}"

    def __repr__(self) -> str:
        return call_repr("ItemResult", target=str(self.target), status=self.status,
                         error=self.cause, reason=self.reason, attempts=self.attempts,
                         elapsed=round(self.elapsed, 3))


_ITEM_COLUMNS: tuple[Column, ...] = (
    ("Target", lambda item: str(item.target)),
    ("Status", lambda item: item.status),
    ("Result", lambda item: item.cause or format_value(item.value)),
    ("Attempts", lambda item: str(item.attempts)),
    ("Elapsed", lambda item: f"{item.elapsed:.2f} s"),
)


class BulkError(CodePushError):
    """Some items of a bulk call failed; ``failed`` holds them, the message names each."""

    def __init__(self, failed: Sequence[ItemResult], total: int) -> None:
        causes = "; ".join(f"{item.target}: {item.cause}" for item in failed)
        super().__init__(f"{len(failed)} of {total} bulk items failed: {causes}")
        self.failed: tuple[ItemResult, ...] = tuple(failed)


@attrs.frozen
class BulkResult(_Model, Displayed):
    """Every item of a bulk call, in the order of its targets; true when none failed.

    ``operation`` names the call (``"promote"``, ...). It shows as one line of counts, and
    as a table of its items in a notebook, with ``rich`` or through ``table()``.
    """

    items: tuple[ItemResult, ...]
    operation: str | None = attrs.field(default=None, kw_only=True)

    def _with(self, status: Status) -> tuple[ItemResult, ...]:
        return tuple(item for item in self.items if item.status == status)

    @property
    def done(self) -> tuple[ItemResult, ...]:
        return self._with(DONE)

    @property
    def skipped(self) -> tuple[ItemResult, ...]:
        return self._with(SKIPPED)

    @property
    def failed(self) -> tuple[ItemResult, ...]:
        return self._with(FAILED)

    @property
    def planned(self) -> tuple[ItemResult, ...]:
        return self._with(PLANNED)

    def __bool__(self) -> bool:
        return not self.failed

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[ItemResult]:
        return iter(self.items)

    def __repr__(self) -> str:
        counts = Counter(item.status for item in self.items)
        return call_repr("BulkResult", operation=self.operation, done=counts[DONE],
                         skipped=counts[SKIPPED], failed=counts[FAILED],
                         planned=counts[PLANNED] or None)

    def to_records(
        self, *, by_alias: bool = False, mode: Mode = "python"
    ) -> list[dict[str, Any]]:
        """One dict per item, for ``pandas.DataFrame(result.to_records())``."""
        return to_records(self.items, by_alias=by_alias, mode=mode)

    def _table(self) -> Table:
        return make_table(_ITEM_COLUMNS, self.items)

    def raise_for_failures(self) -> None:
        """Raise ``BulkError`` naming each failed target and its cause, if any failed."""
        failed = self.failed
        if failed:
            raise BulkError(failed, len(self.items))


@attrs.frozen
class _Decision:
    """What reading a target's state decided: skip it (``reason`` says why), or write.

    ``reread`` and ``wanted`` settle a write that was refused or left unanswered: the
    state read again, and whether it is the one the write was for.
    """

    current: Any
    write: Callable[[], Awaitable[Any]] | None = None
    reason: str | None = None
    reread: Callable[[], Awaitable[Package | None]] | None = None
    wanted: Callable[[Package | None], bool] | None = None


_Read = Callable[[Target], Awaitable[_Decision]]
_Result = Callable[..., "ItemResult"]
# Write errors after which the server may hold the wanted state (someone else reached it,
# or this write did before its answer was lost): settled by reading, never by resending.
_SETTLED_BY_READING = (ConflictError, ServerError, APIConnectionError)
_WRITERS: weakref.WeakValueDictionary[tuple[Any, ...], anyio.Lock] = (
    weakref.WeakValueDictionary()
)


def _writer_lock(server_url: str, target: Target) -> anyio.Lock:
    """The lock under which this process's bulk items read, then write, ``target``."""
    key = (anyio.lowlevel.current_token(), server_url, target.app, target.deployment)
    lock = _WRITERS.get(key)
    if lock is None:
        lock = _WRITERS[key] = anyio.Lock()
    return lock


def _check_concurrency(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"concurrency must be an integer >= 1, got {value!r}")
    return value


def _check_options(dry_run: Any, on_item: Any) -> None:
    if not isinstance(dry_run, bool):
        raise ValueError(f"dry_run must be True or False, got {dry_run!r}")
    if on_item is not None and not callable(on_item):
        raise ValueError(f"on_item must be callable, got {type(on_item).__name__}")


def _check_write_options(options: dict[str, Any]) -> None:
    """The checks ``cp.releases`` makes of a write's options, made before the first read:
    a dry run never plans a write the real run would refuse, nor does a run send reads
    only to fail every item with the same ``ValueError``."""
    for name, value in options.items():
        if value is None:
            continue
        if name == "rollout":
            check_rollout(value)
        elif name in ("is_mandatory", "is_disabled", "no_duplicate_release_error"):
            check_bool(value, name)
        elif name == "description":
            check_optional_str(value, name)
        elif name == "label":
            check_name(value, name)
        elif name in ("app_version", "target_binary_version"):
            if not is_valid_range(check_name(value, name)):
                raise ValueError(f"{name} must be a semver version or range such as '1.2.3', "
                                 f"'1.2.x' or '^1.2.0', got {value!r}")
        elif name == "max_package_size":
            check_size_limit(value)
        elif name == "on_progress" and not callable(value):
            raise ValueError(f"on_progress must be callable, got {type(value).__name__}")


def _normalize(targets: Any, deployment: str | None) -> list[Target]:
    """Targets with their deployment filled in; clear errors for what cannot be meant."""
    if isinstance(targets, (str, bytes, Target)) or not isinstance(targets, Iterable):
        raise ValueError(
            "targets must be a list of app names or Targets (e.g. from bulk.targets()), "
            f"got {type(targets).__name__}"
        )
    found: list[Target] = []
    for entry in targets:
        if isinstance(entry, str):
            found.append(Target(_check_name(entry, "an app name"), deployment))
        elif isinstance(entry, Target):
            if deployment is not None and entry.deployment not in (None, deployment):
                raise ValueError(
                    f"Target {entry} names deployment {entry.deployment!r}, but this call "
                    f"acts on {deployment!r}"
                )
            found.append(Target(entry.app, deployment or entry.deployment))
        else:
            raise ValueError(f"a target must be an app name or a Target, got {entry!r}")
    repeated = [str(t) for t, n in Counter(found).items() if n > 1]
    if repeated:
        raise ValueError(f"duplicate targets: {', '.join(repeated)}")
    return found


async def _notify(on_item: OnItem | None, item: ItemResult) -> None:
    if on_item is not None:
        outcome = on_item(item)
        if inspect.isawaitable(outcome):
            await outcome


def _find_label(history: Sequence[Package], label: str, where: str) -> Package:
    for package in reversed(history):
        if package.label == label:
            return package
    raise ValueError(f"{where} has no release {label!r}")


def _same_content(a: Package | None, b: Package | None) -> bool:
    return a is not None and b is not None and a.package_hash is not None and (
        a.package_hash == b.package_hash
    )


def _same_release(a: Package | None, b: Package | None) -> bool:
    """Whether ``a`` and ``b`` are one release: the same label AND package hash."""
    if a is None or b is None:
        return a is b
    return a.label == b.label and a.package_hash == b.package_hash


def _previous(history: Sequence[Package], current: Package | None) -> Package | None:
    """The release before ``current`` in ``history``: what a rollback restores."""
    labels = [package.label for package in history]
    if current is None or current.label is None or current.label not in labels:
        return None
    index = labels.index(current.label)
    return history[index - 1] if index > 0 else None


Selection = str | Iterable[str] | Callable[[App], bool]


def _check_selection(apps: Selection, deployment: str | None, require_match: bool) -> list[str]:
    """The listed app names (none for a pattern or a predicate), checked before any request."""
    if deployment is not None:
        _check_name(deployment, "deployment")
    if not isinstance(require_match, bool):
        raise ValueError(f"require_match must be True or False, got {require_match!r}")
    if isinstance(apps, str) or callable(apps):
        return []
    if isinstance(apps, (bytes, bytearray)) or not isinstance(apps, Iterable):
        raise ValueError("apps must be an fnmatch pattern, a list of names or a "
                         f"predicate over App, got {type(apps).__name__}")
    return [_check_name(n, "an app name") for n in apps]


def _choose(apps: Selection, names: list[str], known: list[App]) -> tuple[list[App], str]:
    """The apps of ``known`` that ``apps`` chooses, and how an error names the choice."""
    if isinstance(apps, str):
        return [a for a in known if fnmatch.fnmatchcase(a.name, apps)], f"pattern {apps!r}"
    if callable(apps):
        return [a for a in known if apps(a)], "the predicate"
    by_name = {a.name: a for a in known}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise ValueError(f"no such apps on the server: {', '.join(missing)}")
    return [by_name[n] for n in dict.fromkeys(names)], "the names"


def _check_have_deployment(chosen: list[App], deployment: str) -> None:
    lacking = [a.name for a in chosen
               if a.deployments is not None and deployment not in a.deployments]
    if lacking:
        raise ValueError(f"apps without a {deployment!r} deployment: {', '.join(lacking)}")


class Bulk(Generic[ClientT]):
    """``cp.bulk``: promote, patch, release or roll back many apps in one call.

    Each call runs at most ``concurrency`` items at a time, all through the client's
    rate limiter and retry policy, and returns a ``BulkResult`` (an item's failure never
    raises, nor cancels the others). A write in flight is shielded from cancellation:
    it settles and is reported through ``on_item`` before the cancellation goes on. An
    exception from ``on_item`` stops the call the same way and is then raised as is.
    """

    def __init__(self, client: ClientT) -> None:
        self._cp = client

    def __repr__(self) -> str:
        return "<Bulk>"

    async def targets(
        self,
        apps: Selection = "*",
        deployment: str | None = None,
        *,
        require_match: bool = True,
    ) -> list[Target]:
        """The server's apps chosen by an ``fnmatch`` pattern, a list of names or a predicate.

        With ``require_match`` (the default) choosing nothing is an error, as are listed
        names the server does not have, or apps without ``deployment``.
        """
        names = _check_selection(apps, deployment, require_match)  # before any request
        known = sorted(await self._cp.apps.list(), key=lambda a: (a.name.casefold(), a.name))
        chosen, what = _choose(apps, names, known)
        if require_match and not chosen:
            raise ValueError(f"{what} matched none of the server's {len(known)} apps")
        if deployment is not None:
            _check_have_deployment(chosen, deployment)
        return [Target(a.name, deployment) for a in chosen]

    async def promote(
        self,
        targets: Iterable[TargetLike],
        source: str,
        dest: str,
        *,
        rollout: int | None = None,
        description: str | None = None,
        is_mandatory: bool | None = None,
        is_disabled: bool | None = None,
        label: str | None = None,
        app_version: str | None = None,
        concurrency: int = 8,
        dry_run: bool = False,
        on_item: OnItem | None = None,
    ) -> BulkResult:
        """``releases.promote`` per target (a ``Target``'s deployment is ``dest``).

        Skipped when the destination's current release already has the package promoted.
        """
        _check_name(source, "source")
        items = _normalize(targets, _check_name(dest, "dest"))
        overrides: dict[str, Any] = {"rollout": rollout, "description": description,
                     "is_mandatory": is_mandatory, "is_disabled": is_disabled,
                     "label": label, "app_version": app_version}
        _check_write_options(overrides)
        releases = self._cp.releases

        async def read(target: Target) -> _Decision:
            src = await self._cp.deployments.get(target.app, source)
            dst = await self._cp.deployments.get(target.app, dest)
            package = src.package
            if label is not None:
                history = await releases.history(target.app, source)
                package = _find_label(history, label, f"{target.app}/{source}")
            if _same_content(package, dst.package):
                return _Decision(dst.package, reason="the destination's current release "
                                 "already has this package")
            return _Decision(dst.package, lambda: releases.promote(
                target.app, source, dest, **overrides),
                reread=lambda: self._current(target.app, dest),
                wanted=lambda now: _same_content(package, now))

        return await self._run("promote", items, read, concurrency, dry_run, on_item)

    async def patch(
        self,
        targets: Iterable[TargetLike],
        deployment: str,
        *,
        label: str | None = None,
        rollout: int | None = None,
        is_disabled: bool | None = None,
        is_mandatory: bool | None = None,
        description: str | None = None,
        app_version: str | None = None,
        concurrency: int = 8,
        dry_run: bool = False,
        on_item: OnItem | None = None,
    ) -> BulkResult:
        """``releases.patch`` per target: the latest release, or ``label``.

        Skipped when the release already has every given value (rollout 100 = complete).
        A ``rollout`` or ``is_disabled`` for the community server, which never reports
        them, is always written: a read there cannot tell that the release has it.
        """
        wanted: dict[str, Any] = {"rollout": rollout, "is_disabled": is_disabled,
                  "is_mandatory": is_mandatory, "description": description,
                  "app_version": app_version}
        changes = {k: v for k, v in wanted.items() if v is not None}
        if not changes:
            raise ValueError(
                "patch needs at least one of rollout, is_disabled, is_mandatory, "
                "description or app_version: there is nothing to change"
            )
        _check_write_options({**changes, "label": label})
        items = _normalize(targets, _check_name(deployment, "deployment"))
        releases = self._cp.releases
        _check_concurrency(concurrency)
        _check_options(dry_run, on_item)  # both before the read that may learn the flavor
        unreported = changes.keys() & _UNREPORTED_BY_COMMUNITY
        judged_by_reads = not unreported or await self._cp.resolve_flavor() != "community"

        async def release_of(target: Target) -> Package | None:
            if label is None:
                return await self._current(target.app, deployment)
            history = await releases.history(target.app, deployment)
            return _find_label(history, label, f"{target.app}/{deployment}")

        def has_all(package: Package | None) -> bool:
            return judged_by_reads and package is not None and all(
                _has(package, field, value) for field, value in changes.items())

        async def read(target: Target) -> _Decision:
            current = await release_of(target)
            if has_all(current):
                return _Decision(current, reason="the release already has every given value")
            return _Decision(current, lambda: releases.patch(
                target.app, deployment, label, **changes),
                reread=lambda: release_of(target),
                wanted=lambda now: _same_release(now, current) and has_all(now))

        return await self._run("patch", items, read, concurrency, dry_run, on_item)

    async def release(
        self,
        targets: Iterable[TargetLike],
        deployment: str,
        contents: ReleaseContents,
        target_binary_version: str,
        *,
        concurrency: int = 1,
        dry_run: bool = False,
        on_item: OnItem | None = None,
        **release_options: Any,
    ) -> BulkResult:
        """``releases.release`` per target, the bundle zipped and hashed once for all.

        ``release_options`` (``description=``, ``rollout=``, ...) go to every
        ``releases.release`` call as given (``private_key=`` signs the zip made once).
        Skipped when the deployment's current release already has this package for this
        version (or the server calls it identical).

        ``concurrency`` defaults to 1: microsoft/code-push-server writes every upload to
        one shared temp file, so concurrent uploads to one server can fail (500) or publish
        another upload's bundle (measured on that server: 2-4 of 8 concurrent releases
        failed or were swapped). Raise it only for a server known not to do that.
        """
        private_key = redacted(release_options.pop("private_key", None))  # signs the one zip
        items = _normalize(targets, _check_name(deployment, "deployment"))
        _check_concurrency(concurrency)
        _check_options(dry_run, on_item)
        releases = self._cp.releases
        # Unknown options and bad values fail here, before any request, as for one release.
        inspect.signature(releases.release).bind(
            "app", deployment, contents, target_binary_version, **release_options)
        _check_write_options({**release_options, "target_binary_version": target_binary_version})
        limit = release_options.get("max_package_size") or self._cp.max_package_size
        async with prepare_release(contents, max_package_size=limit, private_key=private_key,
                                   clock=self._cp.clock) as prepared:

            def has_it(package: Package | None) -> bool:
                return package is not None and (
                    package.package_hash == prepared.package_hash
                    and package.app_version == target_binary_version)

            async def read(target: Target) -> _Decision:
                current = await self._current(target.app, deployment)
                if has_it(current):
                    return _Decision(current, reason="the current release already has this "
                                     "package for this version")
                return _Decision(current, lambda: releases.release(
                    target.app, deployment, prepared.contents, target_binary_version,
                    **release_options), reread=lambda: self._current(target.app, deployment),
                    wanted=has_it)

            return await self._run("release", items, read, concurrency, dry_run, on_item)

    async def rollback(
        self,
        targets: Iterable[TargetLike],
        deployment: str,
        *,
        target_release: str | None = None,
        concurrency: int = 8,
        dry_run: bool = False,
        on_item: OnItem | None = None,
    ) -> BulkResult:
        """``releases.rollback`` per target.

        Skipped when already rolled back: the current release has ``target_release``'s
        package, or (without ``target_release``) is itself a rollback, so a re-run never
        rolls a deployment back twice; pass ``target_release`` to go further back. The
        rollback names the release it restores (the one before the current release read),
        so a stale one can never restore the release it replaced.
        """
        items = _normalize(targets, _check_name(deployment, "deployment"))
        if target_release is not None:
            _check_name(target_release, "target_release")
        releases = self._cp.releases

        async def read(target: Target) -> _Decision:
            current = await self._current(target.app, deployment)
            if target_release is None and current is not None and (
                current.release_method == ReleaseMethod.ROLLBACK
            ):
                return _Decision(current, reason="the current release is already a rollback")
            history = await releases.history(target.app, deployment)
            if target_release is None:
                restored = _previous(history, current)
            else:
                restored = _find_label(history, target_release, f"{target.app}/{deployment}")
                if _same_content(current, restored) and current is not None and (
                    current.label != target_release
                ):
                    return _Decision(current, reason=f"the current release already has "
                                     f"{target_release}'s package")
            label = target_release or (restored.label if restored is not None else None)
            return _Decision(current, lambda: releases.rollback(
                target.app, deployment, label),
                reread=lambda: self._current(target.app, deployment),
                wanted=lambda now: _rolled_back(now, current, restored))

        return await self._run("rollback", items, read, concurrency, dry_run, on_item)

    async def run(
        self,
        targets: Iterable[TargetLike],
        fn: Callable[[ClientT, Target], Awaitable[Any]],
        *,
        concurrency: int = 8,
        on_item: OnItem | None = None,
    ) -> BulkResult:
        """``await fn(cp, target)`` per target for anything else; its value is the item's."""
        if not callable(fn):
            raise ValueError(f"fn must be an async callable, got {type(fn).__name__}")
        items = _normalize(targets, None)

        async def read(target: Target) -> _Decision:
            return _Decision(None, lambda: fn(self._cp, target))

        return await self._run("run", items, read, concurrency, False, on_item,
                               exclusive=False)

    async def _current(self, app: str, deployment: str) -> Package | None:
        return (await self._cp.deployments.get(app, deployment)).package

    async def _run(
        self,
        operation: str,
        targets: list[Target],
        read: _Read,
        concurrency: int,
        dry_run: bool,
        on_item: OnItem | None,
        *,
        exclusive: bool = True,
    ) -> BulkResult:
        """Settle every target, ``concurrency`` at a time, reporting each as it settles.

        ``exclusive``: each item reads and writes its target under the target's lock, so
        two calls at once never both write on what they read before the other wrote.
        """
        limiter = anyio.CapacityLimiter(_check_concurrency(concurrency))
        _check_options(dry_run, on_item)
        settled: list[ItemResult | None] = [None] * len(targets)
        callback_errors: list[Exception] = []

        async def report(index: int, item: ItemResult, group: anyio.abc.TaskGroup) -> None:
            settled[index] = item
            try:
                await _notify(on_item, item)
            except Exception as error:  # the caller's callback: stop, and raise it as is
                callback_errors.append(error)
                group.cancel_scope.cancel()

        async def one(index: int, target: Target, group: anyio.abc.TaskGroup) -> None:
            async with limiter:
                started = time.perf_counter()

                def result(status: Status, value: Any = None, error: Exception | None = None,
                           attempts: int = 0, reason: str | None = None) -> ItemResult:
                    return ItemResult(target, status, value, error, attempts,
                                      time.perf_counter() - started, reason)

                lock = _writer_lock(self._cp.server_url, target) if exclusive else None
                async with lock or contextlib.nullcontext():
                    item = await _settle(read, target, dry_run, result)
                if item.attempts:  # a write that went out is reported even when cancelled
                    with anyio.CancelScope(shield=True):
                        await report(index, item, group)
                    return
                await report(index, item, group)

        async with anyio.create_task_group() as group:
            for index, target in enumerate(targets):
                group.start_soon(one, index, target, group)
        if callback_errors:
            raise callback_errors[0]
        assert all(item is not None for item in settled)
        return BulkResult(
            tuple(item for item in settled if item is not None), operation=operation
        )


async def _settle(read: _Read, target: Target, dry_run: bool, result: _Result) -> ItemResult:
    """Read ``target``, then write at once if the state read calls for it."""
    try:
        decision = await read(target)
    except Exception as error:  # reported per item, never hidden
        return result(FAILED, error=error)
    if decision.write is None:
        return result(SKIPPED, decision.current, reason=decision.reason)
    if dry_run:
        return result(PLANNED, decision.current)
    return await _write(decision, result)


async def _write(decision: _Decision, result: _Result) -> ItemResult:
    """Send the write and settle it: once sent, it settles even when the call is cancelled."""
    assert decision.write is not None
    with anyio.CancelScope(shield=True):
        try:
            value = await decision.write()
        except IdenticalReleaseError:  # the server says the target already has it
            return result(SKIPPED, decision.current, attempts=1,
                          reason="the server calls it identical to the current release")
        except _SETTLED_BY_READING as error:
            return await _settle_by_reading(decision, error, result)
        except Exception as error:  # reported per item, never hidden
            return result(FAILED, error=error, attempts=1)
    if value is None and decision.current is not None:  # a patch that changed nothing
        return result(SKIPPED, decision.current, attempts=1,
                      reason="the server reports nothing changed")
    return result(DONE, value, attempts=1)


async def _settle_by_reading(
    decision: _Decision, error: CodePushError, result: _Result
) -> ItemResult:
    """A write refused or unanswered: ``skipped`` if the server now holds the state it was
    for (another writer's, or this one's before its answer was lost), else ``failed``."""
    try:
        now = None if decision.reread is None else await decision.reread()
    except Exception:  # the state cannot be told: the write's own error stands
        now = None
    if decision.wanted is None or now is None or not decision.wanted(now):
        return result(FAILED, error=error, attempts=1)
    return result(SKIPPED, now, attempts=1, reason=(
        f"the server already holds the wanted state (reached by another writer, or by this "
        f"write before its answer: {type(error).__name__}: {error})"))


def _rolled_back(now: Package | None, read: Package | None, restored: Package | None) -> bool:
    """Whether ``now`` is a rollback, newer than ``read``, that restored ``restored``."""
    return now is not None and now.release_method == ReleaseMethod.ROLLBACK and (
        _same_content(restored, now) and not _same_release(now, read))


def _has(package: Package, field: str, value: Any) -> bool:
    """Whether ``package`` already has ``value`` for ``field`` (a rollout of 100 = none)."""
    current = getattr(package, field)
    if field == "rollout":
        return bool((100 if current is None else current) == value)
    if field in ("is_disabled", "is_mandatory"):
        return bool(current) is value
    return bool(current == value)
