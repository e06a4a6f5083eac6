"""Scenario 11: the seed SDK's flat method names, end to end."""

from __future__ import annotations

import pytest

from codepush_async import NotFoundError, PackageInfo, ReleaseMethod

from .conftest import Target, discard_apps

pytestmark = pytest.mark.anyio


async def test_flat_aliases_end_to_end(target: Target) -> None:
    """add_app -> add_deployment -> release -> promote -> patch_release -> history -> rollback."""
    cp = target.client
    name = target.name()
    try:
        app = await cp.add_app(name)
        assert app.deployments == ("Production", "Staging")
        assert (await cp.get_app(name)).name == name

        qa = await cp.add_deployment(name, "QA")
        assert qa.name == "QA"
        assert [d.name for d in await cp.get_deployments(name)] == ["Production", "QA", "Staging"]

        first = await cp.release(
            name, "QA", b"alias one", "1.0.0", PackageInfo(description="one", is_mandatory=False)
        )
        assert (first.label, first.description, first.is_mandatory) == ("v1", "one", False)
        second = await cp.release(name, "QA", b"alias two", "1.0.0")
        assert second.label == "v2"

        promoted = await cp.promote(name, "QA", "Staging", PackageInfo(label="v1", rollout=40))
        assert (promoted.label, promoted.package_hash, promoted.rollout) == (
            "v1",
            first.package_hash,
            40,
        )
        assert promoted.release_method == ReleaseMethod.PROMOTE

        patched = await cp.patch_release(
            name, "Staging", "v1", PackageInfo(rollout=100, is_disabled=False, description="go")
        )
        assert patched is not None
        assert (patched.label, patched.rollout) == ("v1", 100)
        assert (patched.is_disabled, patched.description) == (False, "go")

        history = await cp.get_deployment_history(name, "QA")
        assert [p.label for p in history] == ["v1", "v2"]

        rolled = await cp.rollback(name, "QA")
        assert rolled.package_hash == first.package_hash
        rolled_to = await cp.rollback(name, "QA", "v2")
        assert rolled_to.package_hash == second.package_hash
        assert [p.label for p in await cp.get_deployment_history(name, "QA")] == [
            "v1",
            "v2",
            "v3",
            "v4",
        ]

        assert await cp.get_deployment_metrics(name, "Staging") == {}
        await cp.clear_deployment_history(name, "QA")
        assert await cp.get_deployment_history(name, "QA") == []
        await cp.remove_deployment(name, "QA")
        with pytest.raises(NotFoundError):
            await cp.get_deployment(name, "QA")

        await cp.remove_app(name)
        with pytest.raises(NotFoundError):
            await cp.get_app(name)
        assert name not in {a.name for a in await cp.get_apps()}
    finally:
        await discard_apps(cp, name)
