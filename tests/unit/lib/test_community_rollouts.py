"""``cp.rollouts`` and ``cp.bulk.patch`` on the community server, its answers scripted on the wire.

That server stores and serves a release's rollout and ``isDisabled`` but always reports
rollout 100 and ``isDisabled: false`` (measured on code-push-server 5.7.1: patched to 50 %,
147 of 300 update checks got the release). So a staged rollout cannot see where it
stands (refused before any write), and a bulk patch of those fields can never be skipped
on a read. The same runs against a real community server in
tests/integration/test_community_rollouts.py.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from codepush_async import AsyncCodePush, RolloutPlan, UnsupportedOperationError
from tests._backend import httpx
from tests.conftest import ACCESS_KEY, SERVER, FakeClock, Recorder
from tests.unit.wire.test_community_compat import row

pytestmark = pytest.mark.anyio

PLAN = RolloutPlan(steps=(5, 25, 100), interval=60)


@pytest.fixture
async def auto(recorder: Recorder, clock: FakeClock) -> AsyncIterator[AsyncCodePush]:
    """A client that has to find out which server it talks to."""
    async with AsyncCodePush(ACCESS_KEY, SERVER, transport=httpx.MockTransport(recorder),
                             retry=None, clock=clock) as client:
        yield client


def reply_deployment(recorder: Recorder, package: dict[str, object]) -> None:
    """``GET .../deployments/Production`` as this server answers it, then the list it needs."""
    recorder.reply(200, json_body={"deployment": {"isFulfilled": False, "isRejected": False}})
    recorder.reply(200, json_body={"deployments": [{"name": "Production", "key": "k",
                                                    "package": package}]})


def methods(recorder: Recorder) -> list[str]:
    return [f"{r.method} {r.url.raw_path.decode()}" for r in recorder.requests]


async def test_a_staged_rollout_is_refused_before_any_write(
    auto: AsyncCodePush, recorder: Recorder
) -> None:
    # v1 really is at 5 % on this server, but it reports 100: without the refusal the run
    # ended "completed" at once, with no write and no health check.
    reply_deployment(recorder, row("v1"))

    with pytest.raises(UnsupportedOperationError, match="always reports 100"):
        await auto.rollouts.advance("MyApp", "Production", PLAN)

    assert methods(recorder) == ["GET /apps/MyApp/deployments/Production",
                                 "GET /apps/MyApp/deployments"]
    assert auto.flavor == "community"


async def test_a_staged_rollout_is_refused_when_the_flavor_is_given(
    recorder: Recorder, clock: FakeClock
) -> None:
    recorder.reply(200, json_body={"deployments": [{"name": "Production", "key": "k",
                                                    "package": row("v1")}]})
    async with AsyncCodePush(ACCESS_KEY, SERVER, transport=httpx.MockTransport(recorder),
                             retry=None, clock=clock, flavor="community") as cp:
        run = cp.rollouts.run("MyApp", "Production", PLAN)
        with pytest.raises(UnsupportedOperationError) as refused:
            await run.__anext__()  # no RolloutStarted: nothing is claimed about the release
    assert all(r.method == "GET" for r in recorder.requests)
    assert refused.value.message == (  # why, and what to do instead
        "staged rollouts need the release's rollout as the server holds it, and the "
        "community server always reports 100 (it stores and serves the rollout it is "
        "sent, but never shows it): a run could neither see where it stands nor "
        "resume. Set rollouts with cp.releases.patch(rollout=...) and watch "
        "cp.deployments.metrics instead."
    )


@pytest.mark.parametrize(
    "change", [{"rollout": 100}, {"is_disabled": False}, {"rollout": 100, "description": "d"}]
)
async def test_bulk_patch_writes_what_the_server_never_reports(
    auto: AsyncCodePush, recorder: Recorder, change: dict[str, object]
) -> None:
    # The release reads rollout 100, not disabled, whatever the server holds: the patch
    # must be sent (it used to be "skipped", with nothing sent).
    recorder.reply(404, text="Not Found")  # the flavor probe, before any target is read
    recorder.reply(200, json_body={"deployments": [{"name": "Production", "key": "k",
                                                    "package": {**row("v1"), "description": "d"}}]})
    recorder.reply_history([{**row("v1"), "description": "d"}])  # read before the patch
    recorder.reply(200, text="")  # PATCH .../release: this server answers an empty body
    recorder.reply_history([{**row("v1"), "description": "d"}])

    result = await auto.bulk.patch(["MyApp"], "Production", **change)  # type: ignore[arg-type]

    [item] = result
    assert (item.status, item.attempts, item.error) == ("done", 1, None)
    patch = next(r for r in recorder.requests if r.method == "PATCH")
    sent = json.loads(patch.content)["packageInfo"]
    camel = {"rollout": "rollout", "is_disabled": "isDisabled", "description": "description"}
    assert {camel[k]: v for k, v in change.items()}.items() <= sent.items()
    assert methods(recorder) == ["GET /accessKeys/codepush-async-flavor-probe",
                                 "GET /apps/MyApp/deployments",
                                 "GET /apps/MyApp/deployments/Production/history",
                                 "PATCH /apps/MyApp/deployments/Production/release",
                                 "GET /apps/MyApp/deployments/Production/history"]


async def test_bulk_patch_still_skips_what_the_server_reports(
    auto: AsyncCodePush, recorder: Recorder
) -> None:
    reply_deployment(recorder, {**row("v1"), "description": "d", "isMandatory": True})

    result = await auto.bulk.patch(["MyApp"], "Production", description="d", is_mandatory=True)

    assert [(i.status, i.attempts) for i in result] == [("skipped", 0)]
    assert all(r.method == "GET" for r in recorder.requests)


async def test_bulk_patch_on_an_official_server_skips_a_complete_rollout(
    auto: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(404, text="Access key not found")  # the flavor probe: an official 404
    recorder.reply(200, json_body={"deployment": {"name": "Production", "key": "k",
                                                  "package": {**row("v1"), "rollout": None}}})

    result = await auto.bulk.patch(["MyApp"], "Production", rollout=100)

    assert [(i.status, i.attempts) for i in result] == [("skipped", 0)]
    assert methods(recorder) == ["GET /accessKeys/codepush-async-flavor-probe",
                                 "GET /apps/MyApp/deployments/Production"]
    assert auto.flavor == "official"
