"""Every management operation, asserted on the wire: method, path, headers, body bytes.

Each case also feeds back the official server's answer and checks what the caller gets.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import attrs
import pytest

from codepush_async import (
    AccessKey,
    AsyncCodePush,
    CollaboratorProperties,
    Package,
    Session,
    __version__,
)
from tests.conftest import ACCESS_KEY, Recorder
from tests.payloads import (
    ACCOUNT,
    ACCOUNT_WIRE,
    APP,
    APP_WIRE,
    DEPLOYMENT,
    DEPLOYMENT_WIRE,
    KEY,
    KEY_WIRE,
    METRICS,
    METRICS_WIRE,
    NEW_KEY,
    NEW_KEY_WIRE,
    PACKAGE,
    PACKAGE_WIRE,
    T0,
    T0_MS,
    T1_MS,
)

pytestmark = pytest.mark.anyio

Call = Callable[[AsyncCodePush], Awaitable[Any]]


@attrs.frozen
class Case:
    id: str
    call: Call
    method: str
    path: str
    body: bytes | None
    status: int
    reply: Any  # a JSON-able value, or a str sent as text
    expected: Any
    # Reads the call makes after the write (a promote checks the source's package hash).
    then: tuple[tuple[str, Any], ...] = ()
    # Reads it makes before (a release write reads the history, to prove its effect later).
    before: tuple[tuple[str, Any], ...] = ()


ROLLBACK_WIRE = {k: v for k, v in PACKAGE_WIRE.items() if k != "label"} | {
    "releaseMethod": "Rollback",
    "originalLabel": "v1",
}
ROLLBACK = attrs.evolve(PACKAGE, label=None, release_method="Rollback", original_label="v1")
DEP = "/apps/My%20App/deployments/Staging"
HISTORY = ((DEP + "/history", {"history": [{**PACKAGE_WIRE, "label": "v1"}, PACKAGE_WIRE]}),)

CASES = [
    Case("account.get", lambda cp: cp.account.get(), "GET", "/account", None, 200,
         {"account": ACCOUNT_WIRE}, ACCOUNT),
    Case("account.is_authenticated", lambda cp: cp.account.is_authenticated(), "GET",
         "/authenticated", None, 200, {"authenticated": True}, True),
    Case("tokens.create", lambda cp: cp.tokens.create("ci", ttl=5_184_000_000), "POST",
         "/accessKeys", b'{"friendlyName":"ci","ttl":5184000000}', 201,
         {"accessKey": NEW_KEY_WIRE}, NEW_KEY),
    Case("tokens.create minimal", lambda cp: cp.tokens.create("ci"), "POST", "/accessKeys",
         b'{"friendlyName":"ci"}', 201, {"accessKey": NEW_KEY_WIRE}, NEW_KEY),
    Case("tokens.get", lambda cp: cp.tokens.get("my key"), "GET", "/accessKeys/my%20key",
         None, 200, {"accessKey": KEY_WIRE}, KEY),
    Case("tokens.list hides sessions", lambda cp: cp.tokens.list(), "GET", "/accessKeys", None,
         200, {"accessKeys": [
             {**KEY_WIRE, "name": "(hidden)"},
             {**KEY_WIRE, "name": "(hidden)", "friendlyName": "login", "isSession": True},
         ]}, [KEY]),
    Case("tokens.update", lambda cp: cp.tokens.update("ci", friendly_name="ci2", ttl=0),
         "PATCH", "/accessKeys/ci", b'{"friendlyName":"ci2","ttl":0}', 200,
         {"accessKey": KEY_WIRE}, KEY),
    Case("tokens.remove", lambda cp: cp.tokens.remove("a#b"), "DELETE", "/accessKeys/a%23b",
         None, 204, "", None),
    Case("tokens.remove_session", lambda cp: cp.tokens.remove_session("my-mac"), "DELETE",
         "/sessions/my-mac", None, 204, "", None),
    Case("apps.list", lambda cp: cp.apps.list(), "GET", "/apps", None, 200,
         {"apps": [APP_WIRE]}, [APP]),
    Case("apps.create", lambda cp: cp.apps.create("My App", os="iOS", platform="React-Native"),
         "POST", "/apps", b'{"name":"My App","os":"iOS","platform":"React-Native"}', 201,
         {"app": APP_WIRE}, APP),
    Case("apps.create manual",
         lambda cp: cp.apps.create("My App", manually_provision_deployments=True),
         "POST", "/apps", b'{"name":"My App","manuallyProvisionDeployments":true}', 201,
         {"app": {**APP_WIRE, "deployments": None}}, attrs.evolve(APP, deployments=None)),
    Case("apps.get owner-qualified", lambda cp: cp.apps.get("owner@example.com:MyApp"), "GET",
         "/apps/owner%40example.com%3AMyApp", None, 200, {"app": APP_WIRE}, APP),
    Case("apps.rename", lambda cp: cp.apps.rename("My App", "Renamé"), "PATCH",
         "/apps/My%20App", '{"name":"Renamé"}'.encode(), 200, {"app": APP_WIRE}, APP),
    Case("apps.remove", lambda cp: cp.apps.remove("My App"), "DELETE", "/apps/My%20App", None,
         204, "", None),
    Case("apps.transfer", lambda cp: cp.apps.transfer("My App", "new@example.com"), "POST",
         "/apps/My%20App/transfer/new%40example.com", None, 201, "Created", None),
    Case("collaborators.list", lambda cp: cp.collaborators.list("My App"), "GET",
         "/apps/My%20App/collaborators", None, 200,
         {"collaborators": {"owner@example.com": {"permission": "Owner", "isCurrentAccount": True},
                            "c@example.com": {"permission": "Collaborator"}}},
         {"owner@example.com": CollaboratorProperties("Owner", True),
          "c@example.com": CollaboratorProperties("Collaborator", False)}),
    Case("collaborators.add", lambda cp: cp.collaborators.add("My App", "c@example.com"),
         "POST", "/apps/My%20App/collaborators/c%40example.com", None, 201, "Created", None),
    Case("collaborators.remove", lambda cp: cp.collaborators.remove("My App", "c@example.com"),
         "DELETE", "/apps/My%20App/collaborators/c%40example.com", None, 204, "", None),
    Case("deployments.list", lambda cp: cp.deployments.list("My App"), "GET",
         "/apps/My%20App/deployments", None, 200,
         {"deployments": [{"name": "Production", "key": "k2", "package": None}, DEPLOYMENT_WIRE]},
         [attrs.evolve(DEPLOYMENT, name="Production", key="k2", package=None), DEPLOYMENT]),
    Case("deployments.create", lambda cp: cp.deployments.create("My App", "QA"), "POST",
         "/apps/My%20App/deployments", b'{"name":"QA"}', 201,
         {"deployment": {"name": "QA", "key": "generated"}},
         attrs.evolve(DEPLOYMENT, name="QA", key="generated", package=None)),
    Case("deployments.create with key",
         lambda cp: cp.deployments.create("My App", "QA", key="my-key"), "POST",
         "/apps/My%20App/deployments", b'{"name":"QA","key":"my-key"}', 201,
         {"deployment": {"name": "QA", "key": "my-key"}},
         attrs.evolve(DEPLOYMENT, name="QA", key="my-key", package=None)),
    Case("deployments.get", lambda cp: cp.deployments.get("My App", "Staging"), "GET", DEP,
         None, 200, {"deployment": DEPLOYMENT_WIRE}, DEPLOYMENT),
    Case("deployments.rename", lambda cp: cp.deployments.rename("My App", "Staging", "QA"),
         "PATCH", DEP, b'{"name":"QA"}', 200, {"deployment": DEPLOYMENT_WIRE}, DEPLOYMENT),
    Case("deployments.remove", lambda cp: cp.deployments.remove("My App", "Staging"), "DELETE",
         DEP, None, 204, "", None),
    Case("deployments.metrics", lambda cp: cp.deployments.metrics("My App", "Staging"), "GET",
         DEP + "/metrics", None, 200, {"metrics": METRICS_WIRE}, METRICS),
    Case("deployments.metrics none kept", lambda cp: cp.deployments.metrics("My App", "Staging"),
         "GET", DEP + "/metrics", None, 200, {"metrics": {}}, {},
         then=((DEP, {"deployment": DEPLOYMENT_WIRE}),)),  # {} even if unknown: it must exist
    Case("releases.history", lambda cp: cp.releases.history("My App", "Staging"), "GET",
         DEP + "/history", None, 200, {"history": [PACKAGE_WIRE]}, [PACKAGE]),
    Case("releases.clear_history", lambda cp: cp.releases.clear_history("My App", "Staging"),
         "DELETE", DEP + "/history", None, 204, "", None),
    Case("releases.patch latest", lambda cp: cp.releases.patch("My App", "Staging", rollout=50),
         "PATCH", DEP + "/release", b'{"packageInfo":{"rollout":50}}', 200,
         {"package": PACKAGE_WIRE}, PACKAGE, before=HISTORY),
    Case("releases.patch label, False is sent",
         lambda cp: cp.releases.patch("My App", "Staging", "v3", is_disabled=False,
                                      is_mandatory=True, description="d", app_version="1.x"),
         "PATCH", DEP + "/release",
         b'{"packageInfo":{"label":"v3","appVersion":"1.x","description":"d",'
         b'"isMandatory":true,"isDisabled":false}}', 200, {"package": PACKAGE_WIRE}, PACKAGE,
         before=HISTORY),
    Case("releases.patch unchanged answers 204",
         lambda cp: cp.releases.patch("My App", "Staging", "v3", description="same"),
         "PATCH", DEP + "/release", b'{"packageInfo":{"label":"v3","description":"same"}}',
         204, "", None, before=HISTORY),
    Case("releases.promote", lambda cp: cp.releases.promote("My App", "Staging", "Production"),
         "POST", DEP + "/promote/Production", b'{"packageInfo":{}}', 201,
         {"package": PACKAGE_WIRE}, PACKAGE,
         # the answer names no original label: the source is read again, for what it copied
         then=((DEP + "/history", {"history": [PACKAGE_WIRE]}),),
         before=(*HISTORY, ("/apps/My%20App/deployments/Production/history", {"history": []}))),
    Case("releases.promote overrides",
         lambda cp: cp.releases.promote("My App", "Staging", "Prod #1", label="v2", rollout=25,
                                        is_mandatory=False),
         "POST", DEP + "/promote/Prod%20%231",
         b'{"packageInfo":{"label":"v2","isMandatory":false,"rollout":25}}', 201,
         {"package": PACKAGE_WIRE}, PACKAGE,  # v2 is in the source's history read before
         before=((DEP + "/history", {"history": [{**PACKAGE_WIRE, "label": "v2"}]}),
                 ("/apps/My%20App/deployments/Prod%20%231/history", {"history": []}))),
    Case("releases.rollback", lambda cp: cp.releases.rollback("My App", "Staging"), "POST",
         DEP + "/rollback", None, 201, {"package": ROLLBACK_WIRE}, ROLLBACK, before=HISTORY),
    Case("releases.rollback to label",
         lambda cp: cp.releases.rollback("My App", "Staging", "v1"), "POST",
         DEP + "/rollback/v1", None, 201, {"package": ROLLBACK_WIRE}, ROLLBACK,
         before=HISTORY),
]


def _reply(recorder: Recorder, case: Case) -> None:
    if isinstance(case.reply, str):
        recorder.reply(case.status, text=case.reply)
    else:
        recorder.reply(case.status, json_body=case.reply)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_operation_on_the_wire(cp: AsyncCodePush, recorder: Recorder, case: Case) -> None:
    for _, reply in case.before:
        recorder.reply(200, json_body=reply)
    _reply(recorder, case)
    for _, reply in case.then:
        recorder.reply(200, json_body=reply)

    result = await case.call(cp)

    reads = [(r.method, r.url.raw_path.decode()) for r in recorder.requests]
    request = recorder.requests[len(case.before)]
    assert reads == [
        *(("GET", path) for path, _ in case.before),
        (case.method, case.path),
        *(("GET", path) for path, _ in case.then),
    ]
    assert request.method == case.method
    assert request.url.raw_path.decode() == case.path
    assert request.url.host == "codepush.example.com"
    assert request.url.scheme == "https"
    assert request.headers["authorization"] == f"Bearer {ACCESS_KEY}"
    assert request.headers["accept"] == "application/vnd.code-push.v2+json"
    assert request.headers["x-codepush-sdk-version"] == __version__
    assert request.headers["user-agent"].startswith(f"codepush-async/{__version__} ")
    if case.body is None:
        assert request.content == b""
        assert "content-type" not in request.headers
    else:
        assert request.content == case.body
        assert request.headers["content-type"] == "application/json;charset=UTF-8"
        assert request.headers["content-length"] == str(len(case.body))
    assert result == case.expected


async def test_created_key_secret_is_returned_but_never_in_repr(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(201, json_body={"accessKey": NEW_KEY_WIRE})

    key = await cp.tokens.create("ci")

    assert key.key == "NEWSECRET_0123456789"
    assert "NEWSECRET" not in repr(key)
    assert "NEWSECRET" not in str(key)


async def test_access_key_falls_back_to_legacy_description(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    legacy = {"name": "(hidden)", "description": "old", "createdTime": T0_MS, "expires": T1_MS}
    recorder.reply(200, json_body={"accessKeys": [legacy]})

    [key] = await cp.tokens.list()

    assert key.name == "old"
    assert key.key is None


async def test_list_with_sessions(cp: AsyncCodePush, recorder: Recorder) -> None:
    session = {**KEY_WIRE, "name": "(hidden)", "friendlyName": "login", "isSession": True}
    recorder.reply(200, json_body={"accessKeys": [KEY_WIRE, session]})

    keys = await cp.tokens.list(include_sessions=True)

    assert [k.name for k in keys] == ["ci", "login"]
    assert [k.is_session for k in keys] == [False, True]


async def test_sessions_one_per_machine_and_unexpired(
    recorder: Recorder,
) -> None:
    from tests._backend import httpx

    class FrozenClock:
        def now(self) -> float:
            return T0_MS / 1000 + 100

        async def sleep(self, seconds: float) -> None:
            raise AssertionError("no sleeping")

    def session(machine: str, created: int, expires: int) -> dict[str, Any]:
        return {"friendlyName": f"s-{machine}-{created}", "createdBy": machine,
                "createdTime": created, "expires": expires, "isSession": True}

    recorder.reply(200, json_body={"accessKeys": [
        session("mac", T0_MS - 1000, T1_MS),
        session("mac", T0_MS, T1_MS),
        session("old-box", T0_MS - 5000, T0_MS + 50_000),  # expired 50 s before "now"
        KEY_WIRE,
    ]})
    async with AsyncCodePush(
        ACCESS_KEY, "https://codepush.example.com",
        transport=httpx.MockTransport(recorder), clock=FrozenClock(),
    ) as cp:
        sessions = await cp.tokens.sessions()

    assert sessions == [Session("mac", T0)]
    assert recorder.last.url.raw_path == b"/accessKeys"


async def test_created_key_keeps_secret_distinct_from_friendly_name(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(201, json_body={"accessKey": NEW_KEY_WIRE})
    key = await cp.tokens.create("ci")
    assert key == AccessKey(**attrs.asdict(NEW_KEY, recurse=False))
    assert isinstance(key, AccessKey)


async def test_package_rollout_null_means_100(cp: AsyncCodePush, recorder: Recorder) -> None:
    recorder.reply(200, json_body={"history": [
        {"label": "v1", "appVersion": "1.0.0", "rollout": None},
        {"label": "v2", "appVersion": "1.0.0", "rollout": 40, "isDisabled": True},
    ]})
    history = await cp.releases.history("a", "b")
    assert [p.rollout for p in history] == [100, 40]
    assert history[1].is_disabled is True
    assert history[0].is_disabled is None
    assert isinstance(history[0], Package)
