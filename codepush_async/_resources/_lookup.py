"""Find one item in its list: the fallback where a server lacks the direct endpoint.

The messages are the official server's, so callers see the same ``NotFoundError``
whichever way the answer was obtained.
"""

from __future__ import annotations

import operator
from typing import Any

import attrs

from .._exceptions import NotFoundError
from .._models.entities import AccessKey, App, Deployment, Package, UpdateMetrics
from .._wire.flavors import COMMUNITY
from ._base import Resource

__all__ = [
    "find_access_key",
    "find_app",
    "find_deployment",
    "find_package",
    "metrics_from_releases",
    "oldest_first",
]


async def find_app(resource: Resource, name: str) -> App:
    for app in await resource._get(list[App], "apps.list"):
        if app.name == name:
            return app
    raise NotFoundError(f'App "{name}" does not exist.')


async def find_deployment(resource: Resource, app: str, name: str) -> Deployment:
    for deployment in await resource._get(list[Deployment], "deployments.list", {"app": app}):
        if deployment.name == name:
            return deployment
    raise NotFoundError(f'Deployment "{name}" does not exist.')


async def find_access_key(resource: Resource, name: str) -> AccessKey:
    for key in await resource._get(list[AccessKey], "tokens.list"):
        if key.name == name:
            return key
    raise NotFoundError(f'Access key "{name}" does not exist.')


async def find_package(
    resource: Resource, app: str, deployment: str, label: str | None = None
) -> Package:
    """The release called ``label`` (``None``: the latest), from the deployment's history."""
    params = {"app": app, "deployment": deployment}
    history = oldest_first(
        await resource._get(list[Package], "releases.history", params),
        newest_first=resource._requester.flavor == COMMUNITY,
    )
    for package in reversed(history):
        if label is None or package.label == label:
            return package
    if label is None:
        raise NotFoundError("Deployment has no releases.")
    raise NotFoundError("Release not found for given label.")


def oldest_first(history: list[Package], newest_first: bool) -> list[Package]:
    """History in the official order, oldest first, whatever order the server used.

    Upload times and label numbers only grow along a history (promotes and rollbacks get
    fresh ones), so sorting by both is exact even where the server keeps whole seconds.
    """
    ordered = history[::-1] if newest_first else list(history)
    times: list[Any] = [p.upload_time for p in ordered]
    if None in times or all(map(operator.lt, times, times[1:])):  # growing: the usual case
        return ordered
    numbers = _label_numbers([p.label for p in ordered])
    if None not in numbers:
        keys = list(zip(times, numbers, strict=True))
        if any(map(operator.gt, keys, keys[1:])):
            order = sorted(range(len(ordered)), key=keys.__getitem__)  # stable, keys once
            ordered = [ordered[i] for i in order]
    return ordered


def _label_numbers(labels: list[str | None]) -> list[int | None]:
    """``n`` for each label ``vn``, ``None`` for any other (one loop, no call per label)."""
    return [
        int(x[1:]) if x is not None and x[:1] == "v" and x[1:].isdigit() else None for x in labels
    ]


@attrs.frozen
class _ReleaseMetrics:
    total_active: int | None = None
    downloaded: int | None = None
    installed: int | None = None
    failed: int | None = None


@attrs.frozen
class _ReleaseWithMetrics:
    label: str | None = None
    metrics: _ReleaseMetrics | None = None


async def metrics_from_releases(
    resource: Resource, app: str, deployment: str
) -> dict[str, UpdateMetrics]:
    """Label -> counters from the ``metrics`` each ``/api/v1`` release carries."""
    params = {"app": app, "deployment": deployment}
    releases = await resource._get(list[_ReleaseWithMetrics], "releases.history", params)
    return {
        release.label: UpdateMetrics(
            active=release.metrics.total_active,
            downloaded=release.metrics.downloaded,
            installed=release.metrics.installed,
            failed=release.metrics.failed,
        )
        for release in releases
        if release.label is not None and release.metrics is not None
    }
