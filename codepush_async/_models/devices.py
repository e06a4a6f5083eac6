"""What a device learns from an update check, and why it got that answer."""

from __future__ import annotations

import enum

import attrs

from .entities import _Model
from .reprs import short_repr

__all__ = ["CheckReason", "SkippedRelease", "UpdateCheck", "UpdateExplanation"]


class CheckReason(str, enum.Enum):
    """Which of the server's rules decided an update check, read from the answer alone."""

    UPDATE = "UPDATE"
    """A release is offered."""
    UP_TO_DATE = "UP_TO_DATE"
    """The device already runs the newest release its binary may take."""
    NO_RELEASE = "NO_RELEASE"
    """The deployment has no enabled release at all."""
    BINARY_TOO_OLD = "BINARY_TOO_OLD"
    """The newest enabled release targets a newer binary: a store update is needed."""
    NO_RELEASE_FOR_BINARY = "NO_RELEASE_FOR_BINARY"
    """No enabled release's range covers this binary (it is newer than all of them)."""


@attrs.frozen
class UpdateCheck(_Model):
    """The server's answer to a device's update check (``cp.devices.check``).

    ``label``, ``package_hash`` and ``download_url`` are ``None`` when the server sends
    them empty (nothing offered); ``target_binary_range`` is the range the server names.
    Its repr is short and leaves ``download_url`` out (blob stores sign URLs in it).
    """

    is_available: bool
    should_run_binary_version: bool
    update_app_version: bool
    label: str | None
    package_hash: str | None
    download_url: str | None
    package_size: int
    app_version: str
    description: str
    is_mandatory: bool
    target_binary_range: str

    @property
    def reason(self) -> CheckReason:
        """The rule that decided this answer."""
        if self.is_available:
            return CheckReason.UPDATE
        if self.should_run_binary_version and not self.app_version:
            return CheckReason.NO_RELEASE
        if self.update_app_version:
            return CheckReason.BINARY_TOO_OLD
        if self.should_run_binary_version:
            return CheckReason.NO_RELEASE_FOR_BINARY
        return CheckReason.UP_TO_DATE

    @property
    def why(self) -> str:
        """One sentence saying why the device got this answer."""
        reason = self.reason
        if reason is CheckReason.UPDATE:
            mandatory = "a mandatory" if self.is_mandatory else "an"
            return f"{mandatory} update to {self.label} is offered ({self.package_size} bytes)."
        if reason is CheckReason.NO_RELEASE:
            return "the deployment has no enabled release: the device runs its binary's bundle."
        if reason is CheckReason.BINARY_TOO_OLD:
            return (f"the newest release targets binary {self.app_version}: this binary needs a "
                    "store update to get it.")
        if reason is CheckReason.NO_RELEASE_FOR_BINARY:
            return (f"no enabled release's range covers this binary (the newest targets "
                    f"{self.app_version}): the device runs its binary's bundle.")
        return "the device already runs the newest release for its binary."

    def __repr__(self) -> str:
        available = self.is_available
        return short_repr(
            "UpdateCheck",
            self.reason.value,
            ("label", self.label),
            ("size", self.package_size if available else None),
            "mandatory" if available and self.is_mandatory else None,
            ("binary", self.app_version or None),
        )


@attrs.frozen
class SkippedRelease(_Model):
    """A release newer than the one offered, and why this device was not given it."""

    label: str
    rule: str
    """``"disabled"``, ``"rollout"`` (this device is outside its percentage) or
    ``"range"`` (its ``app_version`` range does not cover the binary)."""


@attrs.frozen
class UpdateExplanation(_Model):
    """Why a device got its answer (``cp.devices.explain``).

    ``rule`` is one of ``"update"``, ``"mandatory-rollup"``, ``"up-to-date"``,
    ``"no-release"``, ``"binary-too-old"``, ``"no-release-for-binary"``, ``"disabled"``,
    ``"rollout"`` or ``"range"`` (the last three: a newer release was skipped for that
    reason); ``release`` is the label it concerns; ``text`` says it in a sentence.
    """

    check: UpdateCheck
    rule: str
    release: str | None
    text: str
    skipped: tuple[SkippedRelease, ...] = ()

    def __repr__(self) -> str:
        return short_repr("UpdateExplanation", self.rule, ("release", self.release),
                          ("skipped", len(self.skipped) or None))
