"""A source history with every kind of entry, and the "same answers" check of a migration."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from codepush_async import AsyncCodePush, MigrationReport, Package

APP = "Shop"
# Binaries devices run: inside and outside every range the history uses.
BINARIES = ("0.9.0", "1.0.0", "1.1.0", "1.2.0", "1.2.7", "2.0.0")
CLIENT_IDS_AT_PARTIAL_ROLLOUT = 40
Advance = Callable[[], object]


class Releaser:
    """Releases of distinct small bundles, the clock moved between writes."""

    def __init__(self, cp: AsyncCodePush, root: Path, advance: Advance, app: str = APP) -> None:
        self.cp, self.root, self.advance, self.app = cp, root, advance, app
        self.count = 0

    async def release(self, deployment: str, version: str, **options: Any) -> Package:
        self.count += 1
        bundle = self.root / f"{self.app}-{self.count}" / "CodePush"
        bundle.mkdir(parents=True)
        (bundle / "main.jsbundle").write_text(f"console.log({self.app!r}, {self.count});")
        self.advance()
        package = await self.cp.releases.release(self.app, deployment, bundle, version,
                                                 **options)
        assert isinstance(package, Package)
        return package


async def rich_history(cp: AsyncCodePush, root: Path, advance: Advance, app: str = APP) -> None:
    """Uploads, promotes (by label, with overrides), a rollback, disabled and mandatory
    releases, an enabled partial rollout that is not the latest, and a final one."""
    await cp.apps.create(app)
    await cp.deployments.create(app, "Beta")
    await cp.deployments.create(app, "Empty")
    r = Releaser(cp, root, advance, app)
    await r.release("Staging", "1.0.0", description="first")
    await r.release("Staging", "1.0.0", is_mandatory=True, description="fix")
    advance()
    await cp.releases.promote(app, "Staging", "Production", label="v2")
    await r.release("Staging", ">=1.0.0 <2.0.0", is_disabled=True, description="off")
    await r.release("Staging", "1.1.0", rollout=40)
    await cp.releases.patch(app, "Staging", "v4", is_disabled=True)
    await r.release("Staging", "1.2.x", rollout=30, description="partial")
    await cp.releases.patch(app, "Staging", "v4", is_disabled=False)  # enabled, not latest
    await r.release("Production", "1.0.0", description="prod hotfix")
    advance()
    await cp.releases.rollback(app, "Production")
    advance()
    await cp.releases.promote(app, "Staging", "Production", label="v1", app_version="1.2.x",
                              is_mandatory=True)
    await r.release("Beta", "^1.0.0", rollout=50)
    await r.release("Production", "1.1.0", rollout=25)


def _devices(history: list[Package]) -> list[tuple[str | None, str | None]]:
    return [(None, None), *((p.label, p.package_hash) for p in history)]


async def check_same_answers(
    source: AsyncCodePush, destination: AsyncCodePush, app: str, report: MigrationReport,
    to_name: str | None = None,
) -> int:
    """Every device (no label, each label; each binary; many ids at a partial rollout) gets
    the same answer from both servers; returns the number of checks made."""
    checks = 0
    for deployment in await source.deployments.list(app):
        assert deployment.key is not None
        history = list(await source.releases.history(app, deployment.name))
        partial = any(p.rollout < 100 for p in history)
        ids = [f"device-{i}" for i in range(CLIENT_IDS_AT_PARTIAL_ROLLOUT if partial else 2)]
        new_key = report.keys[deployment.name]
        for label, package_hash in _devices(history):
            for binary in BINARIES:
                for client_id in ids:
                    checks += 1
                    answers = [await _answer(cp.devices.check, key, binary, client_id, label,
                                             package_hash)
                               for cp, key in ((source, deployment.key),
                                               (destination, new_key))]
                    assert answers[0] == answers[1], (deployment.name, label, binary, client_id)
    return checks


async def _answer(check: Callable[..., Awaitable[Any]], key: str, binary: str, client_id: str,
                  label: str | None, package_hash: str | None) -> tuple[Any, ...]:
    update = await check(key, binary, client_id=client_id, label=label,
                         package_hash=package_hash)
    return (update.is_available, update.label, update.package_hash, update.is_mandatory,
            update.should_run_binary_version)
