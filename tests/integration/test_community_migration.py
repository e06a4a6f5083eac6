"""Migration from the emulator onto a real community server (``CODEPUSH_COMMUNITY=1``).

The community server ignores custom deployment keys (the report names the new ones), hashes
a zip its own way (the replay checks each release against that hash), and reports rollout
and disabled flags as constants. Devices asking it with the new keys get the answers the
source gives, by label and mandatory flag (not ``should_run_binary_version``: for a binary
no release targets, the community server answers it true where the official server and the
emulator answer ``updateAppVersion``, whatever server the app was made on).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from codepush_async import AsyncCodePush, MigrationError, copy_app
from codepush_async.emulator import CodePushEmulator, ManualClock
from tests.migration_support import BINARIES, Releaser

from .community_server import CommunityServer
from .conftest import ENABLED, SKIP_REASON
from .raw_wire import unique
from .test_community import client

pytestmark = [pytest.mark.anyio, pytest.mark.skipif(not ENABLED, reason=SKIP_REASON)]


async def _history(cp: AsyncCodePush, app: str, root: Path, clock: ManualClock) -> None:
    """Releases, mandatory and described, a promote and a rollback: what it keeps as-is."""
    await cp.apps.create(app)
    r = Releaser(cp, root, lambda: clock.advance(60), app)
    await r.release("Staging", "1.0.0", description="first")
    await r.release("Staging", "1.0.0", is_mandatory=True)
    clock.advance(60)
    await cp.releases.promote(app, "Staging", "Production")
    await r.release("Staging", "1.1.0", description="newer binary")
    await r.release("Production", "1.0.0", description="hotfix")
    clock.advance(60)
    await cp.releases.rollback(app, "Production")


async def test_a_copy_onto_the_community_server_gives_the_same_updates(
    community: CommunityServer, tmp_path: Path
) -> None:
    app, clock = unique("migrated"), ManualClock()
    emu = CodePushEmulator(clock=clock)
    async with AsyncCodePush(emu.create_account("me@example.com"), "http://source",
                             transport=emu.transport, clock=clock) as source, \
            client(community) as destination:
        await _history(source, app, tmp_path, clock)
        with pytest.raises(MigrationError, match="needs an app's os and platform"):
            await copy_app(source, destination, app)  # the emulator, as the official server,
        await destination.apps.create(app, os="iOS", platform="React-Native")  # keeps none
        report = await copy_app(source, destination, app)
        again = await copy_app(source, destination, app)
        compared = 0
        for deployment in await source.deployments.list(app):
            assert deployment.key is not None
            history = await source.releases.history(app, deployment.name)
            devices = [(None, None), *((p.label, None) for p in history)]
            for label, _ in devices:
                for binary in BINARIES:
                    checks = [await cp.devices.check(key, binary, client_id="d1", label=label)
                              for cp, key in ((source, deployment.key),
                                              (destination, report.keys[deployment.name]))]
                    answers = {(c.is_available, c.label, c.is_mandatory) for c in checks}
                    assert len(answers) == 1, (deployment.name, label, binary, checks)
                    compared += 1

    assert report
    assert len(report.replayed) == 6
    assert set(report.new_keys) == {"Staging", "Production"}  # custom keys are ignored
    assert {item.action for item in again.items} == {"skipped"}
    assert compared == (4 + 4) * len(BINARIES)  # no label and each of 3 labels, twice
