"""The whole CodePush release flow in one script.

With no configuration it runs on the embedded emulator (nothing to install but the
``emulator`` extra). With ``CODEPUSH_SERVER_URL`` and ``CODEPUSH_ACCESS_KEY`` set, the same
script runs against that server (it creates, then removes, one uniquely named app).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from codepush_async import AsyncCodePush, NotFoundError

if TYPE_CHECKING:
    from codepush_async.emulator import CodePushEmulator


@asynccontextmanager
async def connect() -> AsyncIterator[tuple[AsyncCodePush, CodePushEmulator | None]]:
    """A client for the configured server, or for an in-process emulator."""
    url, key = os.environ.get("CODEPUSH_SERVER_URL"), os.environ.get("CODEPUSH_ACCESS_KEY")
    if url and key:
        async with AsyncCodePush(key, url) as cp:
            yield cp, None
        return
    from codepush_async.emulator import CodePushEmulator

    emulator = CodePushEmulator()
    key = emulator.create_account("you@example.com", name="You")
    async with AsyncCodePush(key, "http://emulator", transport=emulator.transport) as cp:
        yield cp, emulator


def write_bundle(root: Path, version: str) -> Path:
    """A small React Native-like bundle directory."""
    bundle = root / f"bundle-{version}" / "CodePush"
    (bundle / "assets").mkdir(parents=True)
    (bundle / "main.jsbundle").write_text(f"console.log('hello from {version}');\n")
    (bundle / "assets" / "logo.txt").write_text(f"logo {version}\n")
    return bundle


async def main() -> None:
    async with connect() as (cp, emulator):
        account = await cp.account.get()
        print(f"Signed in as {account.email} on {cp.server_url}")
        app = f"Quickstart-{uuid.uuid4().hex[:6]}"
        created = await cp.apps.create(app, os="iOS", platform="React-Native")
        print(f"Created app {created.name!r} with deployments {list(created.deployments or [])}")
        try:
            with tempfile.TemporaryDirectory() as workdir:
                root = Path(workdir)

                def progress(sent: int, total: int) -> None:
                    if sent == total:
                        print(f"  uploaded {total} bytes")

                first = await cp.releases.release(
                    app, "Staging", write_bundle(root, "1.0.1"), "1.0.x",
                    description="First update", on_progress=progress,
                )
                print(f"Released {first.label} to Staging (hash {first.package_hash})")

                promoted = await cp.releases.promote(app, "Staging", "Production", rollout=25)
                print(f"Promoted to Production as {promoted.label} at {promoted.rollout}% rollout")
                await cp.releases.patch(app, "Production", rollout=50)
                await cp.releases.patch(app, "Production", rollout=100)
                print("Raised the Production rollout to 50%, then 100%")

                second = await cp.releases.release(
                    app, "Staging", write_bundle(root, "1.0.2"), "1.0.x",
                    description="Second update", is_mandatory=True,
                )
                await cp.releases.promote(app, "Staging", "Production")
                print(f"Released {second.label} to Staging and promoted it to Production")

            rolled = await cp.releases.rollback(app, "Production")
            print(f"Rolled Production back to the previous package ({rolled.package_hash})")

            if emulator is not None:  # a real server counts installs from real devices
                emulator.record_metrics(app, "Production", "v1", downloaded=120, installed=115,
                                        failed=2, active=110)

            print("\nProduction history:")
            for package in await cp.releases.history(app, "Production"):
                rollout = f"{package.rollout}%"  # 100 for a complete rollout
                print(f"  {package.label}: {package.release_method:<8} app {package.app_version}"
                      f"  rollout {rollout:>4}  {package.description or ''}")
            print("Production metrics:")
            counters = await cp.deployments.metrics(app, "Production")
            if not counters:  # not "healthy": the server keeps none (e.g. it has no Redis)
                print("  none kept by this server")
            for label, metrics in counters.items():
                print(f"  {label}: active {metrics.active}, downloaded {metrics.downloaded}, "
                      f"installed {metrics.installed}, failed {metrics.failed}")
        finally:
            with contextlib.suppress(NotFoundError):
                await cp.apps.remove(app)
            print(f"\nRemoved app {app!r}")


if __name__ == "__main__":
    asyncio.run(main())
