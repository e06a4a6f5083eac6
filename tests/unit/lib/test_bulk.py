"""``cp.bulk`` against the emulator: outcomes per item, skips on re-run, dry runs, bad input."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from codepush_async import (
    AsyncCodePush,
    BulkError,
    BulkResult,
    CodePushError,
    ItemResult,
    NotFoundError,
    Package,
    RetryPolicy,
    RolloutInProgressError,
    RolloutUpdateError,
    Target,
    UnsupportedOperationError,
    prepare_release,
)
from codepush_async.emulator import CodePushEmulator
from tests.conftest import FakeClock

pytestmark = pytest.mark.anyio

URL = "http://emulator"


async def make_fleet(cp: AsyncCodePush, count: int, prefix: str = "Fleet") -> list[str]:
    """``count`` apps, each with one Staging release of its own bundle."""
    names = [f"{prefix}-{i:03d}" for i in range(count)]
    for name in names:
        await cp.apps.create(name)
        await cp.releases.release(name, "Staging", f"bundle of {name}".encode(), "1.0.0")
    return names


@pytest.fixture
def emu() -> CodePushEmulator:
    return CodePushEmulator(rate_limit=None)


@pytest.fixture
async def cp(emu: CodePushEmulator) -> AsyncIterator[AsyncCodePush]:
    key = emu.create_account("fleet@example.com")
    async with AsyncCodePush(key, URL, transport=emu.transport, clock=FakeClock()) as client:
        yield client


def writes(emu: CodePushEmulator) -> list[str]:
    return [f"{r.method} {r.decoded_path}" for r in emu.requests if r.method != "GET"]


def production(emu: CodePushEmulator, cp_apps: list[str]) -> dict[str, int]:
    """How many releases each app's Production deployment holds (the emulator's own state)."""
    counts = {}
    for app in emu.store.apps.values():
        if app.name in cp_apps:
            deployment = emu.store.find_deployment(app.id, "Production")
            assert deployment is not None
            counts[app.name] = len(deployment.history)
    return counts


async def test_targets_by_pattern_names_and_predicate(cp: AsyncCodePush) -> None:
    await make_fleet(cp, 3)
    await cp.apps.create("Other")

    by_pattern = await cp.bulk.targets(apps="Fleet-*", deployment="Production")
    by_names = await cp.bulk.targets(apps=["Fleet-002", "Other"])
    by_predicate = await cp.bulk.targets(apps=lambda app: app.name.endswith("1"))

    assert by_pattern == [Target(f"Fleet-00{i}", "Production") for i in range(3)]
    assert by_names == [Target("Fleet-002"), Target("Other")]
    assert by_predicate == [Target("Fleet-001")]


async def test_targets_refuses_matching_nothing_unknown_names_and_missing_deployments(
    cp: AsyncCodePush,
) -> None:
    await cp.apps.create("Bare", manually_provision_deployments=True)
    await cp.apps.create("Full")

    with pytest.raises(ValueError, match="pattern 'Nope-\\*' matched none of the server's 2"):
        await cp.bulk.targets(apps="Nope-*")
    assert await cp.bulk.targets(apps="Nope-*", require_match=False) == []
    with pytest.raises(ValueError, match="no such apps on the server: Ghost"):
        await cp.bulk.targets(apps=["Full", "Ghost"])
    with pytest.raises(ValueError, match="apps without a 'Production' deployment: Bare"):
        await cp.bulk.targets(apps="*", deployment="Production")


@pytest.mark.parametrize(
    ("targets", "options", "message"),
    [
        (["A", "B", "A"], {}, "duplicate targets: A/Production"),
        (["A", Target("A", "Production")], {}, "duplicate targets: A/Production"),
        ([Target("A", "Beta")], {}, "names deployment 'Beta', but this call acts on"),
        ("A", {}, "targets must be a list"),
        ([""], {}, "an app name must be a non-empty string"),
        ([42], {}, "a target must be an app name or a Target"),
        (["A"], {"concurrency": 0}, "concurrency must be an integer >= 1"),
        (["A"], {"concurrency": True}, "concurrency must be an integer >= 1"),
        (["A"], {"dry_run": "yes"}, "dry_run must be True or False"),
        (["A"], {"on_item": "print"}, "on_item must be callable"),
    ],
)
async def test_bad_input_fails_before_any_request(
    cp: AsyncCodePush, emu: CodePushEmulator, targets: Any, options: dict[str, Any], message: str
) -> None:
    for call in (
        lambda: cp.bulk.promote(targets, "Staging", "Production", **options),
        lambda: cp.bulk.patch(targets, "Production", rollout=50, **options),
        lambda: cp.bulk.rollback(targets, "Production", **options),
        lambda: cp.bulk.release(targets, "Production", b"x", "1.0.0", **options),
    ):
        with pytest.raises(ValueError, match=message):
            await call()
    assert emu.requests == []


@pytest.mark.parametrize("dry_run", [True, False])
@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda cp, **o: cp.bulk.promote(["A"], "Staging", "Production", rollout=150, **o),
         ValueError, "rollout must be from 1 to 100"),
        (lambda cp, **o: cp.bulk.promote(["A"], "Staging", "Production", label="", **o),
         ValueError, "label must not be empty"),
        (lambda cp, **o: cp.bulk.promote(["A"], "Staging", "Production", app_version="x.y",
                                         **o),
         ValueError, "app_version must be a semver version or range"),
        (lambda cp, **o: cp.bulk.patch(["A"], "Production", rollout=0, **o),
         ValueError, "rollout must be from 1 to 100"),
        (lambda cp, **o: cp.bulk.patch(["A"], "Production", is_disabled="yes", **o),
         ValueError, "is_disabled must be True, False or None"),
        (lambda cp, **o: cp.bulk.patch(["A"], "Production", description=7, **o),
         ValueError, "description must be a string or None"),
        (lambda cp, **o: cp.bulk.patch(["A"], "Production", label="", rollout=5, **o),
         ValueError, "label must not be empty"),
        (lambda cp, **o: cp.bulk.release(["A"], "Production", b"x", "", **o),
         ValueError, "target_binary_version must not be empty"),
        (lambda cp, **o: cp.bulk.release(["A"], "Production", b"x", "1.0.0", rollout=101, **o),
         ValueError, "rollout must be from 1 to 100"),
        (lambda cp, **o: cp.bulk.release(["A"], "Production", b"x", "1.0.0",
                                         max_package_size=0, **o),
         ValueError, "max_package_size must be a positive number of bytes"),
        (lambda cp, **o: cp.bulk.release(["A"], "Production", b"x", "1.0.0",
                                         desciption="typo", **o),
         TypeError, "unexpected keyword argument 'desciption'"),
    ],
)
async def test_bad_write_options_fail_before_any_request_dry_run_or_not(
    cp: AsyncCodePush, emu: CodePushEmulator, call: Any, error: type[Exception], message: str,
    dry_run: bool,
) -> None:
    """A dry run must not plan a write that would be refused, nor a run fail it per item."""
    with pytest.raises(error, match=message):
        await call(cp, dry_run=dry_run)
    assert emu.requests == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"apps": ["A", ""]}, "an app name must be a non-empty string"),
        ({"apps": 42}, "apps must be an fnmatch pattern, a list of names or a predicate"),
        ({"apps": b"A*"}, "apps must be an fnmatch pattern, a list of names or a predicate"),
        ({"apps": "*", "require_match": "no"}, "require_match must be True or False"),
        ({"apps": "*", "deployment": ""}, "deployment must be a non-empty string"),
    ],
)
async def test_targets_refuses_bad_arguments_before_listing_apps(
    cp: AsyncCodePush, emu: CodePushEmulator, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        await cp.bulk.targets(**options)
    assert emu.requests == []


async def test_blank_or_control_character_names_fail_before_any_request(
    cp: AsyncCodePush, emu: CodePushEmulator
) -> None:
    """Names the client refuses are refused once, up front, not once per target."""
    with pytest.raises(ValueError, match="target_release must not be empty"):
        await cp.bulk.rollback(["A"], "Production", target_release=" ")
    with pytest.raises(ValueError, match="source must not contain control characters"):
        await cp.bulk.promote(["A"], "Sta\nging", "Production")
    with pytest.raises(ValueError, match="deployment must not be empty"):
        await cp.bulk.patch(["A"], "  ", rollout=5)
    with pytest.raises(ValueError, match=r"an app name must not be empty"):
        await cp.bulk.run([" "], lambda cp, target: anyio.lowlevel.checkpoint())
    assert emu.requests == []


async def test_patch_with_nothing_to_change_and_bad_names_fail_first(
    cp: AsyncCodePush, emu: CodePushEmulator
) -> None:
    with pytest.raises(ValueError, match="nothing to change"):
        await cp.bulk.patch(["A"], "Production")
    with pytest.raises(ValueError, match="dest must be a non-empty string"):
        await cp.bulk.promote(["A"], "Staging", "")
    with pytest.raises(ValueError, match=r"Target\.app must be a non-empty string"):
        Target("")
    assert emu.requests == []


async def test_empty_target_list_is_an_empty_result(
    cp: AsyncCodePush, emu: CodePushEmulator
) -> None:
    result = await cp.bulk.promote([], "Staging", "Production")

    assert result.items == ()
    assert bool(result)
    result.raise_for_failures()
    assert emu.requests == []


async def test_promote_then_rerun_skips_everything(
    cp: AsyncCodePush, emu: CodePushEmulator
) -> None:
    apps = await make_fleet(cp, 12)
    seen: list[ItemResult] = []

    first = await cp.bulk.promote(apps, "Staging", "Production", rollout=10, on_item=seen.append)
    second = await cp.bulk.promote(apps, "Staging", "Production", rollout=10)

    assert [item.target for item in first.items] == [Target(a, "Production") for a in apps]
    assert [item.status for item in first.items] == ["done"] * 12
    assert sorted(str(item.target) for item in seen) == [f"{a}/Production" for a in apps]
    for item in first.items:
        assert isinstance(item.value, Package)
        assert (item.value.rollout, item.value.release_method) == (10, "Promote")
        assert (item.attempts, item.error) == (1, None)
    assert [item.status for item in second.items] == ["skipped"] * 12
    assert all(item.attempts == 0 and item.value.label == "v1" for item in second.items)
    assert production(emu, apps) == dict.fromkeys(apps, 1)


async def test_dry_run_reads_and_plans_but_sends_no_write(
    cp: AsyncCodePush, emu: CodePushEmulator
) -> None:
    apps = await make_fleet(cp, 4)
    await cp.releases.promote(apps[0], "Staging", "Production")
    emu.clear_requests()

    promote = await cp.bulk.promote(apps, "Staging", "Production", dry_run=True)
    complete = await cp.bulk.patch(apps, "Staging", rollout=100, dry_run=True)
    patch = await cp.bulk.patch(apps, "Staging", description="new", dry_run=True)
    rollback = await cp.bulk.rollback(apps, "Staging", dry_run=True)
    release = await cp.bulk.release(apps, "Staging", b"new bundle", "1.0.0", dry_run=True)

    assert [i.status for i in promote.items] == ["skipped", "planned", "planned", "planned"]
    assert [i.status for i in complete.items] == ["skipped"] * 4  # already complete
    assert [i.status for i in patch.items] == ["planned"] * 4
    assert [i.status for i in rollback.items] == ["planned"] * 4
    assert [i.status for i in release.items] == ["planned"] * 4
    assert emu.requests
    assert {r.method for r in emu.requests} == {"GET"}


async def test_patch_raises_rollouts_skips_when_done_and_reports_refusals(
    cp: AsyncCodePush, emu: CodePushEmulator
) -> None:
    apps = await make_fleet(cp, 3)
    await cp.bulk.promote(apps, "Staging", "Production", rollout=10)
    await cp.releases.patch(apps[2], "Production", rollout=80)

    raised = await cp.bulk.patch(apps, "Production", rollout=50)
    again = await cp.bulk.patch(apps, "Production", rollout=50)

    assert [i.status for i in raised.items] == ["done", "done", "failed"]
    assert [i.value.rollout for i in raised.done] == [50, 50]
    assert isinstance(raised.items[2].error, RolloutUpdateError)
    assert not raised
    with pytest.raises(BulkError) as caught:
        raised.raise_for_failures()
    assert caught.value.failed == (raised.items[2],)
    assert str(caught.value) == (
        "1 of 3 bulk items failed: Fleet-002/Production: RolloutUpdateError: "
        'Rollout value must be greater than "80", the existing value.'
    )
    assert isinstance(caught.value, CodePushError)
    assert [i.status for i in again.items] == ["skipped", "skipped", "failed"]


async def test_patch_by_label_and_other_fields(cp: AsyncCodePush) -> None:
    apps = await make_fleet(cp, 2)

    first = await cp.bulk.patch(apps, "Staging", label="v1", is_mandatory=True,
                                description="hotfix")
    second = await cp.bulk.patch(apps, "Staging", label="v1", is_mandatory=True,
                                 description="hotfix")
    unknown = await cp.bulk.patch(apps, "Staging", label="v9", is_disabled=True)

    assert [i.status for i in first.items] == ["done", "done"]
    assert all(i.value.is_mandatory and i.value.description == "hotfix" for i in first.items)
    assert [(i.status, i.attempts) for i in second.items] == [("skipped", 0)] * 2  # no write
    assert [i.status for i in unknown.items] == ["failed", "failed"]
    assert str(unknown.items[0].error) == "Fleet-000/Staging has no release 'v9'"


async def test_promote_onto_an_unfinished_rollout_fails_with_its_cause(
    cp: AsyncCodePush,
) -> None:
    apps = await make_fleet(cp, 2)
    await cp.bulk.promote(apps, "Staging", "Production", rollout=10)
    await cp.releases.release(apps[0], "Staging", b"next bundle", "1.0.0")

    result = await cp.bulk.promote(apps, "Staging", "Production")

    assert [i.status for i in result.items] == ["failed", "skipped"]
    assert isinstance(result.items[0].error, RolloutInProgressError)


async def test_promote_from_an_empty_deployment_fails_that_item_only(cp: AsyncCodePush) -> None:
    apps = await make_fleet(cp, 2)
    await cp.apps.create("Empty")

    result = await cp.bulk.promote([apps[0], "Empty", apps[1]], "Staging", "Production")

    assert [i.status for i in result.items] == ["done", "failed", "done"]
    assert isinstance(result.items[1].error, NotFoundError)
    assert result.items[1].attempts == 1


async def test_rollback_once_and_never_twice(cp: AsyncCodePush, emu: CodePushEmulator) -> None:
    apps = await make_fleet(cp, 3)
    for app in apps:
        await cp.releases.release(app, "Staging", f"second of {app}".encode(), "1.0.0")

    first = await cp.bulk.rollback(apps, "Staging")
    second = await cp.bulk.rollback(apps, "Staging")
    to_v2 = await cp.bulk.rollback(apps, "Staging", target_release="v2")
    to_v2_again = await cp.bulk.rollback(apps, "Staging", target_release="v2")

    assert [i.status for i in first.items] == ["done"] * 3
    assert all(i.value.release_method == "Rollback" for i in first.items)
    assert [(i.status, i.attempts) for i in second.items] == [("skipped", 0)] * 3
    assert [i.status for i in to_v2.items] == ["done"] * 3
    assert [(i.status, i.attempts) for i in to_v2_again.items] == [("skipped", 0)] * 3
    history = await cp.releases.history(apps[0], "Staging")
    assert [p.release_method for p in history] == ["Upload", "Upload", "Rollback", "Rollback"]
    assert history[-1].package_hash == history[1].package_hash


async def test_release_zips_and_hashes_once_and_skips_on_rerun(
    cp: AsyncCodePush, emu: CodePushEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import codepush_async._release.package as package_module
    import codepush_async._release.prepared as prepared_module

    apps = await make_fleet(cp, 4)
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "main.jsbundle").write_text("console.log('fleet')")
    calls: dict[str, int] = {"zip": 0, "hash": 0}
    real_zip, real_hash = package_module.zip_directory, prepared_module.package_hash

    def counting_zip(*args: Any) -> None:
        calls["zip"] += 1
        real_zip(*args)

    def counting_hash(source: Path | bytes) -> str:
        calls["hash"] += 1
        return real_hash(source)

    monkeypatch.setattr(package_module, "zip_directory", counting_zip)
    monkeypatch.setattr(prepared_module, "package_hash", counting_hash)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))

    first = await cp.bulk.release(apps, "Staging", bundle, "1.0.0", description="fleet")
    assert calls == {"zip": 1, "hash": 1}
    second = await cp.bulk.release(apps, "Staging", bundle, "1.0.0", description="fleet")

    assert [i.status for i in first.items] == ["done"] * 4
    async with prepare_release(bundle) as prepared:
        expected = prepared.package_hash
    assert {i.value.package_hash for i in first.items} == {expected}
    assert all(i.value.description == "fleet" for i in first.items)
    assert [(i.status, i.attempts) for i in second.items] == [("skipped", 0)] * 4  # no upload
    left = sorted([p.name async for p in anyio.Path(tmp_path).iterdir()])
    assert left == ["bundle"]  # the temp zips are removed


async def test_release_forwards_every_option_and_uploads_one_at_a_time(
    cp: AsyncCodePush, monkeypatch: pytest.MonkeyPatch
) -> None:
    apps = await make_fleet(cp, 5)
    seen: list[dict[str, Any]] = []
    in_flight = peak = 0
    real = cp.releases.release

    async def spy(*args: Any, **kwargs: Any) -> Package | None:
        nonlocal in_flight, peak
        seen.append({k: v for k, v in kwargs.items() if k != "description"})
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            await anyio.lowlevel.checkpoint()
            kwargs.pop("signing_hint")
            return await real(*args, **kwargs)
        finally:
            in_flight -= 1

    monkeypatch.setattr(cp.releases, "release", spy)
    result = await cp.bulk.release(apps, "Staging", b"shared", "1.0.0", description="d",
                                   signing_hint="from another helper")

    assert [i.status for i in result.items] == ["done"] * 5
    assert seen == [{"signing_hint": "from another helper"}] * 5
    assert peak == 1


async def test_run_reports_each_item_with_sync_or_async_callbacks(cp: AsyncCodePush) -> None:
    apps = await make_fleet(cp, 4)
    sync_seen: list[str] = []
    async_seen: list[str] = []

    async def history_size(client: AsyncCodePush, target: Target) -> int:
        if target.app == apps[1]:
            raise NotFoundError("gone")
        return len(await client.releases.history(target.app, "Staging"))

    async def report(item: ItemResult) -> None:
        await anyio.lowlevel.checkpoint()
        async_seen.append(item.status)

    first = await cp.bulk.run(apps, history_size, on_item=lambda i: sync_seen.append(i.status))
    second = await cp.bulk.run([Target(a, "Staging") for a in apps], history_size,
                               concurrency=2, on_item=report)

    for result, seen in ((first, sync_seen), (second, async_seen)):
        assert [i.status for i in result.items] == ["done", "failed", "done", "done"]
        assert [i.value for i in result.done] == [1, 1, 1]
        assert isinstance(result.failed[0].error, NotFoundError)
        assert sorted(seen) == ["done", "done", "done", "failed"]


async def test_concurrency_bounds_items_in_flight(cp: AsyncCodePush) -> None:
    apps = await make_fleet(cp, 10)
    in_flight = peak = 0

    async def slow(client: AsyncCodePush, target: Target) -> None:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        for _ in range(3):
            await anyio.lowlevel.checkpoint()
        in_flight -= 1

    await cp.bulk.run(apps, slow, concurrency=3)

    assert peak == 3


async def test_unsupported_operations_fail_per_item_on_v1() -> None:
    emu = CodePushEmulator("v1", rate_limit=None)
    key = emu.create_account("fleet@example.com")
    async with AsyncCodePush(key, URL, transport=emu.transport, dialect="v1",
                             clock=FakeClock()) as cp:
        apps = await make_fleet(cp, 3)
        promote = await cp.bulk.promote(apps, "Staging", "Production")
        rollback = await cp.bulk.rollback(apps, "Staging")
        patch = await cp.bulk.patch(apps, "Staging", rollout=100)
        described = await cp.bulk.patch(apps, "Staging", description="v1 fleet")

    assert all(isinstance(i.error, UnsupportedOperationError) for i in promote.items)
    assert all(isinstance(i.error, UnsupportedOperationError) for i in rollback.items)
    assert [i.status for i in patch.items] == ["skipped"] * 3
    assert [i.status for i in described.items] == ["done"] * 3
    assert all(i.value.description == "v1 fleet" for i in described.items)


async def test_bulk_over_a_served_emulator(emu: CodePushEmulator) -> None:
    key = emu.create_account("fleet@example.com")
    async with emu.serving() as url, AsyncCodePush(key, url, clock=FakeClock()) as cp:
        apps = await make_fleet(cp, 3, prefix="Served App")
        result = await cp.bulk.promote(apps, "Staging", "Production")
        again = await cp.bulk.promote(await cp.bulk.targets("Served App-*", "Production"),
                                      "Staging", "Production")

    assert [i.status for i in result.items] == ["done"] * 3
    assert [i.status for i in again.items] == ["skipped"] * 3


def test_bulk_result_views() -> None:
    items = tuple(
        ItemResult(Target(f"A{i}", "P"), status)
        for i, status in enumerate(("done", "skipped", "failed", "planned", "done"))
    )
    result = BulkResult(items)

    assert [i.target.app for i in result.done] == ["A0", "A4"]
    assert [i.target.app for i in result.skipped] == ["A1"]
    assert [i.target.app for i in result.failed] == ["A2"]
    assert [i.target.app for i in result.planned] == ["A3"]
    assert (len(result), list(result), bool(result)) == (5, list(items), False)
    assert bool(BulkResult(items[:2]))
    assert str(Target("A", "P")) == "A/P"
    assert str(Target("A")) == "A"


def test_bulk_uses_only_the_clients_public_calls() -> None:
    """The module reads as an example of the SDK: no private member of the client is used."""
    import ast

    import codepush_async.lib.bulk as bulk_module

    tree = ast.parse(Path(bulk_module.__file__).read_text())
    used = {ast.unparse(node) for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and ast.unparse(node).startswith("self._cp.")}
    assert used
    assert not [chain for chain in used if "._" in chain.removeprefix("self._cp")]
    locals_of_cp = {ast.unparse(node) for node in ast.walk(tree)
                    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id == "releases"}
    assert locals_of_cp == {"releases.history", "releases.promote", "releases.patch",
                            "releases.release", "releases.rollback"}
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not imported & {"_transport", "_wire", "_ratelimit", "_retry", "_resources"}


async def test_a_failing_on_item_stops_the_call_and_is_raised_as_is(
    cp: AsyncCodePush, emu: CodePushEmulator
) -> None:
    apps = await make_fleet(cp, 5)
    seen: list[ItemResult] = []

    def broken_bar(item: ItemResult) -> None:
        seen.append(item)
        raise RuntimeError("the progress bar broke")

    with pytest.raises(RuntimeError, match="the progress bar broke"):
        await cp.bulk.promote(apps, "Staging", "Production", concurrency=1, on_item=broken_bar)

    assert [(i.target.app, i.status) for i in seen] == [(apps[0], "done")]
    assert [a for a in apps if len(await cp.releases.history(a, "Production")) == 1] == apps[:1]


async def test_items_share_the_clients_rate_limiter() -> None:
    """Under a server limit, items wait for the window (on the client's clock): no 429 at all."""
    clock = FakeClock()
    emu = CodePushEmulator("v1", clock=lambda: clock.time, rate_limit=5, rate_limit_window=900)
    setup_key, key = emu.create_account("fleet@example.com"), emu.create_account("fleet@example.com")
    for i in range(12):  # set up outside the limit: a fresh window and client each time
        emu.reset_rate_limits()
        async with AsyncCodePush(setup_key, URL, transport=emu.transport, dialect="v1",
                                 clock=clock) as setup:
            await setup.apps.create(f"Fleet-{i:03d}")
    emu.reset_rate_limits()
    emu.clear_requests()
    async with AsyncCodePush(key, URL, transport=emu.transport, dialect="v1", clock=clock,
                             retry=RetryPolicy(max_wait=900)) as cp:
        result = await cp.bulk.run(
            [f"Fleet-{i:03d}" for i in range(12)],
            lambda client, target: client.deployments.list(target.app),
            concurrency=4,
        )

    assert [i.status for i in result.items] == ["done"] * 12
    assert [r.status for r in emu.requests] == [200] * 12
    assert len([s for s in clock.sleeps if s >= 800]) >= 2  # two windows waited out
