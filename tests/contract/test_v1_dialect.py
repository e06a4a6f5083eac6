"""The SDK's ``dialect="v1"`` against the emulator's v1 dialect, in-process and served.

The emulator is the reference implementation of docs/v1-wire.md, so this is where the
two sides are held to the same contract.
"""

from __future__ import annotations

import contextlib
import io
import zipfile
from collections.abc import AsyncIterator, Callable

import pytest

from codepush_async import (
    AsyncCodePush,
    ConflictError,
    NotFoundError,
    UnsupportedOperationError,
    UpdateMetrics,
)
from codepush_async.emulator import CodePushEmulator

pytestmark = pytest.mark.anyio

OWNER = "owner@example.com"
OTHER = "other@example.com"


def _zip(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("CodePush/main.jsbundle", text)
    return buffer.getvalue()


V1 = tuple[AsyncCodePush, CodePushEmulator, Callable[[str], AsyncCodePush]]


@pytest.fixture(params=["inprocess", "served"])
async def v1(request: pytest.FixtureRequest) -> AsyncIterator[V1]:
    """The owner's v1 client, the emulator, and a way to make a client for another token."""
    emu = CodePushEmulator(dialect="v1")
    key = emu.create_account(OWNER)
    emu.create_account(OTHER)
    async with contextlib.AsyncExitStack() as stack:
        if request.param == "inprocess":
            url, transport = "http://emulator", emu.transport
        else:
            url, transport = await stack.enter_async_context(emu.serving()), None

        def client(token: str) -> AsyncCodePush:
            return AsyncCodePush(token, url, dialect="v1", retry=None, transport=transport)

        yield await stack.enter_async_context(client(key)), emu, client


async def test_round_trip(v1: V1) -> None:
    cp, emu, client = v1
    token = await cp.tokens.create("CI token", ttl=3_600_000)
    assert token.key
    assert token.expires is not None
    assert [t.name for t in await cp.tokens.list()].count("CI token") == 1
    assert (await cp.tokens.get("CI token")).key is None
    async with client(token.key) as other:
        assert await other.apps.list() == []
    await cp.tokens.remove("CI token")
    with pytest.raises(NotFoundError):
        await cp.tokens.remove("CI token")

    app = await cp.apps.create("MyApp-iOS", platform="ios")
    assert (app.name, app.platform, app.deployments) == ("MyApp-iOS", "ios",
                                                         ("Production", "Staging"))
    with pytest.raises(ConflictError):
        await cp.apps.create("MyApp-iOS", platform="ios")
    assert (await cp.apps.get("MyApp-iOS")).collaborators[OWNER].permission == "Owner"

    await cp.collaborators.add("MyApp-iOS", OTHER)
    assert (await cp.collaborators.list("MyApp-iOS"))[OTHER].permission == "Collaborator"
    with pytest.raises(ConflictError):
        await cp.collaborators.add("MyApp-iOS", OTHER)
    await cp.collaborators.remove("MyApp-iOS", OTHER)

    qa = await cp.deployments.create("MyApp-iOS", "QA")
    assert qa.key
    assert (await cp.deployments.get("MyApp-iOS", "QA")).key == qa.key
    renamed = await cp.deployments.rename("MyApp-iOS", "QA", "Beta")
    assert renamed.name == "Beta"
    await cp.deployments.remove("MyApp-iOS", "Beta")
    assert [d.name for d in await cp.deployments.list("MyApp-iOS")] == ["Production", "Staging"]

    first = await cp.releases.release("MyApp-iOS", "Production", _zip("one"), "1.0.0",
                                      description="Bug fixes")
    assert first.label == "v1"
    with pytest.raises(ConflictError, match="identical"):
        await cp.releases.release("MyApp-iOS", "Production", _zip("one"), "1.0.0")
    second = await cp.releases.release("MyApp-iOS", "Production", _zip("two"), "1.0.0",
                                       rollout=20)
    assert (second.label, second.rollout) == ("v2", 20)
    patched = await cp.releases.patch("MyApp-iOS", "Production", rollout=60)  # the latest
    assert patched is not None
    assert (patched.label, patched.rollout) == ("v2", 60)
    history = await cp.releases.history("MyApp-iOS", "Production")
    assert [p.label for p in history] == ["v1", "v2"]
    assert history[0].package_hash == first.package_hash

    emu.record_metrics("MyApp-iOS", "Production", "v1", downloaded=12, installed=11, failed=1,
                       active=10)
    metrics = await cp.deployments.metrics("MyApp-iOS", "Production")
    assert metrics["v1"] == UpdateMetrics(active=10, downloaded=12, installed=11, failed=1)

    with pytest.raises(UnsupportedOperationError):
        await cp.releases.promote("MyApp-iOS", "Staging", "Production")
    with pytest.raises(UnsupportedOperationError):
        await cp.releases.rollback("MyApp-iOS", "Production")

    await cp.apps.rename("MyApp-iOS", "MyApp-iOS-Renamed")
    await cp.apps.remove("MyApp-iOS-Renamed")
    with pytest.raises(NotFoundError):
        await cp.apps.get("MyApp-iOS-Renamed")
