"""Device calls on every installed backend, over real sockets to a served emulator: what goes
on the wire (never the access key), and a report whose answer was lost is never resent."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import AsyncIterator
from urllib.parse import parse_qsl

import pytest

from codepush_async import AsyncCodePush, CheckReason, OutcomeUnknownError, RetryPolicy
from codepush_async.emulator import CodePushEmulator
from tests.conftest import FakeClock

pytestmark = pytest.mark.anyio

BACKENDS = [n for n in ("aiohttp", "httpx2", "httpx") if importlib.util.find_spec(n) is not None]
POLICY = RetryPolicy(max_attempts=4, initial_backoff=0.5, multiplier=2.0, jitter=0.0)
APP = "Device App"


@pytest.fixture(params=BACKENDS)
async def served(
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[CodePushEmulator, AsyncCodePush, str, str]]:
    """A served emulator with a release, a retrying client on the backend, the owner's access
    key and the Production deployment key."""
    emu = CodePushEmulator()
    access_key = emu.create_account("owner@example.com")
    async with emu.serving() as url, AsyncCodePush(
        access_key, url, backend=request.param, retry=POLICY, clock=FakeClock()
    ) as cp:
        assert cp.backend == request.param
        await cp.apps.create(APP)
        await cp.releases.release(APP, "Production", b"first", "1.0.0")
        key = (await cp.deployments.get(APP, "Production")).key
        assert key
        emu.clear_requests()
        yield emu, cp, access_key, key


async def test_device_requests_carry_what_a_device_sends_and_no_access_key(
    served: tuple[CodePushEmulator, AsyncCodePush, str, str],
) -> None:
    emu, cp, access_key, key = served
    update = await cp.devices.check(key, "1.0.0", client_id="dev 1", route="snake")
    assert update.reason is CheckReason.UPDATE
    await cp.devices.report_download(key, "v1", client_id="dev 1")
    await cp.devices.report_deploy(key, "1.0.0", client_id="dev 1", label="v1",
                                   status="DeploymentSucceeded")
    check, download, deploy = emu.requests
    assert (check.method, check.path) == ("GET", "/v0.1/public/codepush/update_check")
    assert parse_qsl(check.query) == [("deployment_key", key), ("app_version", "1.0.0"),
                                      ("client_unique_id", "dev 1")]
    assert check.body == b""
    assert (download.method, download.path) == ("POST", "/reportStatus/download")
    assert json.loads(download.body) == {"deploymentKey": key, "label": "v1",
                                         "clientUniqueId": "dev 1"}
    assert json.loads(deploy.body)["status"] == "DeploymentSucceeded"
    for record in emu.requests:
        assert "authorization" not in record.headers
        assert access_key not in str(record.headers)
        assert record.headers["x-codepush-sdk-version"] == "3.1.5"
        assert record.status == 200


async def test_a_report_whose_answer_was_lost_is_counted_once(
    served: tuple[CodePushEmulator, AsyncCodePush, str, str],
) -> None:
    emu, cp, _, key = served
    emu.drop_next(after_handler=True, method="POST", path="/reportStatus/download")
    with pytest.raises(OutcomeUnknownError, match="not resent"):
        await cp.devices.report_download(key, "v1", client_id="d1")
    sent = [r for r in emu.requests if r.path == "/reportStatus/download"]
    assert [(r.handled, r.delivered) for r in sent] == [(True, False)]
    metrics = await cp.deployments.metrics(APP, "Production")
    assert metrics["v1"].downloaded == 1


async def test_an_update_check_whose_answer_was_lost_is_asked_again(
    served: tuple[CodePushEmulator, AsyncCodePush, str, str],
) -> None:
    emu, cp, _, key = served
    emu.drop_next(after_handler=True, method="GET", path="/updateCheck")
    update = await cp.devices.check(key, "1.0.0")
    assert update.label == "v1"
    assert len([r for r in emu.requests if r.path == "/updateCheck"]) == 2
