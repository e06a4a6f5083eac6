"""The acquisition routes devices call (routes/acquisition.ts, utils/acquisition.ts,
redis-manager.ts of microsoft/code-push-server): every expected answer below is read from that
code, and each test names the branch it pins. Devices run in process and on a served port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from codepush_async.emulator import CodePushEmulator, ManualClock
from codepush_async.emulator._node.express_query import js_query_string, parse_query
from codepush_async.emulator._node.semver import gtr

from ._helpers import OWNER_EMAIL, auth, create_app, release

pytestmark = pytest.mark.anyio

MSG_KEY = (
    "An update check must include a valid deployment key - please check that your app has been "
    "configured correctly. To view available deployment keys, run "
    "'code-push-standalone deployment ls  -k'."
)
MSG_VERSION = (
    "An update check must include a binary version that conforms to the semver standard (e.g. "
    "'1.0.0'). The binary version is normally inferred from the App Store/Play Store version "
    "configured with your app."
)
MSG_DEPLOY = "A deploy status report must contain a valid appVersion and deploymentKey."
MSG_STATUS = "A deploy status report for a labelled package must contain a valid status."
MSG_CLIENT = (
    "A deploy status report must contain a valid appVersion, clientUniqueId and deploymentKey."
)
MSG_DOWNLOAD = "A download status report must contain a valid deploymentKey and package label."
MODERN = {"X-CodePush-SDK-Version": "3.1.5"}
NO_UPDATE = {
    "downloadURL": "",
    "description": "",
    "isAvailable": False,
    "isMandatory": False,
    "appVersion": "",
    "packageHash": "",
    "label": "",
    "packageSize": 0,
    "updateAppVersion": False,
    "shouldRunBinaryVersion": False,
    "target_binary_range": "",
}


@pytest.fixture
def emu(clock: ManualClock) -> CodePushEmulator:
    return CodePushEmulator(clock=clock, rate_limit=None)


@pytest.fixture(params=["in_process", "served"])
async def device(
    request: pytest.FixtureRequest, emu: CodePushEmulator
) -> AsyncIterator[httpx.AsyncClient]:
    """A device: no Authorization header, in process or over a real port."""
    if request.param == "in_process":
        async with httpx.AsyncClient(transport=emu.transport, base_url="http://emulator") as c:
            yield c
    else:
        async with emu.serving() as url, httpx.AsyncClient(base_url=url) as c:
            yield c


class Deployment:
    """The app's Staging deployment as the tests drive it."""

    def __init__(self, emu: CodePushEmulator, client: httpx.AsyncClient) -> None:
        self.emu = emu
        self.client = client
        self.key = emu.deployment_key("App", "Staging")

    async def release(self, body: bytes, **info: Any) -> dict[str, Any]:
        response = await release(
            self.client, "App", "Staging", body, {"appVersion": "1.0.0", **info}
        )
        assert response.status_code == 201, response.text
        package: dict[str, Any] = response.json()["package"]
        return package

    async def patch(self, **info: Any) -> None:
        response = await self.client.patch(
            "/apps/App/deployments/Staging/release", json={"packageInfo": info}
        )
        assert response.status_code == 200, response.text

    async def metrics(self) -> dict[str, Any]:
        response = await self.client.get("/apps/App/deployments/Staging/metrics")
        assert response.status_code == 200
        metrics: dict[str, Any] = response.json()["metrics"]
        return metrics


@pytest.fixture
async def dep(emu: CodePushEmulator) -> AsyncIterator[Deployment]:
    key = emu.create_account(OWNER_EMAIL)
    async with httpx.AsyncClient(
        transport=emu.transport, base_url="http://emulator", headers=auth(key)
    ) as client:
        await create_app(client, "App")
        yield Deployment(emu, client)


def blob_url(device: httpx.AsyncClient, package: dict[str, Any]) -> str:
    """The package's download URL on the address the device used."""
    blob_id = str(package["blobUrl"]).rsplit("/", 1)[1]
    return str(device.base_url).rstrip("/") + "/blobs/" + blob_id


async def check(device: httpx.AsyncClient, **params: str) -> dict[str, Any]:
    response = await device.get("/updateCheck", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body: dict[str, Any] = response.json()
    assert list(body) == ["updateInfo"]
    info: dict[str, Any] = body["updateInfo"]
    return info


def offered(
    device: httpx.AsyncClient, package: dict[str, Any], app_version: str, **extra: Any
) -> dict[str, Any]:
    """An available update as getUpdatePackage builds it (its key order included)."""
    info = {
        "downloadURL": blob_url(device, package),
        "description": package.get("description"),
        "isAvailable": True,
        "isMandatory": package.get("isMandatory"),
        "appVersion": app_version,
        "packageHash": package["packageHash"],
        "label": package["label"],
        "packageSize": package["size"],
        "updateAppVersion": False,
        "shouldRunBinaryVersion": False,
        "target_binary_range": app_version,
    }
    info.update(extra)
    return {k: v for k, v in info.items() if v is not None}


# Update checks: getUpdatePackage's branches


async def test_latest_release_is_offered_in_the_servers_key_order(
    dep: Deployment, device: httpx.AsyncClient
) -> None:
    await dep.release(b"one", description="first", isMandatory=False)
    two = await dep.release(b"two", description="second", isMandatory=False)
    info = await check(device, deploymentKey=dep.key, appVersion="1.0.0", clientUniqueId="d1")
    expected = offered(device, two, "1.0.0")
    assert list(info.items()) == list(expected.items())


async def test_undefined_fields_are_left_out(dep: Deployment, device: httpx.AsyncClient) -> None:
    """A release made without description/isMandatory: ``undefined`` is not in the JSON."""
    one = await dep.release(b"one")
    info = await check(device, deploymentKey=dep.key, appVersion="1.0.0")
    assert "description" not in info
    assert "isMandatory" not in info
    assert info == offered(device, one, "1.0.0")


async def test_snake_case_route_answers_snake_case(
    dep: Deployment, device: httpx.AsyncClient
) -> None:
    """``/v0.1/public/codepush/update_check``: convertObjectToSnakeCase (downloadURL is
    download_url), target_binary_range added before the conversion."""
    one = await dep.release(b"one", description="d", isMandatory=True)
    response = await device.get(
        "/v0.1/public/codepush/update_check",
        params={"deployment_key": dep.key, "app_version": "1.0.0", "client_unique_id": "c"},
    )
    assert response.status_code == 200
    assert response.json() == {
        "update_info": {
            "download_url": blob_url(device, one),
            "description": "d",
            "is_available": True,
            "is_mandatory": True,
            "app_version": "1.0.0",
            "package_hash": one["packageHash"],
            "label": "v1",
            "package_size": one["size"],
            "update_app_version": False,
            "should_run_binary_version": False,
            "target_binary_range": "1.0.0",
        }
    }


async def test_empty_history_says_run_the_binary(
    dep: Deployment, device: httpx.AsyncClient
) -> None:
    """``!packageHistory || packageHistory.length === 0``: shouldRunBinaryVersion."""
    info = await check(device, deploymentKey=dep.key, appVersion="1.0.0")
    assert info == {**NO_UPDATE, "shouldRunBinaryVersion": True}


async def test_every_release_disabled_answers_no_update(
    dep: Deployment, device: httpx.AsyncClient
) -> None:
    """``!latestEnabledPackage``: no update, shouldRunBinaryVersion (none satisfies)."""
    await dep.release(b"one", isDisabled=True)
    info = await check(device, deploymentKey=dep.key, appVersion="1.0.0")
    assert info == {**NO_UPDATE, "shouldRunBinaryVersion": True}


async def test_disabled_latest_is_skipped(dep: Deployment, device: httpx.AsyncClient) -> None:
    one = await dep.release(b"one", description="a")
    await dep.release(b"two", description="b", isDisabled=True)
    info = await check(device, deploymentKey=dep.key, appVersion="1.0.0")
    assert info == offered(device, one, "1.0.0")


async def test_newest_release_the_binary_satisfies(
    dep: Deployment, device: httpx.AsyncClient
) -> None:
    """The scan skips releases whose range the binary misses, newest first."""
    one = await dep.release(b"one", appVersion="^1.0.0")
    await dep.release(b"two", appVersion="2.0.0")
    info = await check(device, deploymentKey=dep.key, appVersion="1.4.0")
    assert info == offered(device, one, "1.4.0")


async def test_binary_newer_than_every_range_gets_the_range_gtr(
    dep: Deployment, device: httpx.AsyncClient
) -> None:
    """None satisfies and ``semver.gtr(appVersion, latest range)``: appVersion is the range,
    updateAppVersion stays false."""
    await dep.release(b"one", appVersion="1.x")
    info = await check(device, deploymentKey=dep.key, appVersion="2.0.0")
    expected = {**NO_UPDATE, "appVersion": "1.x", "target_binary_range": "1.x"}
    assert info == {**expected, "shouldRunBinaryVersion": True}


async def test_binary_older_than_the_range_should_update_the_app(
    dep: Deployment, device: httpx.AsyncClient
) -> None:
    """Not gtr and not satisfied: updateAppVersion and the range."""
    await dep.release(b"one", appVersion="2.0.0")
    info = await check(device, deploymentKey=dep.key, appVersion="1.0.0")
    assert info == {
        **NO_UPDATE,
        "appVersion": "2.0.0",
        "updateAppVersion": True,
        "shouldRunBinaryVersion": True,
        "target_binary_range": "2.0.0",
    }


async def test_device_on_the_latest_gets_no_update(
    dep: Deployment, device: httpx.AsyncClient
) -> None:
    """``latestSatisfyingEnabledPackage.packageHash === request.packageHash``; the range
    satisfies, so appVersion stays empty."""
    one = await dep.release(b"one")
    info = await check(
        device,
        deploymentKey=dep.key,
        appVersion="1.0.0",
        label="v1",
        packageHash=one["packageHash"],
    )
    assert info == NO_UPDATE


async def test_label_alone_is_offered_its_own_release(
    dep: Deployment, device: httpx.AsyncClient
) -> None:
    """The hash decides "already latest": a device sending only its label (hash
    "undefined") is offered the release it runs."""
    one = await dep.release(b"one")
    info = await check(device, deploymentKey=dep.key, appVersion="1.0.0", label="v1")
    assert info == offered(device, one, "1.0.0")


async def test_mandatory_release_between_device_and_latest_rolls_up(
    dep: Deployment, device: httpx.AsyncClient
) -> None:
    """``shouldMakeUpdateMandatory``: v2 is mandatory and newer than the device's v1."""
    one = await dep.release(b"one")
    await dep.release(b"two", isMandatory=True)
    three = await dep.release(b"three", isMandatory=False)
    info = await check(
        device,
        deploymentKey=dep.key,
        appVersion="1.0.0",
        label="v1",
        packageHash=one["packageHash"],
    )
    assert info == offered(device, three, "1.0.0", isMandatory=True)
    on_two = await check(device, deploymentKey=dep.key, appVersion="1.0.0", label="v2")
    assert on_two["isMandatory"] is False  # the scan stops at the device's own release


async def test_no_label_makes_every_mandatory_count(
    dep: Deployment, device: httpx.AsyncClient
) -> None:
    """Quirk: a missing label reaches the rules as "undefined" (truthy), so the device is
    never found by its hash and v1's mandatory flag rolls up into v2."""
    one = await dep.release(b"one", isMandatory=True)
    await dep.release(b"two", isMandatory=False)
    info = await check(
        device, deploymentKey=dep.key, appVersion="1.0.0", packageHash=one["packageHash"]
    )
    assert info["isMandatory"] is True
    by_label = await check(device, deploymentKey=dep.key, appVersion="1.0.0", label="v1")
    assert by_label["isMandatory"] is False


async def test_empty_label_and_hash_stop_at_the_latest(
    dep: Deployment, device: httpx.AsyncClient
) -> None:
    """``!request.label && !request.packageHash``: found at once, no mandatory roll-up. The
    hash is ``String(packageHash || package_hash)``, so an empty packageHash alone is still
    "undefined": only both spellings empty make it empty."""
    await dep.release(b"one", isMandatory=True)
    two = await dep.release(b"two", isMandatory=False)
    response = await device.get(
        f"/updateCheck?deploymentKey={dep.key}&appVersion=1.0.0&label=&packageHash=&package_hash="
    )
    assert response.json()["updateInfo"] == offered(device, two, "1.0.0")
    one_spelling = await check(
        device, deploymentKey=dep.key, appVersion="1.0.0", label="", packageHash=""
    )
    assert one_spelling == offered(device, two, "1.0.0", isMandatory=True)


@pytest.mark.parametrize(
    ("sent", "expected"), [("1", "1"), ("1.0", "1.0"), ("1.0-beta", "1.0-beta"), ("1.0.0", "1.0.0")]
)
async def test_app_version_spelling_is_answered_as_sent(
    dep: Deployment, device: httpx.AsyncClient, sent: str, expected: str
) -> None:
    """Plain integers get ".0.0", a missing patch ".0" (before a tag); the answer carries the
    spelling sent."""
    one = await dep.release(b"one", appVersion="*")
    info = await check(device, deploymentKey=dep.key, appVersion=sent)
    completed = {"1": "1.0.0", "1.0": "1.0.0", "1.0-beta": "1.0.0-beta", "1.0.0": "1.0.0"}[sent]
    assert completed  # "*" excludes prereleases: 1.0.0-beta gets no update
    if sent == "1.0-beta":
        assert info["isAvailable"] is False
        assert info["shouldRunBinaryVersion"] is True
        return
    assert info == offered(device, one, expected)


async def test_rollout_package_is_respelled_too(dep: Deployment, device: httpx.AsyncClient) -> None:
    """Both the original and the rollout package carry the spelling sent; a no-update answer
    naming another range keeps that range."""
    await dep.release(b"one", appVersion="*")
    await dep.release(b"two", appVersion="*", rollout=40)
    for client_id, label in (("device-1", "v2"), ("device-0", "v1")):
        info = await check(device, deploymentKey=dep.key, appVersion="1", clientUniqueId=client_id)
        assert (info["label"], info["appVersion"], info["target_binary_range"]) == (label, "1", "1")
    await dep.patch(rollout=100)
    await dep.release(b"three", appVersion="2.0.0")
    older = await check(device, deploymentKey=dep.key, appVersion="1.5")
    assert (older["label"], older["appVersion"]) == ("v2", "1.5")


async def test_companion_ignores_the_range(dep: Deployment, device: httpx.AsyncClient) -> None:
    """``isCompanion`` ("true" in any case) skips the satisfies test."""
    one = await dep.release(b"one", appVersion="2.0.0")
    info = await check(device, deploymentKey=dep.key, appVersion="1.0.0", isCompanion="TRUE")
    assert info == offered(device, one, "1.0.0")
    not_companion = await check(
        device, deploymentKey=dep.key, appVersion="1.0.0", isCompanion="yes"
    )
    assert not_companion["isAvailable"] is False


async def test_diff_package_when_the_map_has_the_devices_hash(
    dep: Deployment, device: httpx.AsyncClient
) -> None:
    """``diffPackageMap[request.packageHash]``: its url and size replace the full package."""
    one = await dep.release(b"one")
    two = await dep.release(b"two")
    stored = dep.emu.store.deployment_by_key(dep.key)
    assert stored is not None
    stored.history[-1].diff_package_map = {
        one["packageHash"]: {"url": "https://diffs.example/1-2", "size": 7}
    }
    info = await check(
        device,
        deploymentKey=dep.key,
        appVersion="1.0.0",
        label="v1",
        packageHash=one["packageHash"],
    )
    assert info == offered(
        device, two, "1.0.0", downloadURL="https://diffs.example/1-2", packageSize=7
    )
    other = await check(device, deploymentKey=dep.key, appVersion="1.0.0", packageHash="zzz")
    assert other["downloadURL"] == blob_url(device, two)


# Rollouts: isSelectedForRollout(clientUniqueId, rollout, label || packageHash)

# |getHashCode(id + "-v2")| % 100 computed by node: undefined 25, device-0 40, device-1 31,
# device-5 95 (so at rollout 40: undefined and device-1 in, device-0 and device-5 out).
SELECTED = {"undefined": True, "device-0": False, "device-1": True, "device-5": False}


async def test_rollout_offers_the_new_release_to_selected_devices(
    dep: Deployment, device: httpx.AsyncClient
) -> None:
    one = await dep.release(b"one")
    two = await dep.release(b"two", rollout=40)
    for client_id in ("device-0", "device-1", "device-5"):
        info = await check(
            device, deploymentKey=dep.key, appVersion="1.0.0", clientUniqueId=client_id
        )
        expected = two if SELECTED[client_id] else one
        assert info == offered(device, expected, "1.0.0"), client_id


async def test_no_client_id_is_placed_as_undefined(
    dep: Deployment, device: httpx.AsyncClient
) -> None:
    """Quirk: ``String(clientUniqueId || client_unique_id)`` of nothing is "undefined", which
    is truthy, so a device without an id (or with an empty one) is placed as "undefined"
    (25 < 40); only both spellings empty make a falsy id, which gets the original."""
    one = await dep.release(b"one")
    two = await dep.release(b"two", rollout=40)
    without = await check(device, deploymentKey=dep.key, appVersion="1.0.0")
    assert without == offered(device, two, "1.0.0")
    empty = await check(device, deploymentKey=dep.key, appVersion="1.0.0", clientUniqueId="")
    assert empty == offered(device, two, "1.0.0")
    both_empty = await device.get(
        f"/updateCheck?deploymentKey={dep.key}&appVersion=1.0.0&clientUniqueId=&client_unique_id="
    )
    assert both_empty.json()["updateInfo"] == offered(device, one, "1.0.0")
    snake = await device.get(
        "/v0.1/public/codepush/update_check",
        params={"deployment_key": dep.key, "app_version": "1.0.0", "client_unique_id": "device-0"},
    )
    assert snake.json()["update_info"]["label"] == "v1"


async def test_rollout_completed_offers_everyone(
    dep: Deployment, device: httpx.AsyncClient
) -> None:
    await dep.release(b"one")
    two = await dep.release(b"two", rollout=40)
    await dep.patch(rollout=100)
    info = await check(device, deploymentKey=dep.key, appVersion="1.0.0", clientUniqueId="device-5")
    assert info == offered(device, two, "1.0.0")


# Bad input


async def test_bad_update_checks_get_the_servers_errors(
    dep: Deployment, device: httpx.AsyncClient
) -> None:
    await dep.release(b"one")
    cases: list[tuple[dict[str, str], int, str]] = [
        ({"appVersion": "1.0.0"}, 400, MSG_KEY),
        ({"deploymentKey": "short", "appVersion": "1.0.0"}, 400, MSG_KEY),
        ({"deploymentKey": dep.key}, 400, MSG_VERSION),
        ({"deploymentKey": dep.key, "appVersion": "^1.0.0"}, 400, MSG_VERSION),
        ({"deploymentKey": dep.key, "appVersion": ""}, 400, MSG_VERSION),
        ({"deploymentKey": "NoSuchDeploymentKey", "appVersion": "1.0.0"}, 404, "Not Found"),
    ]
    for params, status, message in cases:
        response = await device.get("/updateCheck", params=params)
        assert (response.status_code, response.text) == (status, message), params


async def test_deployment_key_is_trimmed_and_falls_back_to_snake_case(
    dep: Deployment, device: httpx.AsyncClient
) -> None:
    """The InputSanitizer trims ``deploymentKey || deployment_key``; an empty camelCase key
    falls back to the snake_case one."""
    await dep.release(b"one")
    for query in (
        f"deploymentKey=%20{dep.key}%20&appVersion=1.0.0",
        f"deploymentKey=&deployment_key={dep.key}&appVersion=1.0.0",
        f"deployment_key={dep.key}&app_version=1.0.0",
    ):
        response = await device.get("/updateCheck?" + query)
        assert response.status_code == 200, query
        assert response.json()["updateInfo"]["label"] == "v1"


async def test_repeated_parameters_as_express_reads_them(
    dep: Deployment, device: httpx.AsyncClient
) -> None:
    """qs turns a repeated parameter into an array: a repeated key makes the sanitizer's
    ``text.trim`` throw (500); a repeated label reads as "v1,v1" (found nowhere)."""
    await dep.release(b"one", isMandatory=True)
    await dep.release(b"two", isMandatory=False)
    for query in (
        f"deploymentKey={dep.key}&deploymentKey={dep.key}",
        f"deploymentKey[x]={dep.key}",
    ):
        response = await device.get(f"/updateCheck?{query}&appVersion=1.0.0")
        assert response.status_code == 500, query
    repeated = await device.get(
        f"/updateCheck?deploymentKey={dep.key}&appVersion=1.0.0&label=v1&label=v1"
    )
    assert repeated.json()["updateInfo"]["isMandatory"] is True
    single = await device.get(f"/updateCheck?deploymentKey={dep.key}&appVersion=1.0.0&label=v1")
    assert single.json()["updateInfo"]["isMandatory"] is False


async def test_no_access_key_needed_and_a_bad_one_ignored(
    dep: Deployment, device: httpx.AsyncClient
) -> None:
    await dep.release(b"one")
    response = await device.get(
        "/updateCheck",
        params={"deploymentKey": dep.key, "appVersion": "1.0.0"},
        headers={"Authorization": "Bearer not-a-key"},
    )
    assert response.status_code == 200


async def test_huge_query_string_is_answered(dep: Deployment, emu: CodePushEmulator) -> None:
    """qs reads at most 1000 parameters: a 5,000-parameter query is cut there."""
    await dep.release(b"one")
    padding = "&".join(f"p{i}=x" for i in range(5_000))
    async with httpx.AsyncClient(transport=emu.transport, base_url="http://emulator") as device:
        response = await device.get(
            f"/updateCheck?deploymentKey={dep.key}&appVersion=1.0.0&{padding}"
        )
        assert response.status_code == 200
        late = await device.get(f"/updateCheck?{padding}&deploymentKey={dep.key}&appVersion=1.0.0")
        assert (late.status_code, late.text) == (400, MSG_KEY)  # past the 1000th parameter


# Status reports and the metrics they make (redis-manager.ts)


async def report(
    device: httpx.AsyncClient, kind: str, body: Any, headers: dict[str, str] | None = None
) -> httpx.Response:
    return await device.post(f"/reportStatus/{kind}", json=body, headers=headers or {})


async def test_modern_reports_move_active_counts(
    dep: Deployment, device: httpx.AsyncClient
) -> None:
    """SDK >= 1.5.2-beta: recordUpdate adds Active and DeploymentSucceeded to the new label and
    takes Active from previousLabelOrAppVersion; a download counts Downloaded."""
    await dep.release(b"one")
    await dep.release(b"two")
    key = dep.key
    first_run = {"deploymentKey": key, "appVersion": "1.0.0", "clientUniqueId": "d1"}
    assert (await report(device, "deploy", first_run, MODERN)).text == "OK"
    downloaded = {"deploymentKey": key, "label": "v2", "clientUniqueId": "d1"}
    assert (await report(device, "download", downloaded)).status_code == 200
    installed = {
        "deploymentKey": key,
        "appVersion": "1.0.0",
        "label": "v2",
        "status": "DeploymentSucceeded",
        "clientUniqueId": "d1",
        "previousLabelOrAppVersion": "1.0.0",
    }
    assert (await report(device, "deploy", installed, MODERN)).status_code == 200
    assert await dep.metrics() == {
        "1.0.0": {"active": 0, "installed": None},  # toRestDeploymentMetrics: undefined + 1
        "v2": {"active": 1, "downloaded": 1, "failed": 0, "installed": 1},
    }


async def test_modern_failure_counts_only_failed(
    dep: Deployment, device: httpx.AsyncClient
) -> None:
    await dep.release(b"one")
    failed = {
        "deploymentKey": dep.key,
        "appVersion": "1.0.0",
        "label": "v1",
        "status": "DeploymentFailed",
    }
    assert (await report(device, "deploy", failed, MODERN)).status_code == 200
    assert await dep.metrics() == {
        "v1": {"active": 0, "downloaded": 0, "failed": 1, "installed": 0}
    }


async def test_previous_deployment_key_defaults_to_the_reporting_one(
    dep: Deployment, device: httpx.AsyncClient
) -> None:
    """``previousDeploymentKey || deploymentKey``; another key moves Active off that one."""
    await dep.release(b"one")
    production = dep.emu.deployment_key("App", "Production")
    moved = {
        "deploymentKey": dep.key,
        "appVersion": "1.0.0",
        "label": "v1",
        "status": "DeploymentSucceeded",
        "previousDeploymentKey": production,
        "previousLabelOrAppVersion": "v7",
    }
    assert (await report(device, "deploy", moved, MODERN)).status_code == 200
    response = await dep.client.get("/apps/App/deployments/Production/metrics")
    assert response.json() == {
        "metrics": {"v7": {"active": -1, "downloaded": 0, "failed": 0, "installed": 0}}
    }
    assert (await dep.metrics())["v1"]["active"] == 1


async def test_legacy_reports_use_the_per_device_label(
    dep: Deployment, device: httpx.AsyncClient
) -> None:
    """No (or an old) SDK version: the deprecated path keyed by clientUniqueId. A first run
    moves Active from the app version to itself (net 0); an install counts its status and
    moves Active from the device's remembered label; repeating it changes nothing."""
    await dep.release(b"one")
    key = dep.key
    first_run = {"deploymentKey": key, "appVersion": "1.0.0", "clientUniqueId": "d1"}
    assert (await report(device, "deploy", first_run)).status_code == 200
    installed = {**first_run, "label": "v1", "status": "DeploymentSucceeded"}
    for _ in range(2):
        response = await report(device, "deploy", installed, {"X-CodePush-SDK-Version": "1.5.1"})
        assert response.status_code == 200
    assert await dep.metrics() == {
        "1.0.0": {"active": -1},
        "v1": {"active": 1, "downloaded": 0, "failed": 0, "installed": 1},
    }


async def test_legacy_report_needs_a_client_id(dep: Deployment, device: httpx.AsyncClient) -> None:
    response = await report(device, "deploy", {"deploymentKey": dep.key, "appVersion": "1.0.0"})
    assert (response.status_code, response.text) == (400, MSG_CLIENT)
    junk_version = await report(
        device,
        "deploy",
        {"deploymentKey": dep.key, "appVersion": "1.0.0"},
        {"X-CodePush-SDK-Version": "junk"},
    )
    assert junk_version.status_code == 400  # not semver: the legacy path


async def test_snake_case_report_routes(dep: Deployment, device: httpx.AsyncClient) -> None:
    await dep.release(b"one")
    body = {
        "deployment_key": dep.key,
        "app_version": "1.0.0",
        "label": "v1",
        "status": "DeploymentSucceeded",
    }
    deploy = await device.post(
        "/v0.1/public/codepush/report_status/deploy", json=body, headers=MODERN
    )
    download = await device.post("/v0.1/public/codepush/report_status/download", json=body)
    assert (deploy.status_code, download.status_code) == (200, 200)
    assert await dep.metrics() == {
        "v1": {"active": 1, "downloaded": 1, "failed": 0, "installed": 1}
    }


async def test_bad_reports_get_the_servers_errors(
    dep: Deployment, device: httpx.AsyncClient
) -> None:
    key = dep.key
    cases: list[tuple[str, Any, int, str]] = [
        ("deploy", {"appVersion": "1.0.0"}, 400, MSG_DEPLOY),
        ("deploy", {"deploymentKey": key, "appVersion": ""}, 400, MSG_DEPLOY),
        ("deploy", {"deploymentKey": key, "appVersion": "1.0.0", "label": "v1"}, 400, MSG_STATUS),
        (
            "deploy",
            {"deploymentKey": key, "appVersion": "1", "label": "v1", "status": "Done"},
            400,
            "Invalid status: Done",
        ),
        ("deploy", [], 400, MSG_DEPLOY),
        ("download", {"deploymentKey": key}, 400, MSG_DOWNLOAD),
        ("download", {"label": "v1"}, 400, MSG_DOWNLOAD),
    ]
    for kind, body, status, message in cases:
        response = await report(device, kind, body, MODERN)
        assert (response.status_code, response.text) == (status, message), body
    for kind in ("deploy", "download"):  # body-parser sets req.body to null: reading it throws
        response = await device.post(
            f"/reportStatus/{kind}",
            content=b"{not json",
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 500
    big = await report(
        device, "deploy", {"deploymentKey": key, "appVersion": "1.0.0", "x": "y" * 20_000}
    )
    assert big.status_code == 413
    assert await dep.metrics() == {}


async def test_record_metrics_adds_to_reported_counts(
    dep: Deployment, device: httpx.AsyncClient
) -> None:
    await dep.release(b"one")
    installed = {
        "deploymentKey": dep.key,
        "appVersion": "1.0.0",
        "label": "v1",
        "status": "DeploymentSucceeded",
    }
    await report(device, "deploy", installed, MODERN)
    dep.emu.record_metrics("App", "Staging", "v1", active=2, installed=3, failed=1, downloaded=4)
    assert await dep.metrics() == {
        "v1": {"active": 3, "downloaded": 4, "failed": 1, "installed": 4}
    }


async def test_clearing_history_clears_metrics_and_device_labels(
    dep: Deployment, device: httpx.AsyncClient
) -> None:
    await dep.release(b"one")
    installed = {
        "deploymentKey": dep.key,
        "appVersion": "1.0.0",
        "label": "v1",
        "status": "DeploymentSucceeded",
        "clientUniqueId": "d1",
    }
    await report(device, "deploy", installed)
    assert (await dep.client.delete("/apps/App/deployments/Staging/history")).status_code == 204
    assert await dep.metrics() == {}
    await report(device, "deploy", installed)  # forgotten device: counted again
    assert (await dep.metrics())["v1"]["installed"] == 1


async def test_reports_for_unknown_keys_are_answered_but_kept_nowhere(
    dep: Deployment, device: httpx.AsyncClient
) -> None:
    body = {
        "deploymentKey": "SomeOtherKey123",
        "appVersion": "1.0.0",
        "label": "v1",
        "status": "DeploymentFailed",
    }
    assert (await report(device, "deploy", body, MODERN)).status_code == 200
    assert dep.emu.store.metrics == {}


async def test_without_redis_reports_answer_and_metrics_stay_empty(clock: ManualClock) -> None:
    emu = CodePushEmulator(clock=clock, redis=False)
    key = emu.create_account(OWNER_EMAIL)
    async with httpx.AsyncClient(
        transport=emu.transport, base_url="http://emulator", headers=auth(key)
    ) as client:
        await create_app(client, "App")
        dep_key = emu.deployment_key("App", "Staging")
        body = {
            "deploymentKey": dep_key,
            "appVersion": "1.0.0",
            "label": "v1",
            "status": "DeploymentSucceeded",
        }
        assert (
            await client.post("/reportStatus/deploy", json=body, headers=MODERN)
        ).status_code == 200
        assert (await client.post("/reportStatus/download", json=body)).status_code == 200
        legacy = await client.post("/reportStatus/deploy", json=body)
        assert (legacy.status_code, legacy.text) == (400, MSG_CLIENT)
        metrics = await client.get("/apps/App/deployments/Staging/metrics")
        assert metrics.json() == {"metrics": {}}
    assert emu.store.metrics == {}


async def test_metrics_read_as_to_rest_deployment_metrics(
    dep: Deployment, device: httpx.AsyncClient
) -> None:
    """A label that is not ``v\\d+`` starts as ``{active: 0}``: adding to its missing
    counters gives NaN, written null; numeric labels come first (JavaScript key order); a
    label with a colon splits there."""
    await dep.release(b"one")
    for label in ("v1", 5, "x:y"):
        body = {
            "deploymentKey": dep.key,
            "appVersion": "1.0.0",
            "label": label,
            "status": "DeploymentSucceeded",
        }
        assert (await report(device, "deploy", body, MODERN)).status_code == 200
        assert (await report(device, "download", body)).status_code == 200
    response = await dep.client.get("/apps/App/deployments/Staging/metrics")
    assert response.text == (
        '{"metrics":{"5":{"active":1,"installed":null,"downloaded":null},'
        '"v1":{"active":1,"downloaded":1,"failed":0,"installed":1},'
        '"x":{"active":0}}}'
    )


async def test_metrics_are_kept_by_deployment_key(
    dep: Deployment, device: httpx.AsyncClient
) -> None:
    """As in Redis: deleting a deployment leaves its key's counters, which a deployment
    created again with that key lists."""
    beta = {"name": "Beta", "key": "BetaDeploymentKey1"}
    assert (await dep.client.post("/apps/App/deployments", json=beta)).status_code == 201
    body = {"deploymentKey": "BetaDeploymentKey1", "label": "v1"}
    assert (await report(device, "download", body)).status_code == 200
    assert (await dep.client.delete("/apps/App/deployments/Beta")).status_code == 204
    assert (await dep.client.post("/apps/App/deployments", json=beta)).status_code == 201
    response = await dep.client.get("/apps/App/deployments/Beta/metrics")
    assert response.json() == {
        "metrics": {"v1": {"active": 0, "downloaded": 1, "failed": 0, "installed": 0}}
    }


async def test_hostile_reports_cannot_grow_memory_without_bound(
    dep: Deployment, device: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the per-key caps new counters and devices are not kept; existing ones still count."""
    monkeypatch.setattr("codepush_async.emulator._store.MAX_METRIC_FIELDS", 3)
    monkeypatch.setattr("codepush_async.emulator._store.MAX_TRACKED_CLIENTS", 2)
    for label in ("v1", "v2", "v3", "v4", "v1"):
        await report(device, "download", {"deploymentKey": dep.key, "label": label})
    assert dep.emu.store.metrics[dep.key] == {
        "v1:Downloaded": 2,
        "v2:Downloaded": 1,
        "v3:Downloaded": 1,
    }
    for client_id in ("a", "b", "c"):
        body = {"deploymentKey": dep.key, "appVersion": "1.0.0", "clientUniqueId": client_id}
        assert (await report(device, "deploy", body)).status_code == 200
    assert dep.emu.store.active_labels[dep.key] == {"a": "1.0.0", "b": "1.0.0"}


# The Node.js pieces the rules lean on, against answers recorded from node (qs 6.13.0 as
# Express 4 calls it, semver 7.6.3: the versions the official server's lockfile installs).

QS_STRINGS = [
    ("label=v1&label=v2", "v1,v2"),
    ("label[]=v1", "v1"),
    ("label[1]=b&label[0]=a", "a,b"),
    ("label[x]=v1", "[object Object]"),
    ("label=v1&label[x]=2", "v1,[object Object]"),
    ("label", ""),
    ("label=%E0%A4%A", "%E0%A4%A"),
    ("label=a+b%20c", "a b c"),
    ("label[21]=x", "[object Object]"),
    ("label[0]=x&label[0]=y", "x,y"),
    ("[label]=v1", "v1"),
    ("label=1&label[]=2", "1,2"),
    ("label%5B%5D=1&label%5b%5d=2", "1,2"),
    ("label[b][c][d][e][f][g]=1", "[object Object]"),
    ("a=1&&label=&label=v3", ",v3"),
    ("label=v1&label=v2&label=v3&label[]=v4", "v1,v2,v3,v4"),
    ("other=1", "undefined"),
]


@pytest.mark.parametrize(("query", "expected"), QS_STRINGS)
def test_query_values_read_as_express_reads_them(query: str, expected: str) -> None:
    """``String(qs.parse(query, {allowPrototypes: true}).label)``."""
    assert js_query_string(parse_query(query).get("label")) == expected


GTR = [
    ("2.0.0", "1.0.0", True),
    ("1.0.0", "1.0.0", False),
    ("0.9.0", "1.0.0", False),
    ("2.0.0", "^1.0.0", True),
    ("1.5.0", "^1.0.0", False),
    ("3.0.0", "1.x || 2.x", True),
    ("2.5.0", "1.x || >=3.0.0", False),
    ("5.0.0", "*", False),
    ("2.0.0", "<1.0.0", True),
    ("2.0.0", ">1.0.0", False),
    ("1.0.0-beta", "1.0.0", False),
    ("2.0.0-beta", "1.x", True),
    ("1.2.3", "1.2.3 - 1.2.2", False),
    ("2.0.0", "~1.2.3", True),
    ("1.0.0", "<0.0.0-0", True),
    ("1.0.0", ">=0.5.0 <0.9.0", True),
    ("0.7.0", "<=0.6.0 || >=0.8.0", False),
    ("1.0.0", "1.0.0-rc.1", True),
    ("1.0.0-rc.2", "1.0.0-rc.1", True),
    ("3.0.0", "<=2.0.0", True),
    ("2.0.0", "<=2.0.0", False),
    ("2.0.1", "2.0.0 - 2.0.0", False),
]


@pytest.mark.parametrize(("version", "range_text", "expected"), GTR)
def test_gtr_as_node_semver(version: str, range_text: str, expected: bool) -> None:
    assert gtr(version, range_text) is expected
