"""Find one item in its list: the fallback where a server lacks the direct endpoint.

The messages are the official server's, so callers see the same ``NotFoundError``
whichever way the answer was obtained.
"""

from __future__ import annotations

import itertools

import attrs

from .._compat import COMMUNITY
from .._exceptions import NotFoundError
from .._models import AccessKey, App, Deployment, Package, UpdateMetrics
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
        newest_first=resource._client.flavor == COMMUNITY,
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
    ordered = list(reversed(history)) if newest_first else list(history)
    numbers = [_label_number(p.label) for p in ordered]
    if all(p.upload_time is not None for p in ordered) and None not in numbers:
        keys = [(p.upload_time, n) for p, n in zip(ordered, numbers, strict=True)]
        if any(a > b for a, b in itertools.pairwise(keys)):  # already in order: the usual case
            order = sorted(range(len(ordered)), key=keys.__getitem__)  # stable, keys once
            ordered = [ordered[i] for i in order]
    return ordered


def _label_number(label: str | None) -> int | None:
    if label is None or not label.startswith("v") or not label[1:].isdigit():
        return None
    return int(label[1:])


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
