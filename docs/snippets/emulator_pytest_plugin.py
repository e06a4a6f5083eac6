# test_releases.py
import pytest

from codepush_async import AsyncCodePush
from codepush_async.emulator import CodePushEmulator


@pytest.mark.asyncio
async def test_release_then_promote(codepush_client: AsyncCodePush) -> None:
    await codepush_client.apps.create("MyApp")
    package = await codepush_client.releases.release("MyApp", "Staging", b"bundle", "1.0.0")
    promoted = await codepush_client.releases.promote("MyApp", "Staging", "Production")
    assert (package.label, promoted.label, promoted.rollout) == ("v1", "v1", 100)


@pytest.mark.asyncio
async def test_install_metrics(
    codepush_client: AsyncCodePush, codepush_emulator: CodePushEmulator
) -> None:
    await codepush_client.apps.create("MyApp")
    await codepush_client.releases.release("MyApp", "Production", b"bundle", "1.0.0")
    codepush_emulator.record_metrics(
        "MyApp", "Production", "v1", downloaded=3, installed=2, failed=1, active=2
    )
    (row,) = await codepush_client.deployments.history("MyApp", "Production")
    assert (row.active_percent, row.pending, row.rollbacks) == (100.0, 0, 1)
