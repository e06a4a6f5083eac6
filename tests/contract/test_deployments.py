"""Scenarios 7 and 10: deployments and their install metrics."""

from __future__ import annotations

from uuid import uuid4

import pytest

from codepush_async import ConflictError, Deployment, NotFoundError, UpdateMetrics

from .conftest import Target

pytestmark = pytest.mark.anyio


async def test_deployment_lifecycle(target: Target) -> None:
    """Create (server key or explicit), conflict, get, sorted list, rename keeps the key, remove."""
    cp = target.client
    async with target.app() as app:
        beta = await cp.deployments.create(app, "Beta")
        assert beta.name == "Beta"
        assert beta.key
        assert beta.package is None

        explicit_key = f"ct_{uuid4().hex}-key"
        alpha = await cp.deployments.create(app, "Alpha", key=explicit_key)
        assert (alpha.name, alpha.key) == ("Alpha", explicit_key)

        with pytest.raises(ConflictError) as conflict:
            await cp.deployments.create(app, "Beta")
        assert conflict.value.message == "A deployment named 'Beta' already exists."

        fetched = await cp.deployments.get(app, "Beta")
        assert (fetched.name, fetched.key, fetched.package) == ("Beta", beta.key, None)

        listed = await cp.deployments.list(app)
        assert [d.name for d in listed] == ["Alpha", "Beta", "Production", "Staging"]
        assert all(isinstance(d, Deployment) and d.key for d in listed)
        assert listed[0].key == explicit_key
        assert len({d.key for d in listed}) == 4

        renamed = await cp.deployments.rename(app, "Beta", "Gamma")
        assert (renamed.name, renamed.key) == ("Gamma", beta.key)
        assert (await cp.deployments.get(app, "Gamma")).key == beta.key
        with pytest.raises(NotFoundError) as missing:
            await cp.deployments.get(app, "Beta")
        assert missing.value.message == 'Deployment "Beta" does not exist.'
        with pytest.raises(ConflictError):
            await cp.deployments.rename(app, "Gamma", "Alpha")
        with pytest.raises(NotFoundError):
            await cp.deployments.rename(app, "Beta", "Delta")

        with pytest.raises(NotFoundError):
            await cp.deployments.get(app, "Nope")
        with pytest.raises(NotFoundError):
            await cp.deployments.list(target.name("Missing"))

        await cp.deployments.remove(app, "Gamma")
        assert [d.name for d in await cp.deployments.list(app)] == [
            "Alpha",
            "Production",
            "Staging",
        ]
        with pytest.raises(NotFoundError):
            await cp.deployments.get(app, "Gamma")
        with pytest.raises(NotFoundError):
            await cp.deployments.remove(app, "Gamma")


async def test_deployment_shows_its_current_package(target: Target) -> None:
    """``get`` carries the latest release as ``package``."""
    cp = target.client
    async with target.app() as app:
        released = await cp.releases.release(app, "Staging", b"current", "1.0.0")
        current = (await cp.deployments.get(app, "Staging")).package
        assert current is not None
        assert (current.label, current.package_hash) == ("v1", released.package_hash)
        assert (await cp.deployments.get(app, "Production")).package is None


async def test_metrics(target: Target) -> None:
    """Metrics are ``{}`` before any install; labels carry four counters, app versions one."""
    cp = target.client
    async with target.app() as app:
        assert await cp.deployments.metrics(app, "Staging") == {}
        # Without Redis the server answers {} here too: the SDK checks the deployment exists.
        with pytest.raises(NotFoundError) as missing:
            await cp.deployments.metrics(app, "Nope")
        assert missing.value.message == 'Deployment "Nope" does not exist.'

        await cp.releases.release(app, "Staging", b"v1 contents", "1.0.0")
        if not target.traits.test_hooks:
            # No device reports installs here, so no counters, with or without Redis.
            assert await cp.deployments.metrics(app, "Staging") == {}
            return
        emu = target.require_emulator("record_metrics")
        emu.record_metrics(app, "Staging", "v1", downloaded=3, installed=2, failed=1, active=2)
        emu.record_metrics(app, "Staging", "v1", downloaded=1, active=-1)
        emu.record_metrics(app, "Staging", "1.0.0", active=5)
        emu.record_metrics(app, "Staging", "0.9.0", active=-2)  # devices that moved away

        assert await cp.deployments.metrics(app, "Staging") == {
            "v1": UpdateMetrics(active=1, downloaded=4, installed=2, failed=1),
            "1.0.0": UpdateMetrics(active=5),
            "0.9.0": UpdateMetrics(active=-2),
        }
        assert await cp.deployments.metrics(app, "Production") == {}


async def test_deployment_order_is_the_servers_name_order(target: Target) -> None:
    """The server sorts by ``localeCompare`` (case-insensitive): the SDK keeps that order."""
    cp = target.client
    async with target.app() as app:
        for name in ("beta", "Alpha", "qa"):
            await cp.deployments.create(app, name)
        expected = ["Alpha", "beta", "Production", "qa", "Staging"]
        assert [d.name for d in await cp.deployments.list(app)] == expected
        assert (await cp.apps.get(app)).deployments == tuple(expected)
