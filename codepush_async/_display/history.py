"""The CLI's ``deployment history`` view: each release joined with its install metrics.

Pure functions over what ``releases.history`` and ``deployments.metrics`` return (no I/O);
the computation is the CLI's: ``total_active`` sums ``active`` over every metrics key,
``active_percent`` is ``active / total_active`` (0 when the total is 0), ``pending`` is
``downloaded - installed - failed`` and ``rollbacks`` is ``failed``. A null counter counts as
0, as it does in the CLI's arithmetic. A release without metrics (a server without Redis
keeps none) has every metric ``None``: missing metrics are never shown as healthy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import attrs

from .._models.entities import FULL_ROLLOUT, Package, UpdateMetrics, _Model, release_source
from .._models.reprs import format_value, short_repr
from .tables import Column, ModelList, Table

__all__ = ["DeploymentHistory", "HistoryRow", "join_history"]


@attrs.frozen
class HistoryRow(_Model):
    """One release of a deployment with its metrics, as ``code-push deployment history`` shows.

    ``release_note`` is ``Promoted v2 from "Staging"`` or ``Rolled back v4 to v2``.
    """

    label: str | None = None
    upload_time: datetime | None = None
    app_version: str | None = None
    is_mandatory: bool = False
    is_disabled: bool = False
    rollout: int = FULL_ROLLOUT
    description: str | None = None
    released_by: str | None = None
    release_method: str | None = None
    release_note: str | None = None
    package_hash: str | None = None
    size: int | None = None
    active: int | None = None
    total_active: int | None = None
    active_percent: float | None = None
    installed: int | None = None
    downloaded: int | None = None
    pending: int | None = None
    rollbacks: int | None = None

    @property
    def has_metrics(self) -> bool:
        """Whether the server reported install metrics for this release."""
        return self.total_active is not None

    def __repr__(self) -> str:
        return short_repr(
            "HistoryRow",
            self.label or "(no label)",
            ("app", self.app_version),
            ("rollout", f"{self.rollout}%"),
            "mandatory" if self.is_mandatory else None,
            "disabled" if self.is_disabled else None,
            _metrics_summary(self) if self.has_metrics else "no installs recorded",
            self.release_note,
        )


def _metrics_summary(row: HistoryRow) -> str:
    return (
        f"active {format_percent(row.active_percent)} ({row.active} of {row.total_active}), "
        f"installed {row.installed}, pending {row.pending}, rollbacks {row.rollbacks}"
    )


def format_percent(value: float | None) -> str:
    """The CLI's percentage: ``100%``, ``0%``, else two significant digits (``55%``, ``5.5%``)."""
    if value is None:
        return ""
    if value in (0.0, 100.0):
        return f"{value:.0f}%"
    shown = f"{value:.2g}"
    return f"{value:.0f}%" if "e" in shown else f"{shown}%"


def _n(value: int | None) -> int:
    return value or 0


def join_history(
    packages: Iterable[Package], metrics: Mapping[str, UpdateMetrics]
) -> DeploymentHistory:
    """Each release with the metrics of its label, in the order given (oldest first)."""
    total_active = sum(_n(m.active) for m in metrics.values())
    rows = []
    for package in packages:
        counts = metrics.get(package.label) if package.label is not None else None
        fields: dict[str, int | float | None] = {}
        if counts is not None:
            active = _n(counts.active)
            fields = {
                "active": active,
                "total_active": total_active,
                "active_percent": active / total_active * 100 if total_active else 0.0,
                "installed": _n(counts.installed),
                "downloaded": _n(counts.downloaded),
                "pending": _n(counts.downloaded) - _n(counts.installed) - _n(counts.failed),
                "rollbacks": _n(counts.failed),
            }
        rows.append(
            HistoryRow(
                label=package.label,
                upload_time=package.upload_time,
                app_version=package.app_version,
                is_mandatory=bool(package.is_mandatory),
                is_disabled=bool(package.is_disabled),
                rollout=package.rollout,
                description=package.description,
                released_by=package.released_by,
                release_method=package.release_method,
                release_note=release_source(package),
                package_hash=package.package_hash,
                size=package.size,
                **fields,  # type: ignore[arg-type]
            )
        )
    return DeploymentHistory(rows, item_type=HistoryRow)


def install_metrics(row: HistoryRow) -> str:
    """The CLI's "Install Metrics" cell."""
    rollout = f"\nRollout: {row.rollout}%" if row.rollout != FULL_ROLLOUT else ""
    disabled = "\nDisabled: Yes" if row.is_disabled else ""
    if not row.has_metrics:
        return "No installs recorded" + rollout + disabled
    text = (
        f"Active: {format_percent(row.active_percent)} ({row.active} of {row.total_active})\n"
        f"Total: {row.installed}"
    )
    if row.pending is not None and row.pending > 0:
        text += f" ({row.pending} pending)"
    if row.rollbacks:
        text += f"\nRollbacks: {row.rollbacks}"
    return text + rollout + disabled


def _release_time(row: HistoryRow) -> str:
    time = format_value(row.upload_time)
    return f"{time}\n({row.release_note})" if row.release_note else time


HISTORY_COLUMNS: tuple[Column, ...] = (
    ("Label", lambda r: r.label or ""),
    ("Release Time", _release_time),
    ("App Version", lambda r: r.app_version or ""),
    ("Mandatory", lambda r: "Yes" if r.is_mandatory else "No"),
    ("Description", lambda r: r.description or ""),
    ("Install Metrics", install_metrics),
)


class DeploymentHistory(ModelList[HistoryRow]):
    """The rows of ``cp.deployments.history``, shown as the CLI's table."""

    def _table(self) -> Table:
        return Table(
            tuple(h for h, _ in HISTORY_COLUMNS),
            tuple(tuple(get(row) for _, get in HISTORY_COLUMNS) for row in self),
        )
