"""``cp.bulk`` against a real community server: a fleet promoted and patched, then re-run.

Skipped unless ``CODEPUSH_COMMUNITY=1``.
"""

from __future__ import annotations

import pytest

from codepush_async import Package, Target

from .community_server import CommunityServer
from .conftest import ENABLED, SKIP_REASON
from .raw_wire import Raw, bundle_zip, unique
from .test_community import client

pytestmark = [pytest.mark.anyio, pytest.mark.skipif(not ENABLED, reason=SKIP_REASON)]


async def test_bulk_promote_and_patch_a_fleet(community: CommunityServer) -> None:
    prefix = unique("fleet")
    apps = [f"{prefix}-{i}" for i in range(4)]
    raw = Raw(community)
    try:
        for app in apps:
            await raw.create_app(app)
            await raw.release(app, "Staging", bundle_zip(unique(app)))
        staging = {app: await raw.release_hash(app, "Staging", "v1") for app in apps}

        async with client(community) as cp:
            targets = await cp.bulk.targets(f"{prefix}-*", "Production")
            planned = await cp.bulk.promote(targets, "Staging", "Production", dry_run=True)
            promoted = await cp.bulk.promote(targets, "Staging", "Production")
            promoted_again = await cp.bulk.promote(targets, "Staging", "Production")
            patched = await cp.bulk.patch(targets, "Production", description="fleet-wide",
                                          is_mandatory=True)
            patched_again = await cp.bulk.patch(targets, "Production",
                                                description="fleet-wide", is_mandatory=True)

        assert targets == [Target(app, "Production") for app in apps]
        assert [i.status for i in planned.items] == ["planned"] * 4
        assert [i.status for i in promoted.items] == ["done"] * 4, promoted.failed
        for item in promoted.items:
            assert isinstance(item.value, Package)
            assert item.value.package_hash == staging[item.target.app]
        assert [i.status for i in promoted_again.items] == ["skipped"] * 4
        assert [i.status for i in patched.items] == ["done"] * 4, patched.failed
        assert [i.status for i in patched_again.items] == ["skipped"] * 4
        for app in apps:
            history = await raw.history(app, "Production")
            assert len(history) == 1, history
            assert history[0]["packageHash"] == staging[app]
            assert (history[0]["description"], history[0]["isMandatory"]) == ("fleet-wide", True)
    finally:
        await raw.aclose()
