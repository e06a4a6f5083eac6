"""``cp.bulk`` under faults and cancellation: nothing lost, nothing written twice.

Each scenario checks the emulator's own state against the result the caller got.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from codepush_async import (
    AsyncCodePush,
    ItemResult,
    OutcomeUnknownError,
    Package,
    ServerError,
    Target,
)
from codepush_async.emulator import CodePushEmulator
from tests.conftest import FakeClock
from tests.unit.lib.test_bulk import URL, make_fleet

pytestmark = pytest.mark.anyio

FAULTS = ("none", "503", "503x2", "500", "drop", "drop-after", "timeout-after",
          "timeout-before", "read-503", "read-drop", "read-500")


@pytest.fixture
def emu() -> CodePushEmulator:
    return CodePushEmulator(rate_limit=None)


@pytest.fixture
async def cp(emu: CodePushEmulator) -> AsyncIterator[AsyncCodePush]:
    key = emu.create_account("fleet@example.com")
    async with AsyncCodePush(key, URL, transport=emu.transport, clock=FakeClock()) as client:
        yield client


def promotes(emu: CodePushEmulator) -> dict[str, int]:
    """Promotes each app's Production deployment holds, from the emulator's store."""
    counts = {}
    for app in emu.store.apps.values():
        deployment = emu.store.find_deployment(app.id, "Production")
        assert deployment is not None
        counts[app.name] = sum(1 for p in deployment.history if p.release_method == "Promote")
    return counts


def arm(emu: CodePushEmulator, app: str, fault: str) -> None:
    write = f"/apps/{app}/deployments/Staging/promote/Production"
    read = f"/apps/{app}/deployments/Production"
    if fault == "503":
        emu.fail_next(503, path=write)
    elif fault == "503x2":
        emu.fail_next(503, path=write, times=2)
    elif fault == "500":
        emu.fail_next(500, path=write)
    elif fault == "drop":
        emu.drop_next(path=write)
    elif fault == "drop-after":
        emu.drop_next(after_handler=True, path=write)
    elif fault == "timeout-after":
        emu.delay_next(10_000, path=write)
    elif fault == "timeout-before":
        emu.delay_next(10_000, before_handler=True, path=write)
    elif fault == "read-503":
        emu.fail_next(503, method="GET", path=read)
    elif fault == "read-drop":
        emu.drop_next(after_handler=True, method="GET", path=read)
    elif fault == "read-500":
        emu.fail_next(500, method="GET", path=read)


async def test_random_faults_over_120_targets_lose_and_duplicate_nothing(
    cp: AsyncCodePush, emu: CodePushEmulator
) -> None:
    apps = await make_fleet(cp, 120)
    rng = random.Random(12)  # noqa: S311 - a reproducible fault plan, not a secret
    faults = {app: rng.choice(FAULTS) for app in apps}
    for app, fault in faults.items():
        arm(emu, app, fault)
    reported: list[ItemResult] = []

    result = await cp.bulk.promote(apps, "Staging", "Production", on_item=reported.append)

    state = promotes(emu)
    # Every item reported once, in the targets' order in the result; no app promoted twice.
    assert [item.target for item in result.items] == [Target(a, "Production") for a in apps]
    assert Counter(str(item.target) for item in reported) == {
        f"{a}/Production": 1 for a in apps
    }
    assert max(state.values()) == 1
    for item in result.items:
        app, fault = item.target.app, faults[item.target.app]
        if item.status == "done":
            assert state[app] == 1, (app, fault)
            assert isinstance(item.value, Package)
        elif item.status == "skipped":  # answer lost after it landed: read back, not resent
            assert fault in ("drop-after", "timeout-after"), (app, fault)
            assert (state[app], item.attempts) == (1, 1), (app, fault)
            assert item.reason is not None
            assert "OutcomeUnknownError" in item.reason
        elif isinstance(item.error, OutcomeUnknownError):
            assert fault == "timeout-before", (app, fault)
            assert state[app] == 0, (app, fault)
        else:
            assert item.status == "failed", (app, fault)
            assert isinstance(item.error, ServerError), (app, fault)
            assert fault in ("500", "read-500"), (app, fault)
            assert state[app] == 0
    by_fault = Counter((faults[i.target.app], i.status) for i in result.items)
    assert all(status == "done" for (fault, status) in by_fault
               if fault in ("none", "503", "503x2", "drop", "read-503", "read-drop"))
    assert all(status == "skipped" for (fault, status) in by_fault
               if fault in ("drop-after", "timeout-after"))
    assert set(faults.values()) == set(FAULTS)  # the seed exercises every kind

    rerun = await cp.bulk.promote(apps, "Staging", "Production")

    assert promotes(emu) == dict.fromkeys(apps, 1)
    for before, after in zip(result.items, rerun.items, strict=True):
        expected = "skipped" if state[before.target.app] == 1 else "done"
        assert after.status == expected, (before, after)


async def test_killed_midway_then_rerun_completes_the_rest_once(
    cp: AsyncCodePush, emu: CodePushEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    apps = await make_fleet(cp, 30)
    reported: list[ItemResult] = []
    real = cp.releases.promote
    in_flight = anyio.Event()

    async def promote(app: str, *args: Any, **kwargs: Any) -> Package | None:
        if app == apps[9]:
            in_flight.set()  # the kill lands while this write is on its way
            await anyio.lowlevel.checkpoint()
        return await real(app, *args, **kwargs)

    monkeypatch.setattr(cp.releases, "promote", promote)

    async def kill_when_in_flight(scope: anyio.CancelScope) -> None:
        await in_flight.wait()
        scope.cancel()

    with anyio.CancelScope() as scope:
        async with anyio.create_task_group() as group:
            group.start_soon(kill_when_in_flight, scope)
            await cp.bulk.promote(apps, "Staging", "Production", concurrency=4,
                                  on_item=reported.append)
    assert scope.cancelled_caught

    state = promotes(emu)
    done_first = {item.target.app for item in reported if item.status == "done"}
    assert apps[9] in done_first  # the write in flight settled and was reported
    assert {a for a, n in state.items() if n == 1} == done_first  # nothing half-reported
    assert len(done_first) < len(apps)
    assert max(state.values()) == 1

    rerun = await cp.bulk.promote(apps, "Staging", "Production", concurrency=4)

    assert promotes(emu) == dict.fromkeys(apps, 1)
    assert {i.target.app for i in rerun.skipped} == done_first
    assert {i.target.app for i in rerun.done} == set(apps) - done_first


async def test_cancelled_release_removes_its_temp_zip_and_reports_what_landed(
    cp: AsyncCodePush, emu: CodePushEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    apps = await make_fleet(cp, 6)
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "main.jsbundle").write_text("console.log('next')")
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    reported: list[ItemResult] = []

    with anyio.CancelScope() as scope:

        def stop_after_two(item: ItemResult) -> None:
            reported.append(item)
            if len(reported) == 2:
                scope.cancel()

        await cp.bulk.release(apps, "Staging", bundle, "1.0.0", on_item=stop_after_two)
    assert scope.cancelled_caught

    assert [(i.target.app, i.status) for i in reported] == [(apps[0], "done"), (apps[1], "done")]
    released = [a for a in apps if len(await cp.releases.history(a, "Staging")) == 2]
    assert released == apps[:2]
    left = sorted([p.name async for p in anyio.Path(tmp_path).iterdir()])
    assert left == ["bundle"]


async def test_faults_on_a_served_emulator_lose_and_duplicate_nothing(
    emu: CodePushEmulator,
) -> None:
    """The same checks over a real port (h11), with the faults a socket can carry."""
    key = emu.create_account("fleet@example.com")
    kinds = ("none", "503", "500", "drop", "drop-after", "read-503", "read-drop")
    async with emu.serving() as url, AsyncCodePush(key, url, clock=FakeClock()) as cp:
        apps = await make_fleet(cp, 28)
        faults = {app: kinds[i % len(kinds)] for i, app in enumerate(apps)}
        for app, fault in faults.items():
            arm(emu, app, fault)

        result = await cp.bulk.promote(apps, "Staging", "Production")
        state = promotes(emu)
        rerun = await cp.bulk.promote(apps, "Staging", "Production")

    assert max(state.values()) == 1
    not_landed = ("500", "drop")  # on a socket, a drop before the handler looks like any drop
    for item in result.items:
        fault = faults[item.target.app]
        expected = {"500": "failed", "drop": "failed", "drop-after": "skipped"}.get(fault, "done")
        assert item.status == expected, (item, fault)
        if fault == "drop":
            assert isinstance(item.error, OutcomeUnknownError)
        assert state[item.target.app] == (0 if fault in not_landed else 1), (item, fault)
    assert promotes(emu) == dict.fromkeys(apps, 1)
    assert [i.status for i in rerun.items] == [
        "done" if faults[a] in not_landed else "skipped" for a in apps
    ]
