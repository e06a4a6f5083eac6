"""``copy_app``, ``export_app``, ``import_app``: emulator to emulator, on the wire."""

from __future__ import annotations

import ast
import contextlib
import json
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from codepush_async import (
    AsyncCodePush,
    MigrationError,
    MigrationItem,
    MigrationReport,
    copy_app,
    export_app,
    import_app,
)
from codepush_async.emulator import CodePushEmulator, ManualClock
from codepush_async.lib.migration import plan_steps
from tests.migration_support import APP, Releaser, check_same_answers, rich_history

pytestmark = pytest.mark.anyio

WRITES = ("POST", "PATCH", "PUT", "DELETE")


@dataclass
class Pair:
    src: CodePushEmulator
    dst: CodePushEmulator
    source: AsyncCodePush
    destination: AsyncCodePush
    clock: ManualClock
    root: Path

    def advance(self) -> None:
        self.clock.advance(60)

    def writes(self, emu: CodePushEmulator | None = None) -> list[str]:
        return [f"{r.method} {r.path}" for r in (emu or self.dst).requests
                if r.method in WRITES]

    def releases_sent(self) -> Counter[str]:
        """The release, promote and rollback requests the destination got, by path."""
        return Counter(r.path for r in self.dst.requests if r.method == "POST"
                       and ("/promote/" in r.path or r.path.endswith(("/release", "/rollback"))))


@contextlib.asynccontextmanager
async def _pair(tmp_path: Path, served: bool, **dst_options: Any) -> AsyncIterator[Pair]:
    clock = ManualClock()
    src = CodePushEmulator(clock=clock, request_log_size=None)
    dst = CodePushEmulator(clock=clock, request_log_size=None, **dst_options)
    keys = src.create_account("me@example.com"), dst.create_account("me@example.com")
    async with contextlib.AsyncExitStack() as stack:
        if served:
            urls = [await stack.enter_async_context(e.serving()) for e in (src, dst)]
            clients = [AsyncCodePush(k, u, clock=clock) for k, u in zip(keys, urls, strict=True)]
        else:
            clients = [AsyncCodePush(k, f"http://{n}", transport=e.transport, clock=clock)
                       for k, n, e in zip(keys, ("src", "dst"), (src, dst), strict=True)]
        source, destination = [await stack.enter_async_context(c) for c in clients]
        yield Pair(src, dst, source, destination, clock, tmp_path)


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[Pair]:
    async with _pair(tmp_path, served=False) as made:
        await rich_history(made.source, tmp_path / "bundles", made.advance)
        made.src.requests.clear()
        yield made


# Same answers


@pytest.mark.parametrize("served", [False, True], ids=["inprocess", "served"])
async def test_a_copy_gives_every_device_the_same_answer(tmp_path: Path, served: bool) -> None:
    async with _pair(tmp_path, served) as pair:
        await rich_history(pair.source, tmp_path / "bundles", pair.advance)
        seen: list[MigrationItem] = []
        report = await copy_app(pair.source, pair.destination, APP, on_item=seen.append)

        checks = await check_same_answers(pair.source, pair.destination, APP, report)
        src_keys = {d.name: d.key for d in await pair.source.deployments.list(APP)}

    assert checks > 1000
    assert report
    assert not report.failed
    assert not report.flagged
    assert list(seen) == list(report.items)
    assert report.keys == src_keys
    assert not report.new_keys
    assert [i.deployment for i in report.created] == ["Beta", "Empty", "Production", "Staging"]
    assert [(i.deployment, i.what, i.label) for i in report.replayed] == [
        ("Staging", "release", "v1"), ("Staging", "release", "v2"),
        ("Production", "promote", "v1"), ("Staging", "release", "v3"),
        ("Staging", "release", "v4"), ("Staging", "release", "v5"),
        ("Production", "release", "v2"), ("Production", "rollback", "v3"),
        ("Production", "promote", "v4"), ("Beta", "release", "v1"),
        ("Production", "release", "v5"),
    ]


async def test_the_destination_history_is_the_sources_field_by_field(pair: Pair) -> None:
    await copy_app(pair.source, pair.destination, APP)

    fields = ("label", "app_version", "description", "is_mandatory", "is_disabled", "rollout",
              "package_hash", "release_method", "original_label", "original_deployment")
    for name in ("Staging", "Production", "Beta", "Empty"):
        histories = [await cp.releases.history(APP, name)
                     for cp in (pair.source, pair.destination)]
        assert [[getattr(p, f) for f in fields] for p in histories[0]] == [
            [getattr(p, f) for f in fields] for p in histories[1]], name


async def test_a_second_copy_skips_everything_and_writes_nothing(pair: Pair) -> None:
    await copy_app(pair.source, pair.destination, APP)
    pair.dst.requests.clear()

    again = await copy_app(pair.source, pair.destination, APP)

    assert pair.writes() == []
    assert {i.action for i in again.items} == {"skipped"}
    assert len(again.skipped) == 4 + 11


async def test_each_package_is_downloaded_once(pair: Pair, tmp_path: Path) -> None:
    await copy_app(pair.source, pair.destination, APP)

    downloads = [r.path for r in pair.src.requests if r.path.startswith("/blobs/")]
    assert len(downloads) == len(set(downloads)) == 8  # 8 uploads; promotes copy them


# Export and import


async def test_the_backup_folder_is_self_contained_and_holds_no_key(
    pair: Pair, tmp_path: Path
) -> None:
    folder = await export_app(pair.source, APP, tmp_path / "backup")

    manifest = json.loads((folder / "manifest.json").read_text())
    hashes = {e["package_hash"] for d in manifest["deployments"] for e in d["history"]}
    assert sorted(p.name for p in (folder / "packages").iterdir()) == sorted(
        f"{h}.zip" for h in hashes)
    assert (manifest["format"], manifest["format_version"]) == ("codepush-async backup", 1)
    assert manifest["source_server"] == "http://src"
    assert [d["name"] for d in manifest["deployments"]] == [
        "Beta", "Empty", "Production", "Staging"]
    assert manifest["deployments"][2]["key"] == pair.src.deployment_key(APP, "Production")
    blob = b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
    access_keys = [k.name for k in pair.src.store.access_keys.values()]
    assert access_keys
    assert not [k for k in access_keys if k.encode() in blob]
    assert b"/blobs/" not in blob  # no URL of the source's storage either


async def test_an_export_run_again_downloads_nothing(pair: Pair, tmp_path: Path) -> None:
    await export_app(pair.source, APP, tmp_path / "backup")
    pair.src.requests.clear()

    await export_app(pair.source, APP, tmp_path / "backup")

    assert [r.path for r in pair.src.requests if r.path.startswith("/blobs/")] == []


async def test_an_export_replaces_a_damaged_package(pair: Pair, tmp_path: Path) -> None:
    folder = await export_app(pair.source, APP, tmp_path / "backup")
    damaged = next((folder / "packages").iterdir())
    damaged.write_bytes(b"not the package")

    await export_app(pair.source, APP, folder)
    report = await import_app(pair.destination, folder)

    assert damaged.read_bytes() != b"not the package"
    assert report
    assert len(report.replayed) == 11


async def test_import_resumes_after_a_crash_and_faults_writing_nothing_twice(
    pair: Pair, tmp_path: Path
) -> None:
    folder = await export_app(pair.source, APP, tmp_path / "backup")
    pair.dst.drop_next(after_handler=True, method="POST", path=f"/apps/{APP}/deployments/Staging/release")
    pair.dst.fail_next(503, method="POST", path=f"/apps/{APP}/deployments/Staging/promote/Production")

    class Crash(Exception):
        pass

    def crash_half_way(item: MigrationItem) -> None:
        if item.action == "replayed" and item.label == "v5":
            raise Crash

    with pytest.raises(Crash):
        await import_app(pair.destination, folder, on_item=crash_half_way)
    first = pair.releases_sent()
    second = await import_app(pair.destination, folder)

    assert second
    assert [(i.deployment, i.label) for i in second.skipped if i.what != "deployment"
                       ] == [("Staging", "v1"), ("Staging", "v2"), ("Production", "v1"),
                             ("Staging", "v3"), ("Staging", "v4"), ("Staging", "v5")]
    assert len(second.replayed) == 5
    sent = pair.releases_sent()
    assert sent[f"/apps/{APP}/deployments/Staging/release"] == 5  # the dropped answer: read back
    assert first[f"/apps/{APP}/deployments/Staging/promote/Production"] == 2  # 503: resent
    assert sent[f"/apps/{APP}/deployments/Production/release"] == 2
    for name in ("Staging", "Production"):
        labels = [p.label for p in await pair.destination.releases.history(APP, name)]
        assert labels == [f"v{i}" for i in range(1, 6)]
    report = MigrationReport(APP, APP, second.items, keys=second.keys)
    await check_same_answers(pair.source, pair.destination, APP, report)


async def test_the_destination_rate_limit_is_waited_for(tmp_path: Path) -> None:
    async with _pair(tmp_path, served=False, rate_limit=3, rate_limit_window=900) as pair:
        await rich_history(pair.source, tmp_path / "bundles", pair.advance)
        before = pair.clock.now()
        report = await copy_app(pair.source, pair.destination, APP)

        await check_same_answers(pair.source, pair.destination, APP, report)
        waited = pair.clock.now() - before

    assert report
    assert len(report.replayed) == 11
    assert report.rate_limit_waits >= 2
    assert waited >= report.waited >= 2 * 800


async def test_history_current_copies_each_deployments_current_release(pair: Pair) -> None:
    report = await copy_app(pair.source, pair.destination, APP, history="current")

    assert report
    assert len(report.replayed) == 3
    for name in ("Staging", "Production", "Beta"):
        [copied] = await pair.destination.releases.history(APP, name)
        current = (await pair.source.releases.history(APP, name))[-1]
        assert (copied.package_hash, copied.app_version, copied.rollout,
                copied.is_mandatory) == (current.package_hash, current.app_version,
                                         current.rollout, current.is_mandatory)
    assert await pair.destination.releases.history(APP, "Empty") == []


def _edit(folder: Path, change: Any) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    change(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest))


def _history(manifest: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return next(d["history"] for d in manifest["deployments"] if d["name"] == name)


async def test_an_unfinished_rollout_before_a_release_is_completed_and_said(
    pair: Pair, tmp_path: Path
) -> None:
    folder = await export_app(pair.source, APP, tmp_path / "backup")
    _edit(folder, lambda m: _history(m, "Staging")[3].update(rollout=40))  # v4: 40 %, enabled

    report = await import_app(pair.destination, folder)

    v4 = (await pair.destination.releases.history(APP, "Staging"))[3]
    assert report
    assert (v4.rollout, v4.is_disabled) == (100, False)
    [patch] = [i for i in report.items if i.what == "patch"]
    assert (patch.label, patch.note) == ("v4", "rollout of v4 completed to 100% (was 40%): "
                                         "the server requires it before the next release")


async def test_a_promote_the_destination_cannot_reproduce_is_a_flagged_release(
    pair: Pair, tmp_path: Path
) -> None:
    folder = await export_app(pair.source, APP, tmp_path / "backup")
    _edit(folder, lambda m: _history(m, "Production")[0].update(original_deployment="Gone"))

    report = await import_app(pair.destination, folder)

    [flagged] = report.flagged
    assert (flagged.deployment, flagged.what, flagged.label) == ("Production", "release", "v1")
    assert flagged.note == "Promote of Gone/v2 replayed as a release of the same package"
    first = (await pair.destination.releases.history(APP, "Production"))[0]
    assert (first.release_method, first.is_mandatory) == ("Upload", True)


async def test_a_copy_within_one_server_under_another_name_gets_new_keys(pair: Pair) -> None:
    report = await copy_app(pair.source, pair.source, APP, to_name="Shop Copy",
                            keep_keys=False)

    assert report
    assert report.destination_app == "Shop Copy"
    assert set(report.new_keys) == {"Beta", "Empty", "Production", "Staging"}
    await check_same_answers(pair.source, pair.source, APP, report)


# Dry run and refusals


async def test_a_dry_run_reads_only_and_plans(pair: Pair) -> None:
    report = await copy_app(pair.source, pair.destination, APP, dry_run=True)

    assert pair.writes() == []
    assert pair.writes(pair.src) == []
    assert not [r for r in pair.src.requests if r.path.startswith("/blobs/")]
    assert report.dry_run
    assert len(report.planned) == 4 + 11
    assert await pair.destination.apps.list() == []


async def test_a_destination_app_that_differs_is_refused_before_any_write(pair: Pair) -> None:
    await pair.destination.apps.create(APP)
    await Releaser(pair.destination, pair.root / "other", pair.advance).release(
        "Staging", "1.0.0")
    pair.dst.requests.clear()

    with pytest.raises(MigrationError, match="already exists on the destination and differs"):
        await copy_app(pair.source, pair.destination, APP)
    assert pair.writes() == []


async def test_a_to_name_taken_by_another_app_is_refused(pair: Pair) -> None:
    await pair.destination.apps.create("Taken")
    pair.dst.requests.clear()

    with pytest.raises(MigrationError, match="'Production' has another key"):
        await copy_app(pair.source, pair.destination, APP, to_name="Taken")
    assert pair.writes() == []


async def test_an_unknown_app_is_refused(pair: Pair) -> None:
    with pytest.raises(MigrationError, match="no app 'Nope' on http://src"):
        await copy_app(pair.source, pair.destination, "Nope")
    assert pair.writes() == []


@pytest.mark.parametrize(("change", "message"), [
    (lambda m: m.update(format="other"), "is not a codepush-async backup"),
    (lambda m: m.update(format_version=2), "format version 2; this SDK reads versions up to 1"),
    (lambda m: m["app"].pop("name"), "is damaged"),
    (lambda m: _history(m, "Staging")[0].update(package_hash="../../etc"), "cannot name"),
])
async def test_a_folder_that_is_not_a_readable_backup_is_refused(
    pair: Pair, tmp_path: Path, change: Any, message: str
) -> None:
    folder = await export_app(pair.source, APP, tmp_path / "backup")
    _edit(folder, change)

    with pytest.raises((ValueError, MigrationError), match=message):
        await import_app(pair.destination, folder)
    assert list(pair.dst.requests) == []


async def test_a_backup_missing_a_package_is_refused(pair: Pair, tmp_path: Path) -> None:
    folder = await export_app(pair.source, APP, tmp_path / "backup")
    next((folder / "packages").iterdir()).unlink()

    with pytest.raises(ValueError, match="lacks the packages"):
        await import_app(pair.destination, folder)
    with pytest.raises(ValueError, match="is not a codepush-async backup"):
        await import_app(pair.destination, tmp_path)
    assert list(pair.dst.requests) == []


@pytest.mark.parametrize(("options", "message"), [
    ({"history": "some"}, "history must be 'all' or 'current'"),
    ({"to_name": ""}, "to_name"),
    ({"keep_keys": "yes"}, "keep_keys"),
    ({"dry_run": 1}, "dry_run"),
    ({"on_item": 3}, "on_item must be callable"),
])
async def test_bad_options_are_refused_before_any_request(
    pair: Pair, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        await copy_app(pair.source, pair.destination, APP, **options)
    assert list(pair.src.requests) == []
    assert list(pair.dst.requests) == []


# The plan and the report


def _entry(deployment: str, label: str, time: int, **fields: Any) -> dict[str, Any]:
    return {"deployment": deployment, "label": label, "app_version": "1.0.0",
            "package_hash": f"h{deployment}{label}", "upload_time": time, **fields}


def test_the_plan_puts_a_promote_after_the_release_it_copies_on_a_time_tie() -> None:
    manifest = {"deployments": [
        {"name": "Production", "history": [
            _entry("Production", "v1", 5, package_hash="hStagingv1", release_method="Promote",
                   original_label="v1", original_deployment="Staging")]},
        {"name": "Staging", "history": [_entry("Staging", "v1", 5), _entry("Staging", "v2", 9)]},
    ]}

    steps = plan_steps(manifest)

    assert [(s.entry.deployment, s.entry.label, s.method) for s in steps] == [
        ("Staging", "v1", "release"), ("Production", "v1", "promote"),
        ("Staging", "v2", "release")]


def test_a_rollback_to_another_package_is_replayed_as_a_release() -> None:
    manifest = {"deployments": [{"name": "P", "history": [
        _entry("P", "v1", 1), _entry("P", "v2", 2),
        _entry("P", "v3", 3, package_hash="other", release_method="Rollback",
               original_label="v1")]}]}

    [*_, step] = plan_steps(manifest)

    assert (step.method, step.note) == (
        "release", "Rollback of P/v1 replayed as a release of the same package")


def test_the_report_views_repr_and_dict() -> None:
    items = (MigrationItem("S", "deployment", "created"),
             MigrationItem("S", "release", "replayed", "v1", "h1", note="odd"),
             MigrationItem("P", "release", "failed", "v1", "h2", error=ValueError("x")))
    report = MigrationReport("A", "B", items, keys={"S": "k1"}, rate_limit_waits=2)

    assert not report
    assert report.failed == items[2:]
    assert report.flagged == items[1:2]
    assert report.by_deployment() == {"S": items[:2], "P": items[2:]}
    assert repr(report) == ("MigrationReport(app='A', to='B', flagged=1, waits=2, created=1, "
                            "replayed=1, failed=1)")
    assert repr(items[1]) == ("MigrationItem(deployment='S', what='release', "
                              "action='replayed', label='v1', note='odd')")
    assert report.to_dict()["items"][0]["action"] == "created"


def test_migration_uses_only_the_clients_public_calls() -> None:
    import codepush_async.lib.migration as module

    tree = ast.parse(Path(module.__file__).read_text())
    used = {ast.unparse(node) for node in ast.walk(tree) if isinstance(node, ast.Attribute)
            and ast.unparse(node).startswith(("self.cp.", "cp."))}
    assert used
    assert not [chain for chain in used if "._" in chain]
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not imported & {"_transport", "_wire", "_ratelimit", "_retry", "_resources",
                           ".._resources", ".._core"}


async def test_collaborators_with_an_account_on_the_destination_are_added(pair: Pair) -> None:
    for emu in (pair.src, pair.dst):
        emu.create_account("friend@example.com")
    pair.src.create_account("gone@example.com")
    for email in ("friend@example.com", "gone@example.com"):
        await pair.source.collaborators.add(APP, email)

    planned = await copy_app(pair.source, pair.destination, APP, dry_run=True)
    report = await copy_app(pair.source, pair.destination, APP)
    pair.dst.requests.clear()
    again = await copy_app(pair.source, pair.destination, APP)

    people = [(i.action, i.note) for i in planned.items if i.what == "collaborator"]
    assert people == [("planned", "friend@example.com"), ("planned", "gone@example.com")]
    people = [(i.action, i.note) for i in report.items if i.what == "collaborator"]
    assert people == [
        ("created", "friend@example.com"),
        ("skipped", "gone@example.com: no account with this e-mail on the destination"),
    ]
    held = await pair.destination.collaborators.list(APP)
    assert {email: p.permission for email, p in held.items()} == {
        "me@example.com": "Owner", "friend@example.com": "Collaborator"}
    assert [i.action for i in again.items if i.what == "collaborator"] == ["skipped", "skipped"]
    assert [w for w in pair.writes() if "collaborators" in w] == [
        f"POST /apps/{APP}/collaborators/gone%40example.com"]  # retried: it never landed


async def test_a_backup_lists_collaborators_but_never_the_owner(
    pair: Pair, tmp_path: Path
) -> None:
    pair.src.create_account("friend@example.com")
    await pair.source.collaborators.add(APP, "friend@example.com")

    folder = await export_app(pair.source, APP, tmp_path / "backup")

    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["collaborators"] == ["friend@example.com"]
