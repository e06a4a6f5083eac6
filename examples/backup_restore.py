"""Back up every app of an account, then restore one onto a fresh server.

Runs on two embedded emulators: the "old" server gets an account with two apps and a short
history each (releases, a promote, a partial rollout); every app is exported to
``backups/<app>/`` (a ``manifest.json`` and the packages by hash), and one app is restored
onto a fresh server with its deployment keys, so devices keep asking with the keys they
ship. A device on the old and on the new server then gets the same answer. Run it:
``python examples/backup_restore.py [folder]``.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from codepush_async import AsyncCodePush, MigrationItem, MigrationReport, export_app, import_app
from codepush_async.emulator import CodePushEmulator

EMAIL = "team@example.com"


async def ship(cp: AsyncCodePush, app: str, bundles: Path) -> None:
    """An app with a little history: two releases, a promote, a partial rollout."""
    await cp.apps.create(app)
    for version in (1, 2, 3):
        bundle = bundles / app / f"v{version}" / "CodePush"
        bundle.mkdir(parents=True)
        (bundle / "main.jsbundle").write_text(f"console.log('{app} build {version}');")
        rollout = 25 if version == 3 else None
        await cp.releases.release(app, "Staging", bundle, "1.0.0", rollout=rollout,
                                  description=f"build {version}")
        if version == 2:
            await cp.releases.promote(app, "Staging", "Production", is_mandatory=True)


async def back_up_everything(cp: AsyncCodePush, folder: Path) -> list[Path]:
    """One backup folder per app the account can see."""
    return [await export_app(cp, app.name, folder / app.name) for app in await cp.apps.list()]


def progress(item: MigrationItem) -> None:
    print(f"  {item.deployment:<10} {item.what:<10} {item.action:<8} {item.label or ''}")


async def main(folder: Path) -> MigrationReport:
    old, new = CodePushEmulator(), CodePushEmulator()
    async with AsyncCodePush(old.create_account(EMAIL), "http://old",
                             transport=old.transport) as source:
        for app in ("Shop", "Blog"):
            await ship(source, app, folder / "bundles")
        backups = await back_up_everything(source, folder / "backups")
        print("backed up:", ", ".join(b.name for b in backups))

        async with AsyncCodePush(new.create_account(EMAIL), "http://new",
                                 transport=new.transport) as destination:
            report = await import_app(destination, folder / "backups" / "Shop",
                                      on_item=progress)
            key = report.keys["Production"]
            checks = [await cp.devices.check(key, "1.0.0", client_id="a-device")
                      for cp in (source, destination)]
    print(report)
    answers = {(c.label, c.package_hash, c.is_mandatory) for c in checks}
    print("keys kept:", not report.new_keys, "| same answer:", len(answers) == 1,
          checks[0].label)
    return report


if __name__ == "__main__":
    if len(sys.argv) > 1:
        asyncio.run(main(Path(sys.argv[1])))
    else:
        with tempfile.TemporaryDirectory() as temp:
            asyncio.run(main(Path(temp)))
