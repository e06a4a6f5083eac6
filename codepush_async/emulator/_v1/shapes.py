"""JSON shapes of the ``/api/v1`` dialect: releases, apps, deployments, collaborators, tokens.

Release fields are always present (``rollout`` 100 when complete, flags ``false`` when unset),
as docs/v1-wire.md lists them; timestamps of tokens are ISO-8601, ``uploadTime`` epoch ms.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from .._classic.wire import sorted_by_locale
from .._node.coercion import js_sort_key
from .._store import AccessKey, App, Deployment, MetricCounters, Package

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def iso8601(epoch_ms: int) -> str:
    """``2024-01-01T00:00:00Z`` (milliseconds appear only when not zero)."""
    moment = _EPOCH + timedelta(milliseconds=epoch_ms)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if epoch_ms % 1000:
        text += f".{epoch_ms % 1000:03d}"
    return text + "Z"


def release(pkg: Package, blobs: str) -> dict[str, Any]:
    """A release; ``blobs`` is the URL prefix of blob downloads (``Ctx.blobs``)."""
    return {
        "label": pkg.label,
        "appVersion": pkg.app_version,
        "description": pkg.description,
        "isMandatory": bool(pkg.is_mandatory),
        "isDisabled": bool(pkg.is_disabled),
        "rollout": 100 if pkg.rollout is None else pkg.rollout,
        "size": pkg.size,
        "uploadTime": pkg.upload_time,
        "packageHash": pkg.package_hash,
        "blobUrl": blobs + pkg.blob_id,
        "releaseMethod": pkg.release_method,
    }


def release_with_metrics(
    pkg: Package, counters: MetricCounters | None, blobs: str
) -> dict[str, Any]:
    """A ``GET .../releases`` entry: the release and its label's counters (zeros if none)."""
    counters = counters or MetricCounters()
    return {
        **release(pkg, blobs),
        "metrics": {
            "totalActive": counters.active,
            "downloaded": counters.downloaded,
            "installed": counters.installed,
            "failed": counters.failed,
        },
    }


def deployment(dep: Deployment, blobs: str) -> dict[str, Any]:
    current = dep.package
    return {
        "name": dep.name,
        "key": dep.key,
        "package": None if current is None else release(current, blobs),
    }


def collaborators(app: App) -> list[dict[str, str]]:
    """Members as a list sorted by e-mail (the classic dialect keys a map by e-mail)."""
    return [
        {"email": email, "permission": app.collaborators[email].permission}
        for email in sorted(app.collaborators, key=js_sort_key)
    ]


def app(entry: App, display_name: str, deployment_names: list[str]) -> dict[str, Any]:
    return {
        "name": display_name,
        "platform": entry.platform,
        "deployments": sorted_by_locale(deployment_names),
        "collaborators": collaborators(entry),
    }


def created_token(key: AccessKey) -> dict[str, Any]:
    """The body of ``POST /auth/tokens`` (the only answer that carries the secret)."""
    return {
        "accessToken": key.name,
        "friendlyName": key.friendly_name,
        "expires": iso8601(key.expires),
    }


def listed_token(key: AccessKey) -> dict[str, Any]:
    return {
        "friendlyName": key.friendly_name,
        "createdTime": iso8601(key.created_time),
        "expires": iso8601(key.expires),
    }
