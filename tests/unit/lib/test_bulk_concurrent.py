"""Two writers on the same targets: each target written at most once, no item failed.

Requests are parked by ``Interleaver`` and let through one at a time in an order the test
chooses (the worst one, or one hypothesis draws), so the interleavings are forced, not hoped
for. "Another process" is a second client whose write lands between an item's read and
its write. Every check reads the emulator's own state.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codepush_async import (
    AsyncCodePush,
    BulkResult,
    OutcomeUnknownError,
    Package,
    RolloutUpdateError,
)
from codepush_async.emulator import CodePushEmulator
from tests._backend import httpx
from tests.conftest import FakeClock
from tests.unit.lib.test_bulk import URL

Pick = Callable[[list[Any]], int]
Write = Callable[[AsyncCodePush, list[str]], Awaitable[BulkResult]]
APPS = ["Fleet-000", "Fleet-001"]
OPERATIONS: dict[str, Write] = {
    "rollback": lambda cp, apps: cp.bulk.rollback(apps, "Production"),
    "patch": lambda cp, apps: cp.bulk.patch(apps, "Production", rollout=50),
    "promote": lambda cp, apps: cp.bulk.promote(apps, "Staging", "Beta"),
}


class Interleaver(httpx.AsyncBaseTransport):  # type: ignore[misc]
    """Parks every request; ``run`` lets them through one at a time, as ``pick`` chooses."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.parked: list[tuple[Any, anyio.Event]] = []
        self.most_parked = 0  # requests in flight at once, at most

    async def handle_async_request(self, request: Any) -> Any:
        gate = anyio.Event()
        self.parked.append((request, gate))
        self.most_parked = max(self.most_parked, len(self.parked))
        await gate.wait()
        return await self.inner.handle_async_request(request)

    async def run(self, calls: list[Callable[[], Awaitable[Any]]], pick: Pick) -> list[Any]:
        """Each call's answer, the parked requests released one by one in ``pick``'s order."""
        answers: dict[int, Any] = {}

        async def call(index: int, fn: Callable[[], Awaitable[Any]]) -> None:
            answers[index] = await fn()

        async with anyio.create_task_group() as group:
            for index, fn in enumerate(calls):
                group.start_soon(call, index, fn)
            while True:
                await settle()  # every task on to its next request, lock or end
                if len(answers) == len(calls):
                    break
                assert self.parked, "no request parked and the calls have not ended"
                _, gate = self.parked.pop(pick([request for request, _ in self.parked]))
                gate.set()
        return [answers[index] for index in range(len(calls))]


async def settle() -> None:
    for _ in range(200):  # in-process, nothing waits on anything but the event loop
        await anyio.lowlevel.checkpoint()


def reads_first(requests: list[Any]) -> int:
    """The worst order for two writers: every read before any write it could follow."""
    return next((i for i, r in enumerate(requests) if r.method == "GET"), 0)


async def fleet(emu: CodePushEmulator, apps: list[str]) -> dict[str, dict[str, str | None]]:
    """Each app: Staging v1 "one", v2 "two"; Production v1 "one", v2 "two" at 10 %; an
    empty Beta. Returns each app's package hashes by bundle name."""
    hashes = {}
    async with AsyncCodePush(emu.create_account("fleet@example.com"), URL,
                             transport=emu.transport, clock=FakeClock()) as setup:
        for app in apps:
            await setup.apps.create(app)
            await setup.deployments.create(app, "Beta")
            one = await setup.releases.release(app, "Staging", f"one {app}".encode(), "1.0.0")
            await setup.releases.promote(app, "Staging", "Production", rollout=10)
            await setup.releases.patch(app, "Production", rollout=100)
            two = await setup.releases.release(app, "Staging", f"two {app}".encode(), "1.0.0")
            await setup.releases.promote(app, "Staging", "Production", rollout=10)
            hashes[app] = {"one": one.package_hash, "two": two.package_hash}
    emu.clear_requests()
    return hashes


def production_history(emu: CodePushEmulator, app: str, name: str = "Production") -> list[Any]:
    found = next(a for a in emu.store.apps.values() if a.name == app)
    deployment = emu.store.find_deployment(found.id, name)
    assert deployment is not None
    return list(deployment.history)


def acting_writes(emu: CodePushEmulator) -> Counter[str]:
    """Writes the server acted on (a 204 patch changed nothing), by app."""
    return Counter(r.decoded_path.split("/")[2] for r in emu.requests
                   if r.method != "GET" and r.status in (200, 201))


def check_settled(emu: CodePushEmulator, operation: str, results: list[BulkResult],
                  hashes: dict[str, dict[str, str | None]]) -> None:
    """Each app written once, every item done or skipped, the wanted state reached."""
    items = [item for result in results for item in result]
    assert {item.status for item in items} <= {"done", "skipped"}, list(items)
    assert acting_writes(emu) == dict.fromkeys(APPS, 1)
    assert Counter(i.target.app for i in items if i.status == "done") == dict.fromkeys(APPS, 1)
    for app in APPS:
        current = production_history(emu, app)[-1]
        if operation == "rollback":
            assert (current.release_method, current.package_hash) == (
                "Rollback", hashes[app]["one"])
        elif operation == "patch":
            assert (current.label, current.rollout) == ("v2", 50)
        else:
            [promoted] = production_history(emu, app, "Beta")
            assert promoted.package_hash == hashes[app]["two"]
    for item in items:
        if item.status == "skipped":
            assert item.reason


@pytest.fixture
def emu() -> CodePushEmulator:
    return CodePushEmulator(rate_limit=None)


@pytest.fixture
async def cp(emu: CodePushEmulator) -> AsyncIterator[AsyncCodePush]:
    key = emu.create_account("fleet@example.com")
    async with AsyncCodePush(key, URL, transport=emu.transport, clock=FakeClock()) as client:
        yield client


async def two_runs(emu: CodePushEmulator, operation: str, pick: Pick, two_clients: bool,
                   interleaver: Interleaver | None = None) -> list[BulkResult]:
    """The operation run twice at once over ``APPS``, by one client or by two."""
    interleaver = interleaver or Interleaver(emu.transport)
    key = emu.create_account("fleet@example.com")
    async with AsyncCodePush(key, URL, transport=interleaver, clock=FakeClock()) as first, \
            AsyncCodePush(key, URL, transport=interleaver, clock=FakeClock()) as second:
        other = second if two_clients else first
        write = OPERATIONS[operation]
        answers: list[BulkResult] = await interleaver.run(
            [lambda: write(first, APPS), lambda: write(other, APPS)], pick)
        return answers


@pytest.mark.anyio
@pytest.mark.parametrize("two_clients", [False, True], ids=["one-client", "two-clients"])
@pytest.mark.parametrize("operation", list(OPERATIONS))
async def test_two_runs_at_once_write_each_target_once(
    emu: CodePushEmulator, operation: str, two_clients: bool
) -> None:
    # Both runs read every target before either writes, where they can: before, the second
    # rollback shipped the bad bundle again and the second patch failed (RolloutUpdateError).
    hashes = await fleet(emu, APPS)
    interleaver = Interleaver(emu.transport)

    results = await two_runs(emu, operation, reads_first, two_clients, interleaver)

    check_settled(emu, operation, results, hashes)
    assert [result.operation for result in results] == [operation] * 2
    assert interleaver.most_parked >= 2  # the targets' locks are their own: both at once


@given(operation=st.sampled_from(list(OPERATIONS)), two_clients=st.booleans(),
       data=st.data())
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_interleaving_of_two_writers_writes_each_target_once(
    operation: str, two_clients: bool, data: st.DataObject
) -> None:
    def pick(requests: list[Any]) -> int:
        return data.draw(st.integers(0, len(requests) - 1), label="next request")

    async def scenario() -> None:
        emu = CodePushEmulator(rate_limit=None)
        hashes = await fleet(emu, APPS)
        results = await two_runs(emu, operation, pick, two_clients)
        check_settled(emu, operation, results, hashes)

    anyio.run(scenario)


class OtherWriterFirst(httpx.AsyncBaseTransport):  # type: ignore[misc]
    """Runs ``other()`` (another process's write) just before the first write goes on."""

    def __init__(self, inner: Any, other: Callable[[], Awaitable[Any]]) -> None:
        self.inner = inner
        self.other: Callable[[], Awaitable[Any]] | None = other

    async def handle_async_request(self, request: Any) -> Any:
        if request.method != "GET" and self.other is not None:
            other, self.other = self.other, None
            await other()
        return await self.inner.handle_async_request(request)


async def with_other_writer(
    emu: CodePushEmulator, other: Callable[[AsyncCodePush], Awaitable[Any]],
    ours: Callable[[AsyncCodePush], Awaitable[BulkResult]],
) -> BulkResult:
    """``ours`` run by a client whose first write comes right after ``other`` (no lock)."""
    key = emu.create_account("fleet@example.com")
    async with AsyncCodePush(key, URL, transport=emu.transport, clock=FakeClock()) as another:
        transport = OtherWriterFirst(emu.transport, lambda: other(another))
        async with AsyncCodePush(key, URL, transport=transport, clock=FakeClock()) as cp:
            return await ours(cp)


@pytest.mark.anyio
async def test_a_patch_another_process_made_first_is_skipped_not_failed(
    emu: CodePushEmulator,
) -> None:
    await fleet(emu, APPS[:1])

    result = await with_other_writer(
        emu, lambda other: other.releases.patch(APPS[0], "Production", rollout=50),
        lambda cp: cp.bulk.patch(APPS[:1], "Production", rollout=50))

    [item] = result
    assert (item.status, item.attempts, item.error) == ("skipped", 1, None)  # was failed
    assert item.reason is not None
    assert "another writer" in item.reason
    assert "RolloutUpdateError" in item.reason
    assert isinstance(item.value, Package)
    assert item.value.rollout == 50
    assert production_history(emu, APPS[0])[-1].rollout == 50


@pytest.mark.anyio
async def test_a_patch_another_process_moved_elsewhere_fails_naming_it(
    emu: CodePushEmulator,
) -> None:
    await fleet(emu, APPS[:1])

    result = await with_other_writer(
        emu, lambda other: other.releases.patch(APPS[0], "Production", rollout=80),
        lambda cp: cp.bulk.patch(APPS[:1], "Production", rollout=50))

    [item] = result
    assert (item.status, item.attempts, item.reason) == ("failed", 1, None)
    assert isinstance(item.error, RolloutUpdateError)
    assert '"80"' in str(item.error)
    assert production_history(emu, APPS[0])[-1].rollout == 80


@pytest.mark.anyio
async def test_a_rollback_after_another_processs_never_restores_the_bad_release(
    emu: CodePushEmulator,
) -> None:
    hashes = await fleet(emu, APPS[:1])

    result = await with_other_writer(
        emu, lambda other: other.releases.rollback(APPS[0], "Production"),
        lambda cp: cp.bulk.rollback(APPS[:1], "Production"))

    # No lock spans two processes and the server has no conditional write: both land,
    # but the stale one restores what it was meant to (v1), never the release (v2) the
    # other rollback replaced.
    [item] = result
    assert item.status == "done"
    history = production_history(emu, APPS[0])
    assert [p.package_hash for p in history[2:]] == [hashes[APPS[0]]["one"]] * 2
    assert [p.original_label for p in history[2:]] == ["v1", "v1"]


@pytest.mark.anyio
@pytest.mark.parametrize("operation", list(OPERATIONS))
async def test_a_server_that_acts_then_answers_503(
    emu: CodePushEmulator, operation: str
) -> None:
    hashes = await fleet(emu, APPS[:1])
    write = {"rollback": "POST Production/rollback", "patch": "PATCH Production/release",
             "promote": "POST Staging/promote/Beta"}[operation]
    method, _, path = write.partition(" ")
    emu.fail_next(503, after_handler=True, method=method,
                  path=f"/apps/{APPS[0]}/deployments/{path}")
    key = emu.create_account("fleet@example.com")

    async with AsyncCodePush(key, URL, transport=emu.transport, clock=FakeClock()) as cp:
        result = await OPERATIONS[operation](cp, APPS[:1])

    [item] = result
    assert item.status == "done", item  # cp.releases found its effect in the history
    history = production_history(emu, APPS[0])
    if operation == "rollback":  # before: the resent rollback restored the bad v2 again
        assert [p.package_hash for p in history[2:]] == [hashes[APPS[0]]["one"]]
    elif operation == "patch":
        assert (len(history), history[-1].rollout) == (2, 50)
    else:
        assert [p.package_hash for p in production_history(emu, APPS[0], "Beta")] == [
            hashes[APPS[0]]["two"]]
    assert [r.status for r in emu.requests if r.method == method] == [503]  # sent once


@pytest.mark.anyio
async def test_skips_say_why(cp: AsyncCodePush, emu: CodePushEmulator) -> None:
    await fleet(emu, APPS[:1])
    await cp.bulk.rollback(APPS[:1], "Production")

    [rollback] = await cp.bulk.rollback(APPS[:1], "Production")
    [promote] = await cp.bulk.promote(APPS[:1], "Staging", "Beta", dry_run=True)

    assert rollback.reason == "the current release is already a rollback"
    assert "reason='the current release is already a rollback'" in repr(rollback)
    assert promote.status == "planned"
    assert promote.reason is None


@pytest.mark.anyio
async def test_a_rollback_names_the_release_it_restores(
    cp: AsyncCodePush, emu: CodePushEmulator
) -> None:
    await fleet(emu, APPS[:1])
    await cp.apps.create("Single")
    await cp.releases.release("Single", "Production", b"only", "1.0.0")
    emu.clear_requests()

    [named, alone] = await cp.bulk.rollback([APPS[0], "Single"], "Production", concurrency=1)

    assert [f"{r.method} {r.decoded_path}" for r in emu.requests
            if "flavor-probe" not in r.decoded_path] == [
        f"GET /apps/{APPS[0]}/deployments/Production",
        f"GET /apps/{APPS[0]}/deployments/Production/history",
        f"GET /apps/{APPS[0]}/deployments/Production/history",  # cp.releases: its proof
        f"POST /apps/{APPS[0]}/deployments/Production/rollback/v1",
        "GET /apps/Single/deployments/Production",
        "GET /apps/Single/deployments/Production/history",
        "GET /apps/Single/deployments/Production/history",
        "POST /apps/Single/deployments/Production/rollback",  # nothing before: the server says
    ]
    assert (named.status, named.value.original_label) == ("done", "v1")
    assert (alone.status, alone.attempts) == ("failed", 1)
    assert "no prior releases" in str(alone.error)


@pytest.mark.anyio
async def test_a_refused_write_whose_state_cannot_be_read_keeps_its_error(
    emu: CodePushEmulator,
) -> None:
    await fleet(emu, APPS[:1])

    async def other(another: AsyncCodePush) -> None:
        await another.releases.patch(APPS[0], "Production", rollout=50)
        emu.fail_next(500, times=None, method="GET",
                      path=f"/apps/{APPS[0]}/deployments/Production")

    result = await with_other_writer(
        emu, other, lambda cp: cp.bulk.patch(APPS[:1], "Production", rollout=50))

    [item] = result
    assert (item.status, item.attempts, item.reason) == ("failed", 1, None)
    assert isinstance(item.error, RolloutUpdateError)


@pytest.mark.anyio
@pytest.mark.parametrize("landed", [True, False], ids=["landed", "not-landed"])
@pytest.mark.parametrize("target_release", [None, "v1"])
async def test_an_unanswered_rollback_is_settled_by_reading(
    cp: AsyncCodePush, emu: CodePushEmulator, monkeypatch: pytest.MonkeyPatch,
    landed: bool, target_release: str | None,
) -> None:
    # How cp.releases answers a rollback it cannot prove (the resource layer's read-back).
    hashes = await fleet(emu, APPS[:1])
    real = cp.releases.rollback

    async def unanswered(app: str, deployment: str, label: str | None = None) -> Package:
        if landed:
            await real(app, deployment, label)
        raise OutcomeUnknownError("the answer was lost", 504)

    monkeypatch.setattr(cp.releases, "rollback", unanswered)

    [item] = await cp.bulk.rollback(APPS[:1], "Production", target_release=target_release)

    history = production_history(emu, APPS[0])
    assert item.attempts == 1
    assert len(history) == (3 if landed else 2)  # never sent again
    if landed:
        assert (item.status, item.error) == ("skipped", None)
        assert "OutcomeUnknownError" in str(item.reason)
        assert item.value.package_hash == hashes[APPS[0]]["one"]
        assert item.value.label == "v3"
    else:
        assert item.status == "failed"
        assert isinstance(item.error, OutcomeUnknownError)


@pytest.mark.anyio
async def test_an_unanswered_rollback_that_restored_something_else_fails(
    cp: AsyncCodePush, emu: CodePushEmulator, monkeypatch: pytest.MonkeyPatch,
) -> None:
    await fleet(emu, APPS[:1])
    real = cp.releases.rollback

    async def elsewhere(app: str, deployment: str, label: str | None = None) -> Package:
        await cp.releases.patch(app, deployment, rollout=100)  # another writer
        await cp.releases.release(app, deployment, b"three", "1.0.0")
        await real(app, deployment, "v2")  # a rollback, but not to what this one restores
        raise OutcomeUnknownError("the answer was lost", 504)

    monkeypatch.setattr(cp.releases, "rollback", elsewhere)

    [item] = await cp.bulk.rollback(APPS[:1], "Production")

    assert item.status == "failed"
    assert isinstance(item.error, OutcomeUnknownError)


@pytest.mark.anyio
async def test_bulk_run_takes_no_lock(cp: AsyncCodePush) -> None:
    """``fn`` is the caller's: two runs at once on one target run side by side."""
    started = [anyio.Event(), anyio.Event()]

    def waits_for_the_other(index: int) -> Callable[[AsyncCodePush, Any], Awaitable[int]]:
        async def fn(client: AsyncCodePush, target: Any) -> int:
            started[index].set()
            await started[1 - index].wait()
            return index
        return fn

    async with anyio.create_task_group() as group:
        with anyio.fail_after(30):  # a lock would wait forever
            group.start_soon(cp.bulk.run, ["A"], waits_for_the_other(0))
            await cp.bulk.run(["A"], waits_for_the_other(1))


@pytest.mark.anyio
async def test_each_skip_says_why_and_keeps_the_release_it_read(
    cp: AsyncCodePush, emu: CodePushEmulator
) -> None:
    await fleet(emu, APPS[:1])
    app = APPS[:1]
    await cp.bulk.promote(app, "Staging", "Beta")
    await cp.bulk.rollback(app, "Production")
    await cp.deployments.create(APPS[0], "Gamma")
    await cp.bulk.release(app, "Gamma", b"four", "1.0.0")
    emu.clear_requests()

    runs = {
        "promote": await cp.bulk.promote(app, "Staging", "Beta", concurrency=1),
        "promote by label": await cp.bulk.promote(app, "Staging", "Beta", label="v2"),
        "patch": await cp.bulk.patch(app, "Staging", label="v2", rollout=100),
        "rollback": await cp.bulk.rollback(app, "Production"),
        "rollback to v1": await cp.bulk.rollback(app, "Production", target_release="v1"),
        "release": await cp.bulk.release(app, "Gamma", b"four", "1.0.0"),
    }

    assert {name: (run.operation, [(i.status, i.attempts, i.value.label, i.reason)
                                   for i in run]) for name, run in runs.items()} == {
        "promote": ("promote", [
            ("skipped", 0, "v1", "the destination's current release already has this package")]),
        "promote by label": ("promote", [
            ("skipped", 0, "v1", "the destination's current release already has this package")]),
        "patch": ("patch", [("skipped", 0, "v2", "the release already has every given value")]),
        "rollback": ("rollback", [
            ("skipped", 0, "v3", "the current release is already a rollback")]),
        "rollback to v1": ("rollback", [
            ("skipped", 0, "v3", "the current release already has v1's package")]),
        "release": ("release", [("skipped", 0, "v1",
                                 "the current release already has this package for this version")]),
    }
    assert {r.method for r in emu.requests} == {"GET"}
    [planned] = await cp.bulk.promote(app, "Staging", "Beta", label="v1", dry_run=True)
    assert (planned.status, planned.value.label) == ("planned", "v1")
    [unknown] = await cp.bulk.promote(app, "Staging", "Beta", label="v9")
    assert str(unknown.error) == f"{APPS[0]}/Staging has no release 'v9'"


@pytest.mark.anyio
@pytest.mark.parametrize("operation", ["patch", "release"])
async def test_a_write_the_server_calls_done_already_is_skipped(
    emu: CodePushEmulator, operation: str
) -> None:
    await fleet(emu, APPS[:1])

    if operation == "patch":  # answered 204: nothing changed
        result = await with_other_writer(
            emu, lambda other: other.releases.patch(APPS[0], "Staging", description="new"),
            lambda cp: cp.bulk.patch(APPS[:1], "Staging", description="new"))
    else:  # answered 409: identical
        result = await with_other_writer(
            emu, lambda other: other.releases.release(APPS[0], "Staging", b"four", "1.0.0"),
            lambda cp: cp.bulk.release(APPS[:1], "Staging", b"four", "1.0.0"))

    [item] = result
    reason = {"patch": "the server reports nothing changed",
              "release": "the server calls it identical to the current release"}[operation]
    assert (item.status, item.attempts, item.value.label, item.reason) == (
        "skipped", 1, "v2", reason)


@pytest.mark.anyio
async def test_a_rollback_to_the_current_rollback_is_refused_not_skipped(
    cp: AsyncCodePush, emu: CodePushEmulator
) -> None:
    await fleet(emu, APPS[:1])
    await cp.bulk.rollback(APPS[:1], "Production")  # v3: a rollback to v1

    [item] = await cp.bulk.rollback(APPS[:1], "Production", target_release="v3")

    # The state read back is the one read (v3), not a newer rollback: the refusal stands.
    assert (item.status, item.attempts, item.reason) == ("failed", 1, None)
    assert "already the latest release" in str(item.error)
    assert len(production_history(emu, APPS[0])) == 3
