"""``cp.devices``: the acquisition API on the wire, its input checks and its answers."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import pytest

from codepush_async import (
    APIConnectionError,
    AsyncCodePush,
    CheckReason,
    CodePushError,
    OutcomeUnknownError,
    ResponseDecodeError,
    ServerError,
    UnsupportedOperationError,
    UpdateCheck,
)
from codepush_async._wire.rollout import is_selected_for_rollout, rollout_hash
from tests._backend import httpx
from tests._tracebacks import leaks
from tests.conftest import ACCESS_KEY, SERVER, FakeClock, Recorder

pytestmark = pytest.mark.anyio

KEY = "dep-key_123"
AVAILABLE = {
    "downloadURL": "https://blobs.example.com/abc", "description": "fix", "isAvailable": True,
    "isMandatory": False, "appVersion": "1.0.0", "packageHash": "h2", "label": "v2",
    "packageSize": 42, "updateAppVersion": False, "shouldRunBinaryVersion": False,
    "target_binary_range": "1.0.0",
}
NOTHING = {
    "downloadURL": "", "description": "", "isAvailable": False, "isMandatory": False,
    "appVersion": "", "packageHash": "", "label": "", "packageSize": 0,
    "updateAppVersion": False, "shouldRunBinaryVersion": True, "target_binary_range": "",
}


def query(request: httpx.Request) -> list[tuple[str, str]]:
    return parse_qsl(request.url.query.decode(), keep_blank_values=True)


def no_access_key(request: httpx.Request) -> None:
    assert "authorization" not in request.headers
    assert ACCESS_KEY not in str(request.headers)
    assert ACCESS_KEY not in str(request.url)


# --- the update check on the wire ----------------------------------------------------------


async def test_check_sends_only_the_parameters_given_and_no_access_key(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(json_body={"updateInfo": AVAILABLE})
    update = await cp.devices.check(KEY, "1.0.0", client_id="dev 1/é", label="v1")
    request = recorder.last
    assert request.method == "GET"
    assert request.url.path == "/updateCheck"
    assert query(request) == [("deploymentKey", KEY), ("appVersion", "1.0.0"),
                              ("label", "v1"), ("clientUniqueId", "dev 1/é")]
    assert request.headers["x-codepush-sdk-version"] == "3.1.5"
    assert request.content == b""
    no_access_key(request)
    assert update == UpdateCheck(
        is_available=True, should_run_binary_version=False, update_app_version=False,
        label="v2", package_hash="h2", download_url="https://blobs.example.com/abc",
        package_size=42, app_version="1.0.0", description="fix", is_mandatory=False,
        target_binary_range="1.0.0",
    )
    assert update.reason is CheckReason.UPDATE
    assert "v2" in update.why


async def test_check_on_the_snake_route_reads_the_snake_answer(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    snake = {"update_info": {"is_available": False, "should_run_binary_version": False,
                             "update_app_version": True, "app_version": "2.0.0",
                             "target_binary_range": "", "download_url": "", "label": ""}}
    recorder.reply(json_body=snake)
    update = await cp.devices.check(KEY, "1", package_hash="h1", is_companion=True,
                                    sdk_version=None, route="snake")
    request = recorder.last
    assert request.url.path == "/v0.1/public/codepush/update_check"
    assert query(request) == [("deployment_key", KEY), ("app_version", "1"),
                              ("package_hash", "h1"), ("is_companion", "true")]
    assert "x-codepush-sdk-version" not in request.headers
    no_access_key(request)
    assert update.reason is CheckReason.BINARY_TOO_OLD
    assert update.label is None
    assert update.download_url is None
    assert "2.0.0" in update.why


@pytest.mark.parametrize(("info", "reason"), [
    (NOTHING, CheckReason.NO_RELEASE),
    ({**NOTHING, "appVersion": "1.0.0"}, CheckReason.NO_RELEASE_FOR_BINARY),
    ({**NOTHING, "appVersion": "2.0.0", "updateAppVersion": True}, CheckReason.BINARY_TOO_OLD),
    ({**NOTHING, "shouldRunBinaryVersion": False}, CheckReason.UP_TO_DATE),
    ({**AVAILABLE, "isMandatory": True}, CheckReason.UPDATE),
])
async def test_the_reason_is_read_from_the_answer_alone(
    cp: AsyncCodePush, recorder: Recorder, info: dict[str, object], reason: CheckReason
) -> None:
    recorder.reply(json_body={"updateInfo": info})
    update = await cp.devices.check(KEY, "1.0.0")
    assert update.reason is reason
    assert update.why.endswith(".")
    assert len(update.why) > 20


@pytest.mark.parametrize("body", [
    {"updateInfo": {**AVAILABLE, "packageSize": "42"}},
    {"updateInfo": {**AVAILABLE, "isAvailable": "yes"}},
    {"updateInfo": {"label": "v1"}},
    {"updateInfo": []},
    {"update_info": AVAILABLE},
    [],
])
async def test_a_wrong_shaped_answer_is_a_decode_error(
    cp: AsyncCodePush, recorder: Recorder, body: object
) -> None:
    recorder.reply(json_body=body)
    with pytest.raises(ResponseDecodeError) as caught:
        await cp.devices.check(KEY, "1.0.0")
    assert caught.value.field.startswith("$.updateInfo")


async def test_a_non_json_answer_is_a_decode_error(cp: AsyncCodePush, recorder: Recorder) -> None:
    recorder.reply(text="<html>proxy</html>")
    with pytest.raises(ResponseDecodeError):
        await cp.devices.check(KEY, "1.0.0")


@pytest.mark.parametrize("version", ["1", "1.2", "1.2.3", "1.2.3-beta.1", "1.2-rc.1", "v1.2.3",
                                     "1.2.3+build.5"])
async def test_versions_the_server_reads_are_accepted(
    cp: AsyncCodePush, recorder: Recorder, version: str
) -> None:
    recorder.reply(json_body={"updateInfo": NOTHING})
    await cp.devices.check(KEY, version)
    assert ("appVersion", version) in query(recorder.last)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"deployment_key": ""}, "deployment_key must not be empty"),
    ({"deployment_key": "   "}, "deployment_key must not be empty"),
    ({"deployment_key": " k"}, "spaces"),
    ({"deployment_key": None}, "deployment_key must be a string"),
    ({"app_version": "^1.2.3"}, "not a range"),
    ({"app_version": "1.x"}, "not a range"),
    ({"app_version": ">=1 <2"}, "not a range"),
    ({"app_version": "one"}, "a version such as"),
    ({"app_version": "01.2.3"}, "a version such as"),
    ({"app_version": ""}, "a version such as"),
    ({"app_version": 1}, "must be a string"),
    ({"label": ""}, "label must not be empty"),
    ({"client_id": ""}, "client_id must not be empty"),
    ({"package_hash": 3}, "package_hash must be a string"),
    ({"is_companion": "true"}, "is_companion must be a bool"),
    ({"sdk_version": "3.1\n"}, "sdk_version"),
    ({"route": "kebab"}, "route must be"),
])
async def test_bad_check_input_is_refused_before_any_request(
    cp: AsyncCodePush, recorder: Recorder, kwargs: dict[str, object], message: str
) -> None:
    args = {"deployment_key": KEY, "app_version": "1.0.0", **kwargs}
    with pytest.raises(ValueError, match=message):
        await cp.devices.check(**args)  # type: ignore[arg-type]
    assert recorder.requests == []


async def test_the_v1_dialect_has_no_device_routes(recorder: Recorder) -> None:
    async with AsyncCodePush(ACCESS_KEY, SERVER, dialect="v1",
                             transport=httpx.MockTransport(recorder)) as client:
        with pytest.raises(UnsupportedOperationError, match=r"devices\.check"):
            await client.devices.check(KEY, "1.0.0")
        with pytest.raises(UnsupportedOperationError):
            await client.devices.report_download(KEY, "v1", client_id="d")
        with pytest.raises(UnsupportedOperationError):
            await client.devices.explain("App", "Production", "1.0.0")
    assert recorder.requests == []


async def test_check_is_retried_as_a_read(rcp: AsyncCodePush, recorder: Recorder,
                                          clock: FakeClock) -> None:
    recorder.reply(503)
    recorder.fail(httpx.ReadError("dropped"))
    recorder.reply(json_body={"updateInfo": NOTHING})
    update = await rcp.devices.check(KEY, "1.0.0")
    assert update.reason is CheckReason.NO_RELEASE
    assert len(recorder.requests) == 3
    assert clock.sleeps == [0.5, 1.0]


# --- status reports --------------------------------------------------------------------------


async def test_report_deploy_sends_its_body_and_no_access_key(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(text="OK")
    await cp.devices.report_deploy(KEY, "1.0", client_id="d1", label="v2",
                                   status="DeploymentSucceeded",
                                   previous_label_or_app_version="v1")
    request = recorder.last
    assert (request.method, request.url.path) == ("POST", "/reportStatus/deploy")
    assert request.url.query == b""
    assert json.loads(request.content) == {
        "deploymentKey": KEY, "appVersion": "1.0", "clientUniqueId": "d1", "label": "v2",
        "status": "DeploymentSucceeded", "previousLabelOrAppVersion": "v1",
    }
    assert request.headers["content-type"].startswith("application/json")
    assert request.headers["x-codepush-sdk-version"] == "3.1.5"
    no_access_key(request)


async def test_a_binary_first_run_and_the_snake_spelling(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(text="OK")
    await cp.devices.report_deploy(KEY, "1.0.0", client_id="d1",
                                   previous_deployment_key="old", route="snake")
    request = recorder.last
    assert request.url.path == "/v0.1/public/codepush/report_status/deploy"
    assert json.loads(request.content) == {
        "deployment_key": KEY, "app_version": "1.0.0", "client_unique_id": "d1",
        "previous_deployment_key": "old",
    }
    recorder.reply(text="OK")
    await cp.devices.report_download(KEY, "v2", client_id="d1", route="snake")
    assert recorder.last.url.path == "/v0.1/public/codepush/report_status/download"
    assert json.loads(recorder.last.content) == {
        "deployment_key": KEY, "label": "v2", "client_unique_id": "d1"}


async def test_report_download_body(cp: AsyncCodePush, recorder: Recorder) -> None:
    recorder.reply(text="OK")
    await cp.devices.report_download(KEY, "v2", client_id="d1")
    request = recorder.last
    assert (request.method, request.url.path) == ("POST", "/reportStatus/download")
    assert json.loads(request.content) == {"deploymentKey": KEY, "label": "v2",
                                           "clientUniqueId": "d1"}
    no_access_key(request)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"label": "v2"}, "status must be 'DeploymentSucceeded' or 'DeploymentFailed' when"),
    ({"label": "v2", "status": "Installed"}, "status must be"),
    ({"status": "deploymentsucceeded"}, "status must be"),
    ({"client_id": None}, "client_id must be the device's unique id"),
    ({"client_id": ""}, "client_id must not be empty"),
    ({"app_version": "~1.0"}, "not a range"),
    ({"deployment_key": ""}, "deployment_key"),
    ({"previous_deployment_key": ""}, "previous_deployment_key must not be empty"),
])
async def test_bad_deploy_reports_are_refused_before_any_request(
    cp: AsyncCodePush, recorder: Recorder, kwargs: dict[str, object], message: str
) -> None:
    args = {"deployment_key": KEY, "app_version": "1.0.0", "client_id": "d1", **kwargs}
    with pytest.raises(ValueError, match=message):
        await cp.devices.report_deploy(**args)  # type: ignore[arg-type]
    assert recorder.requests == []


@pytest.mark.parametrize(("label", "message"), [("", "must not be empty"), (None, "got None")])
async def test_a_download_report_needs_a_label(
    cp: AsyncCodePush, recorder: Recorder, label: str | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        await cp.devices.report_download(KEY, label, client_id="d1")  # type: ignore[arg-type]
    assert recorder.requests == []


async def test_a_report_whose_answer_was_lost_is_not_resent(
    rcp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.fail(httpx.ReadError("connection reset"))
    with pytest.raises(OutcomeUnknownError, match="not resent"):
        await rcp.devices.report_download(KEY, "v2", client_id="d1")
    assert len(recorder.requests) == 1


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_a_report_answered_with_a_server_error_is_not_resent(
    rcp: AsyncCodePush, recorder: Recorder, status: int
) -> None:
    recorder.reply(status)
    with pytest.raises(ServerError):
        await rcp.devices.report_deploy(KEY, "1.0.0", client_id="d1")
    assert len(recorder.requests) == 1


async def test_a_report_never_sent_or_rate_limited_is_resent(
    rcp: AsyncCodePush, recorder: Recorder, clock: FakeClock
) -> None:
    recorder.fail(httpx.ConnectError("refused"))
    recorder.reply(429, headers={"retry-after": "3"})
    recorder.reply(text="OK")
    await rcp.devices.report_deploy(KEY, "1.0.0", client_id="d1", label="v1",
                                    status="DeploymentFailed")
    assert len(recorder.requests) == 3
    assert clock.sleeps == [0.5, 3.0]
    assert all(r.content == recorder.last.content for r in recorder.requests)


async def test_a_refused_report_out_of_retries_says_it_was_not_sent(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.fail(httpx.ConnectError("refused"))
    with pytest.raises(APIConnectionError) as caught:
        await cp.devices.report_download(KEY, "v2", client_id="d1")
    assert not isinstance(caught.value, OutcomeUnknownError)
    assert caught.value.request_sent is False


# --- the rollout selector --------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("", 0.0), ("abc", 96354.0), ("device-1-v3", 2703853232.0),
    ("é😀-v1", -642468900.0), ("undefined-v2", 1102976025.0), ("x" * 5000, 65752792064.0),
])
def test_the_rollout_hash_is_the_servers_javascript(text: str, expected: float) -> None:
    """Values node printed for ``getHashCode`` (rollout-selector.ts)."""
    assert rollout_hash(text) == expected


def test_rollout_selection_follows_the_hash() -> None:
    assert is_selected_for_rollout("device", 33, "1") is (abs(rollout_hash("device-1")) % 100 < 33)
    assert not is_selected_for_rollout("undefined", 25, "v2")
    assert is_selected_for_rollout("undefined", 26, "v2")


def test_an_update_check_shows_on_one_line_without_its_signed_url() -> None:
    update = UpdateCheck(True, False, False, "v3", "h3", "https://blobs/v3?sig=s3cr3t", 2048,
                         "1.0.0", "notes", True, "1.0.x")
    assert repr(update) == "<UpdateCheck UPDATE, label v3, size 2.0 KiB, mandatory, binary 1.0.0>"
    assert "s3cr3t" not in repr(update)


# The server never gets the access key from a device call; these bodies quote it anyway.
@pytest.mark.parametrize(("status", "body"), [
    (500, f"boom {ACCESS_KEY}".encode()),
    (200, b"not json " + ACCESS_KEY.encode()),
])
async def test_a_failed_device_call_keeps_the_access_key_out_of_the_traceback(
    status: int, body: bytes
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body)

    async with AsyncCodePush(ACCESS_KEY, SERVER, transport=httpx.MockTransport(answer),
                             retry=None, flavor="official") as client:
        with pytest.raises(CodePushError) as caught:
            await client.devices.check(KEY, "1.0.0")
        assert leaks(caught.value, ACCESS_KEY) == []
        if status != 200:  # a report answered 200 succeeds, whatever its body
            with pytest.raises(CodePushError) as caught:
                await client.devices.report_deploy(KEY, "1.0.0", client_id="d")
            assert leaks(caught.value, ACCESS_KEY) == []
