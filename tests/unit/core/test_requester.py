"""The seam between resources and the client: the Requester and the state views share."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import pytest

from codepush_async import AsyncCodePush, NotFoundError, RetryPolicy, Timeouts
from codepush_async._core.requester import Requester
from tests._backend import httpx
from tests.conftest import ACCESS_KEY, SERVER, FakeClock, Recorder

pytestmark = pytest.mark.anyio


def _client(recorder: Recorder, clock: FakeClock, **options: object) -> AsyncCodePush:
    return AsyncCodePush(ACCESS_KEY, SERVER, transport=httpx.MockTransport(recorder),
                         retry=None, clock=clock, **options)  # type: ignore[arg-type]


@pytest.fixture
async def auto(recorder: Recorder, clock: FakeClock) -> AsyncIterator[AsyncCodePush]:
    """A client that learns the server's flavor from its answers."""
    async with _client(recorder, clock) as client:
        yield client


def requester_of(cp: AsyncCodePush) -> Requester:
    """The one object a client's resources call."""
    requester = cp.apps._requester
    assert all(r._requester is requester for r in (cp.tokens, cp.releases, cp.deployments))
    return requester


# --- what a view shares with its client ---------------------------------------------------


async def test_a_flavor_learned_through_a_view_is_known_to_its_client(
    auto: AsyncCodePush, recorder: Recorder
) -> None:
    view = auto.with_options(timeout=5)
    recorder.reply(406, text="Not Acceptable")  # only the community server answers 406

    with pytest.raises(Exception, match="Not Acceptable"):
        await view.apps.list()

    assert (view.flavor, auto.flavor) == ("community", "community")


async def test_a_flavor_learned_by_the_client_is_known_to_a_view_made_before(
    auto: AsyncCodePush, recorder: Recorder
) -> None:
    view = auto.with_options(retry=None)
    recorder.reply(404, text="Not Found")  # the community server has no GET /accessKeys/:name

    assert await auto.resolve_flavor() == "community"

    assert view.flavor == "community"
    assert await view.resolve_flavor() == "community"
    assert len(recorder.requests) == 1  # the view did not ask again


async def test_a_view_has_its_own_options_over_the_same_state(auto: AsyncCodePush) -> None:
    policy = RetryPolicy(max_attempts=2)
    view = auto.with_options(timeout=7, retry=policy, max_package_size=1024)
    parent, child = requester_of(auto), requester_of(view)

    assert child.state is parent.state
    assert (child.timeouts, child.retry_policy, child.max_package_size) == (
        Timeouts(connect=7, read=7, write=7, pool=7), policy, 1024)
    assert (parent.retry_policy, parent.max_package_size) == (None, auto.max_package_size)
    assert (view.timeouts, view.retry_policy, view.max_package_size) == (
        child.timeouts, policy, 1024)


async def test_closing_a_client_closes_its_views(auto: AsyncCodePush, recorder: Recorder) -> None:
    view = auto.with_options(timeout=5)
    await auto.aclose()

    with pytest.raises(Exception, match="client is closed"):
        await view.apps.list()
    assert recorder.requests == []


# --- the requester's public methods ------------------------------------------------------


async def test_call_answers_the_unwrapped_value_where_it_sat_and_the_status(
    auto: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(200, json_body={"apps": [{"name": "A"}]})

    answer = await requester_of(auto).call("apps.list")

    assert (answer.value, answer.where, answer.status_code) == ([{"name": "A"}], "$.apps", 200)
    assert answer.content == b'{"apps": [{"name": "A"}]}'
    assert recorder.last.method == "GET"


async def test_call_raises_the_typed_error_of_a_failed_call(
    auto: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(404, text='App "A" does not exist.')

    with pytest.raises(NotFoundError, match='App "A" does not exist'):
        await requester_of(auto).call("apps.get", {"app": "A"})


async def test_now_and_sleep_are_the_clients_clock(auto: AsyncCodePush, clock: FakeClock) -> None:
    requester = requester_of(auto)
    start = clock.time

    await requester.sleep(2.5)

    assert clock.sleeps == [2.5]
    assert requester.now() == start + 2.5


async def test_learn_flavor_keeps_the_first_flavor_learned(auto: AsyncCodePush) -> None:
    requester = requester_of(auto)
    assert requester.flavor is None

    requester.learn_flavor("official")
    requester.learn_flavor("community")

    assert (requester.flavor, auto.flavor) == ("official", "official")


async def test_server_flavor_asks_the_server_once(
    auto: AsyncCodePush, recorder: Recorder
) -> None:
    requester = requester_of(auto)
    recorder.reply(404, text='Access key "codepush-async-flavor-probe" does not exist.')

    assert await requester.server_flavor() == "official"  # a real 404: the route exists
    assert await requester.server_flavor() == "official"

    assert [r.url.path for r in recorder.requests] == [
        "/accessKeys/codepush-async-flavor-probe"
    ]


async def test_a_dialect_without_the_probe_is_the_official_server_without_asking(
    recorder: Recorder, clock: FakeClock
) -> None:
    async with _client(recorder, clock, dialect="v1") as v1:
        assert await requester_of(v1).server_flavor() == "official"
    assert recorder.requests == []


@pytest.mark.parametrize(("dialect", "supported", "label_in_path"),
                         [("classic", True, False), ("v1", False, True)])
async def test_supports_and_takes_in_path_read_the_dialect(
    recorder: Recorder, clock: FakeClock, dialect: str, supported: bool, label_in_path: bool
) -> None:
    async with _client(recorder, clock, dialect=dialect) as cp:
        requester = requester_of(cp)
        assert requester.supports("tokens.get") is supported
        assert requester.takes_in_path("releases.patch", "label") is label_in_path
        assert requester.supports("apps.list")
        assert not requester.takes_in_path("no.such.operation", "label")


@pytest.mark.parametrize("serialize", [True, False])
async def test_release_slot_lets_one_upload_in_at_a_time_unless_told_otherwise(
    recorder: Recorder, clock: FakeClock, serialize: bool
) -> None:
    entered: list[str] = []
    leave = anyio.Event()

    async with _client(recorder, clock, serialize_releases=serialize) as cp:
        view = cp.with_options(timeout=5)  # a view shares the gate

        async def upload(name: str, requester: Requester) -> None:
            async with requester.release_slot():
                entered.append(name)
                await leave.wait()

        async with anyio.create_task_group() as tg:
            tg.start_soon(upload, "first", requester_of(cp))
            await anyio.wait_all_tasks_blocked()
            tg.start_soon(upload, "second", requester_of(view))
            await anyio.wait_all_tasks_blocked()
            assert entered == (["first"] if serialize else ["first", "second"])
            leave.set()

    assert entered == ["first", "second"]


async def test_options_assigned_on_a_client_are_checked_and_reach_its_resources(
    auto: AsyncCodePush,
) -> None:
    view = auto.with_options(timeout=9)
    auto.timeouts = 5  # type: ignore[assignment]
    auto.retry_policy = None
    five = Timeouts(connect=5, read=5, write=5, pool=5)
    assert auto.timeouts == five
    assert auto.apps._requester.timeouts == five
    assert auto.releases._requester.retry_policy is None
    # a view made before keeps its own options
    assert view.timeouts == Timeouts(connect=9, read=9, write=9, pool=9)
    assert view.retry_policy is None
    with pytest.raises(ValueError, match="max_package_size"):
        auto.max_package_size = -1
    assert auto.max_package_size == auto.releases._requester.max_package_size
