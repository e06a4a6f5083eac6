"""Rollouts on a real community server: it stores and serves them, but always reports 100.

So ``cp.rollouts`` is refused before any write, and ``cp.bulk.patch`` writes ``rollout``
and ``is_disabled`` every time (a read there cannot show them). The database and the
devices' update check are the witnesses. Skipped unless ``CODEPUSH_COMMUNITY=1``.
"""

from __future__ import annotations

import httpx
import pytest

from codepush_async import RolloutPlan, UnsupportedOperationError

from .community_server import CommunityServer
from .conftest import ENABLED, SKIP_REASON
from .raw_wire import Raw, bundle_zip, unique
from .test_community import client

pytestmark = [pytest.mark.anyio, pytest.mark.skipif(not ENABLED, reason=SKIP_REASON)]


def stored(server: CommunityServer, app: str) -> tuple[int, int]:
    """``(rollout, is_disabled)`` of the app's latest Production release, from the database."""
    out = server.sql(  # app names come from unique(): hex and dashes only
        "SELECT p.rollout, p.is_disabled FROM packages p "  # noqa: S608
        "JOIN deployments d ON p.deployment_id = d.id JOIN apps a ON d.appid = a.id "
        f"WHERE a.name = '{app}' AND d.name = 'Production' ORDER BY p.id DESC LIMIT 1"
    )
    rollout, disabled = out.split()
    return int(rollout), int(disabled)


async def offered(server: CommunityServer, key: str, devices: int = 20) -> int:
    """How many of ``devices`` update checks (app version 1.0.0, nothing installed) get it."""
    hits = 0
    async with httpx.AsyncClient(base_url=server.url, trust_env=False, timeout=30) as http:
        for device in range(devices):
            answer = await http.get("/updateCheck", params={
                "deploymentKey": key, "appVersion": "1.0.0", "packageHash": "none",
                "clientUniqueId": f"device-{device}"})
            hits += bool(answer.json()["updateInfo"]["isAvailable"])
    return hits


async def test_rollouts_are_refused_and_bulk_patch_writes_them(
    community: CommunityServer,
) -> None:
    app = unique("rollout")
    raw = Raw(community)
    try:
        await raw.create_app(app)
        async with client(community) as cp:
            package = await cp.releases.release(app, "Production", bundle_zip(app), "1.0.0",
                                                rollout=5)
            assert package.rollout == 100  # what it reports, whatever it holds
            assert stored(community, app) == (5, 0)

            with pytest.raises(UnsupportedOperationError, match="always reports 100"):
                await cp.rollouts.advance(app, "Production", RolloutPlan((5, 50, 100), 60))
            assert stored(community, app) == (5, 0)  # nothing was written

            first = await cp.bulk.patch([app], "Production", rollout=100)
            again = await cp.bulk.patch([app], "Production", rollout=100)
            assert [(i.status, i.attempts) for i in (*first, *again)] == [("done", 1)] * 2
            assert stored(community, app) == (100, 0)
            key = (await raw.deployments(app))["Production"]["key"]
            assert await offered(community, key) == 20

            disabled = await cp.bulk.patch([app], "Production", is_disabled=True)
            assert [(i.status, i.attempts) for i in disabled] == [("done", 1)]
            assert stored(community, app) == (100, 1)
            assert await offered(community, key) == 0
            enabled = await cp.bulk.patch([app], "Production", is_disabled=False)
            assert [(i.status, i.attempts) for i in enabled] == [("done", 1)]  # was "skipped"
            assert stored(community, app) == (100, 0)
            assert await offered(community, key) == 20
    finally:
        await raw.aclose()
