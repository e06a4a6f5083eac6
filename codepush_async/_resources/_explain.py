"""Why a device got its update-check answer: the deciding rule, found by elimination.

Given the deployment's history and the server's answer, each release newer than the one the
device was offered (or runs) was skipped for one of three reasons, tried in the server's
order: it is disabled; it is an unfinished rollout this client id is not selected for (the
server's hash, computed locally); else its range does not cover the binary. No semver engine
is needed: the server already evaluated the ranges, and its answer says the outcome.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._models.devices import CheckReason, SkippedRelease, UpdateCheck, UpdateExplanation
from .._models.entities import FULL_ROLLOUT, Package
from .._wire.rollout import is_selected_for_rollout, rollout_hash

__all__ = ["Device", "explain"]

_BY_REASON = {
    CheckReason.NO_RELEASE: "no-release",
    CheckReason.BINARY_TOO_OLD: "binary-too-old",
    CheckReason.NO_RELEASE_FOR_BINARY: "no-release-for-binary",
}


class Device:
    """What the device sent: its binary, client id, label and package hash."""

    def __init__(self, app_version: str, client_id: str | None, label: str | None,
                 package_hash: str | None) -> None:
        self.app_version = app_version
        self.client_id = client_id
        self.label = label
        self.package_hash = package_hash

    @property
    def rollout_id(self) -> str:
        """The id the server places in rollouts: a device that sends none is ``"undefined"``."""
        return "undefined" if self.client_id is None else self.client_id


def _last_index(history: Sequence[Package], label: str | None) -> int:
    """The index of ``label`` in ``history``; -1 when absent."""
    return next((i for i in range(len(history) - 1, -1, -1)
                 if label is not None and history[i].label == label), -1)


def _device_index(history: Sequence[Package], device: Device) -> int:
    """Where the device's own release sits: by label, else by package hash; -1 if absent.

    (The server itself finds a device by label only: one that sends none is never found, so
    every mandatory release counts for it; see ``_rollup``.)
    """
    found = _last_index(history, device.label)
    if found >= 0 or not device.package_hash:
        return found
    return next((i for i in range(len(history) - 1, -1, -1)
                 if history[i].package_hash == device.package_hash), -1)


def _skip_rule(package: Package, device: Device) -> str:
    if package.is_disabled:
        return "disabled"
    if package.rollout < FULL_ROLLOUT and not is_selected_for_rollout(
        device.rollout_id, package.rollout, package.label or package.package_hash or ""
    ):
        return "rollout"
    return "range"


def _rule_text(rule: str, package: Package, device: Device) -> str:
    label = package.label
    if rule == "disabled":
        return f"{label} is disabled"
    if rule == "rollout":
        tag = package.label or package.package_hash or ""
        bucket = int(abs(rollout_hash(f"{device.rollout_id}-{tag}")) % 100)
        return (f"{label} is rolled out to {package.rollout}% of devices and client id "
                f"{device.rollout_id!r} falls outside it (its bucket is {bucket})")
    return (f"{label} targets binary {package.app_version}, which does not cover "
            f"{device.app_version}")


def _outcome(check: UpdateCheck) -> str:
    if check.is_available:
        return f"so the device is offered {check.label}."
    return "so the device stays on what it runs."


def _rollup(history: Sequence[Package], start: int, offered: int) -> Package | None:
    """The newest enabled mandatory release between the device's and the offered one."""
    return next((p for p in reversed(history[start + 1:offered])
                 if p.is_mandatory and not p.is_disabled), None)


def _without_skips(
    check: UpdateCheck, history: Sequence[Package], device: Device, offered: int
) -> tuple[str, str | None, str]:
    """The rule when no newer release was skipped: the answer's own."""
    if not check.is_available:
        return "up-to-date", device.label, (
            f"the device already runs {device.label or device.package_hash}, the newest "
            f"release for binary {device.app_version}.")
    rollup = _rollup(history, _last_index(history, device.label), offered)
    if check.is_mandatory and rollup is not None and not history[offered].is_mandatory:
        return "mandatory-rollup", rollup.label, (
            f"{check.label} is offered as mandatory: {rollup.label}, released after the "
            "device's release, is mandatory and the device would skip it.")
    if check.label == device.label and device.package_hash is None:
        return "reoffered", check.label, (
            f"{check.label} is the device's own release, offered again: the device sent its "
            "label but no package_hash, and the server finds a device up to date by its hash.")
    return "update", check.label, (
        f"{check.label} is the newest release binary {device.app_version} may take; "
        "it is offered.")


def explain(check: UpdateCheck, history: Sequence[Package], device: Device) -> UpdateExplanation:
    """Name the rule that decided ``check`` for ``device`` over the deployment's ``history``."""
    offered = _last_index(history, check.label) if check.is_available else -1
    start = offered if check.is_available else _device_index(history, device)
    newer = list(reversed(history[start + 1:]))
    skipped = tuple(SkippedRelease(p.label or "", _skip_rule(p, device)) for p in newer)
    reason = check.reason
    if reason in _BY_REASON and (check.should_run_binary_version or not skipped):
        return UpdateExplanation(check, _BY_REASON[reason], None, check.why, skipped)
    if skipped:
        first = skipped[0]
        text = f"{_rule_text(first.rule, newer[0], device)}, {_outcome(check)}"
        if check.update_app_version:
            text += f" A store update to binary {check.app_version} would get newer releases."
        return UpdateExplanation(check, first.rule, first.label, text, skipped)
    rule, release, text = _without_skips(check, history, device, offered)
    return UpdateExplanation(check, rule, release, text, skipped)
