"""Writes proven by identity on the community server: its answers carry no package (a
release answers ``{"msg": "succeed"}``), so the SDK reads back what it stored.

The failures are played on the client's side of the wire (``tests/contract``'s
``Meddler``): the server acts (or not) for real, only the answer the SDK sees changes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from codepush_async import AsyncCodePush, ServerError
from tests.conftest import FakeClock
from tests.contract.test_identity import POLICY, Meddler, Rule, writes

from .community_server import CommunityServer
from .conftest import ENABLED, SKIP_REASON
from .raw_wire import Raw, bundle_zip, unique

pytestmark = [pytest.mark.anyio, pytest.mark.skipif(not ENABLED, reason=SKIP_REASON)]


@pytest.fixture
async def meddler(community: CommunityServer) -> AsyncIterator[Meddler]:
    meddler = Meddler(httpx.AsyncHTTPTransport())
    yield meddler
    await meddler.aclose()


@pytest.fixture
async def cp(community: CommunityServer, meddler: Meddler) -> AsyncIterator[AsyncCodePush]:
    async with AsyncCodePush(community.access_key, community.url, transport=meddler,
                             retry=POLICY, clock=FakeClock()) as client:
        yield client


async def test_a_release_that_acted_then_answered_503_is_done_once(
    cp: AsyncCodePush, raw: Raw, app: str, meddler: Meddler
) -> None:
    meddler.rules.append(Rule("POST", "/deployments/Staging/release", "swap", status=503))

    package = await cp.releases.release(app, "Staging", bundle_zip(unique("ours")), "1.0.0")

    assert package.package_hash == await raw.release_hash(app, "Staging", "v1")
    assert len(writes(meddler)) == 1
    assert [entry["label"] for entry in await raw.history(app, "Staging")] == ["v1"]


async def test_a_promote_answered_500_that_did_not_act_is_not_done(
    cp: AsyncCodePush, raw: Raw, app: str, meddler: Meddler
) -> None:
    await raw.release(app, "Staging", bundle_zip(unique("one")))
    await cp.releases.promote(app, "Staging", "Production")
    await raw.release(app, "Staging", bundle_zip(unique("two")))
    meddler.rules.append(Rule("POST", "/promote/Production", "refuse"))

    with pytest.raises(ServerError):
        await cp.releases.promote(app, "Staging", "Production")

    assert len(await raw.history(app, "Production")) == 1


async def test_a_rollback_that_acted_then_answered_503_is_done_once(
    cp: AsyncCodePush, raw: Raw, app: str, meddler: Meddler
) -> None:
    await raw.release(app, "Staging", bundle_zip(unique("good")))
    await raw.release(app, "Staging", bundle_zip(unique("bad")))
    meddler.rules.append(Rule("POST", "/deployments/Staging/rollback", "swap", status=503))

    rolled = await cp.releases.rollback(app, "Staging")

    assert rolled.package_hash == await raw.release_hash(app, "Staging", "v1")
    assert rolled.release_method == "Rollback"
    assert len(writes(meddler)) == 1
    assert len(await raw.history(app, "Staging")) == 3
