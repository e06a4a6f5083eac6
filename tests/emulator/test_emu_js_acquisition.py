"""The JS acquisition SDK (npm ``code-push@3.1.5``, the code devices run) against the emulator
served on a port: what the SDK gets from its update checks, and the metrics its reports make.

The SDK speaks the snake_case routes (``/v0.1/public/codepush/...``) through a node http
requester that sends the React Native plugin's headers (tests/_node.py, benchmarks/
_js_acquisition.js); node is required: a missing one fails these tests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from codepush_async.emulator import CodePushEmulator

from .._node import js_acquisition
from ._helpers import OWNER_EMAIL, auth

APP_VERSION = "1.0.0"
PLUGIN_HEADERS = {
    "x-codepush-plugin-name": "react-native-code-push",
    "x-codepush-plugin-version": "6.4.1",
    "x-codepush-sdk-version": "3.1.5",
}


@dataclass
class Served:
    """The served emulator, a management client on it, and Production's deployment key."""

    emu: CodePushEmulator
    url: str
    manager: httpx.Client
    key: str

    def release(self, data: bytes, **info: Any) -> dict[str, Any]:
        answer = self.manager.post(
            "/apps/App/deployments/Production/release",
            files={"package": ("bundle.js", data)},
            data={"packageInfo": json.dumps({"appVersion": APP_VERSION, **info})},
        )
        assert answer.status_code == 201, answer.text
        package: dict[str, Any] = answer.json()["package"]
        return package

    def config(self, client_id: str | None = "device-a") -> dict[str, Any]:
        return {"serverUrl": self.url, "deploymentKey": self.key, "appVersion": APP_VERSION,
                "clientUniqueId": client_id}

    def metrics(self) -> dict[str, Any]:
        answer = self.manager.get("/apps/App/deployments/Production/metrics")
        assert answer.status_code == 200, answer.text
        metrics: dict[str, Any] = answer.json()["metrics"]
        return metrics


@pytest.fixture
def served() -> Iterator[Served]:
    emu = CodePushEmulator()
    key = emu.create_account(OWNER_EMAIL)
    with emu.serve() as url, httpx.Client(base_url=url, headers=auth(key)) as manager:
        assert manager.post("/apps", json={"name": "App"}).status_code == 201
        yield Served(emu, url, manager, emu.deployment_key("App", "Production"))


def on(package: dict[str, Any] | None) -> dict[str, Any]:
    """What the SDK's ``currentPackage`` is for a device running ``package`` (None: the binary)."""
    if package is None:
        return {"appVersion": APP_VERSION}
    return {"appVersion": APP_VERSION, "label": package["label"],
            "packageHash": package["packageHash"]}


def query(served: Served, package: dict[str, Any] | None, client_id: str = "device-a") -> Any:
    return {"config": served.config(client_id), "call": "query", "package": on(package)}


def test_update_checks_answer_the_sdk_as_the_server_does(served: Served) -> None:
    first = served.release(b"first", isMandatory=True, description="first")
    second = served.release(b"second", description="second")
    older = {**query(served, None), "package": {"appVersion": "0.9.0"}}
    binary, on_first, on_second, too_old = js_acquisition([
        query(served, None), query(served, first), query(served, second), older,
    ])
    offered = {"deploymentKey": served.key, "description": "second", "label": "v2",
               "appVersion": APP_VERSION, "packageHash": second["packageHash"],
               "packageSize": second["size"], "downloadUrl": second["blobUrl"]}
    assert binary == {"error": None, "result": {**offered, "isMandatory": True},
                      "requests": binary["requests"]}  # v1 is mandatory: rolled up
    # v2 never said whether it is mandatory: the server's `false || undefined` leaves it out.
    assert on_first["result"] == offered
    assert (on_second["error"], on_second["result"]) == (None, None)
    assert too_old["result"] == {"updateAppVersion": True, "appVersion": APP_VERSION}
    assert httpx.get(binary["result"]["downloadUrl"]).content == b"second"
    sent = binary["requests"][0]
    assert sent["verb"] == "GET"
    assert sent["url"].startswith(served.url + "/v0.1/public/codepush/update_check?")
    checks = [r for r in served.emu.requests if r.path == "/v0.1/public/codepush/update_check"]
    assert [r.status for r in checks] == [200] * 4
    assert all(r.headers.get(name) == value for r in checks for name, value in
               PLUGIN_HEADERS.items())
    assert all("authorization" not in r.headers for r in checks)


def test_a_rollout_offers_the_release_to_the_devices_the_server_selects(served: Served) -> None:
    served.release(b"first")
    second = served.release(b"second")
    served.release(b"third", rollout=40)
    ids = [f"device-{index}" for index in range(40)]
    (selected,) = js_acquisition([{"call": "rollout", "clientIds": ids, "rollout": 40,
                                   "tag": "v3"}])
    answers = js_acquisition([query(served, second, client_id) for client_id in ids])
    got = [answer["result"] and answer["result"]["label"] for answer in answers]
    assert got == ["v3" if chosen else None for chosen in selected["result"]]
    assert 0 < got.count("v3") < len(ids)  # both sides of the rollout are exercised
    (binary,) = js_acquisition([query(served, None, ids[selected["result"].index(False)])])
    assert binary["result"]["label"] == "v2"  # outside the rollout: the last complete release


def test_reports_become_the_deployment_metrics(served: Served) -> None:
    first = served.release(b"first")
    second = served.release(b"second")
    a, b = served.config("device-a"), served.config("device-b")
    answers = js_acquisition([
        {"config": a, "call": "deploy"},  # device a's first run of its binary
        {"config": a, "call": "download", "package": second},
        {"config": a, "call": "deploy", "package": second,
         "status": "DeploymentSucceeded", "previousLabelOrAppVersion": APP_VERSION,
         "previousDeploymentKey": served.key},
        {"config": b, "call": "deploy", "package": first, "status": "DeploymentSucceeded"},
        {"config": b, "call": "deploy", "package": second, "status": "DeploymentFailed"},
        {"config": b, "call": "deploy", "package": second, "status": "DeploymentSucceeded",
         "previousLabelOrAppVersion": "v1"},
    ])
    assert [(answer["error"], answer["result"]) for answer in answers] == [(None, None)] * 6
    metrics = served.metrics()
    assert metrics["v1"] == {"active": 0, "downloaded": 0, "failed": 0, "installed": 1}
    assert metrics["v2"] == {"active": 2, "downloaded": 1, "failed": 1, "installed": 2}
    assert metrics[APP_VERSION]["active"] == 0  # a went from its binary to v2
    deploy = answers[2]["requests"][0]
    assert deploy["url"] == served.url + "/v0.1/public/codepush/report_status/deploy"
    assert json.loads(deploy["body"]) == {
        "app_version": APP_VERSION, "deployment_key": served.key, "client_unique_id": "device-a",
        "label": "v2", "status": "DeploymentSucceeded",
        "previous_label_or_app_version": APP_VERSION, "previous_deployment_key": served.key,
    }
    reports = [r for r in served.emu.requests if "/report_status/" in r.path]
    assert [r.status for r in reports] == [200] * 6
    assert all(r.headers.get(name) == value for r in reports for name, value in
               PLUGIN_HEADERS.items())


def test_a_report_the_server_refuses_is_an_error_for_the_sdk(served: Served) -> None:
    served.release(b"first")
    (answer,) = js_acquisition([
        {"config": {**served.config(), "deploymentKey": ""}, "call": "download",
         "package": {"label": "v1"}},
    ])
    assert answer["error"].startswith("400: ")
    assert served.metrics().get("v1", {}).get("downloaded", 0) == 0
