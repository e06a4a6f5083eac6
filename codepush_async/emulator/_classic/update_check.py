"""The official server's update-check rules (``utils/acquisition.ts`` ``getUpdatePackageInfo``),
line for line, over the emulator's history. Answers are dicts in the server's key order; a
``None`` value is a JavaScript ``undefined`` (left out of the JSON)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .._node import semver as _semver
from .._store import Package
from .base import is_unfinished_rollout

# What a plain object inherits: ``diffPackageMap[hash]`` finds these for any map.
_OBJECT_PROTOTYPE = frozenset(
    (
        "__defineGetter__", "__defineSetter__", "__lookupGetter__", "__lookupSetter__",
        "__proto__", "constructor", "hasOwnProperty", "isPrototypeOf",
        "propertyIsEnumerable", "toLocaleString", "toString", "valueOf",
    )
)  # fmt: skip


@dataclass(frozen=True)
class UpdateRequest:
    """An update check as the rules see it: every field is ``String(query value)``, so a
    parameter the device left out is the text ``"undefined"``."""

    app_version: str
    package_hash: str
    label: str
    is_companion: bool


@dataclass
class UpdateAnswer:
    """``UpdateCheckCacheResponse``: the package for everyone, and the one for devices a
    rollout selects (with its percentage)."""

    original: dict[str, Any]
    rollout_package: dict[str, Any] | None = None
    rollout: int | None = None


@dataclass
class _Scan:
    """What the scan of the history found (``getUpdatePackage``'s locals)."""

    latest_enabled: Package | None = None
    latest_satisfying: Package | None = None
    make_mandatory: bool = False
    found_request_package: bool = field(default=False, repr=False)


def _no_update() -> dict[str, Any]:
    return {
        "downloadURL": "",
        "description": "",
        "isAvailable": False,
        "isMandatory": False,
        "appVersion": "",
        "packageHash": "",
        "label": "",
        "packageSize": 0,
        "updateAppVersion": False,
    }


def _is_request_package(pkg: Package, request: UpdateRequest) -> bool:
    """The device runs ``pkg``: by label when it sent one, else by hash (both empty: any)."""
    if not request.label and not request.package_hash:
        return True
    if request.label:
        return pkg.label == request.label
    return pkg.package_hash == request.package_hash


def _scan(history: Sequence[Package], request: UpdateRequest, ignore_rollouts: bool) -> _Scan:
    scan = _Scan()
    for pkg in reversed(history):
        scan.found_request_package = scan.found_request_package or _is_request_package(pkg, request)
        if pkg.is_disabled or (ignore_rollouts and is_unfinished_rollout(pkg.rollout)):
            continue
        scan.latest_enabled = scan.latest_enabled or pkg
        if not request.is_companion and not _semver.satisfies(request.app_version, pkg.app_version):
            continue
        scan.latest_satisfying = scan.latest_satisfying or pkg
        if scan.found_request_package:
            break
        if pkg.is_mandatory:
            scan.make_mandatory = True
            break
    return scan


def _binary_answer(details: dict[str, Any], request: UpdateRequest, latest: Package) -> None:
    """No update: say which app version the latest release targets when the binary is newer
    than its range (``semver.gtr``) or outside it (then also ``updateAppVersion``)."""
    if _semver.gtr(request.app_version, latest.app_version):
        details["appVersion"] = latest.app_version
    elif not _semver.satisfies(request.app_version, latest.app_version):
        details["updateAppVersion"] = True
        details["appVersion"] = latest.app_version


def _diff_entry(pkg: Package, package_hash: str) -> dict[str, Any] | None:
    """``diffPackageMap[packageHash]`` when truthy (an inherited member reads as an empty
    object, as it does in JavaScript)."""
    diffs = pkg.diff_package_map
    if not package_hash or not diffs:
        return None
    if package_hash in diffs:
        entry = diffs[package_hash]
        return entry if isinstance(entry, dict) else ({} if entry else None)
    return {} if package_hash in _OBJECT_PROTOTYPE else None


def _update_package(
    history: Sequence[Package], request: UpdateRequest, blobs: str, *, ignore_rollouts: bool
) -> tuple[dict[str, Any], int | None]:
    """``getUpdatePackage``: the answer and the offered release's rollout."""
    details = _no_update()
    if not history:
        details["shouldRunBinaryVersion"] = True
        return details, None
    scan = _scan(history, request, ignore_rollouts)
    target = scan.latest_satisfying
    details["shouldRunBinaryVersion"] = target is None
    if scan.latest_enabled is None:
        return details, None
    if target is None or target.package_hash == request.package_hash:
        _binary_answer(details, request, scan.latest_enabled)
        return details, None
    diff = _diff_entry(target, request.package_hash)
    if diff is not None:
        details["downloadURL"] = diff.get("url")
        details["packageSize"] = diff.get("size")
    else:
        details["downloadURL"] = blobs + target.blob_id
        details["packageSize"] = target.size
    details["description"] = target.description
    details["isMandatory"] = scan.make_mandatory or target.is_mandatory
    details["isAvailable"] = True
    details["label"] = target.label
    details["packageHash"] = target.package_hash
    details["appVersion"] = request.app_version
    return details, target.rollout


def update_package_info(
    history: Sequence[Package], request: UpdateRequest, blobs: str
) -> UpdateAnswer:
    """``getUpdatePackageInfo``: with an unfinished rollout, also the answer without it."""
    details, rollout = _update_package(history, request, blobs, ignore_rollouts=False)
    if not is_unfinished_rollout(rollout):
        return UpdateAnswer(details)
    original, _ = _update_package(history, request, blobs, ignore_rollouts=True)
    return UpdateAnswer(original, details, rollout)
