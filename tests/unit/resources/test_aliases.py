"""The seed's flat method names send exactly what their sub-client calls send."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from codepush_async import AsyncCodePush, PackageInfo
from tests.conftest import Recorder
from tests.payloads import (
    APP_WIRE,
    DEPLOYMENT_WIRE,
    KEY_WIRE,
    METRICS_WIRE,
    NEW_KEY_WIRE,
    PACKAGE_WIRE,
)

pytestmark = pytest.mark.anyio

Call = Callable[[AsyncCodePush], Awaitable[Any]]

INFO = PackageInfo(app_version="1.2.x", description="d", is_mandatory=False, is_disabled=False,
                   rollout=30)

# (seed name, flat call, equivalent sub-client call, status, reply)
PAIRS: list[tuple[str, Call, Call, int, Any]] = [
    ("addAccessKey", lambda cp: cp.add_access_key("ci", 1000),
     lambda cp: cp.tokens.create("ci", ttl=1000), 201, {"accessKey": NEW_KEY_WIRE}),
    ("getAccessKey", lambda cp: cp.get_access_key("ci"), lambda cp: cp.tokens.get("ci"), 200,
     {"accessKey": KEY_WIRE}),
    ("getAccessKeys", lambda cp: cp.get_access_keys(), lambda cp: cp.tokens.list(), 200,
     {"accessKeys": [KEY_WIRE]}),
    ("patchAccessKey", lambda cp: cp.patch_access_key("ci", "ci2", 5),
     lambda cp: cp.tokens.update("ci", friendly_name="ci2", ttl=5), 200, {"accessKey": KEY_WIRE}),
    ("removeAccessKey", lambda cp: cp.remove_access_key("ci"), lambda cp: cp.tokens.remove("ci"),
     204, ""),
    ("getSessions", lambda cp: cp.get_sessions(), lambda cp: cp.tokens.sessions(), 200,
     {"accessKeys": []}),
    ("removeSession", lambda cp: cp.remove_session("m"), lambda cp: cp.tokens.remove_session("m"),
     204, ""),
    ("getAccountInfo", lambda cp: cp.get_account_info(), lambda cp: cp.account.get(), 200,
     {"account": {"email": "a@b.c"}}),
    ("addApp", lambda cp: cp.add_app("A", "iOS", "React-Native", True),
     lambda cp: cp.apps.create("A", os="iOS", platform="React-Native",
                               manually_provision_deployments=True), 201, {"app": APP_WIRE}),
    ("getApp", lambda cp: cp.get_app("A"), lambda cp: cp.apps.get("A"), 200, {"app": APP_WIRE}),
    ("getApps", lambda cp: cp.get_apps(), lambda cp: cp.apps.list(), 200, {"apps": [APP_WIRE]}),
    ("renameApp", lambda cp: cp.rename_app("A", "B"), lambda cp: cp.apps.rename("A", "B"), 200,
     {"app": APP_WIRE}),
    ("removeApp", lambda cp: cp.remove_app("A"), lambda cp: cp.apps.remove("A"), 204, ""),
    ("transferApp", lambda cp: cp.transfer_app("A", "x@y.z"),
     lambda cp: cp.apps.transfer("A", "x@y.z"), 201, "Created"),
    ("addCollaborator", lambda cp: cp.add_collaborator("A", "x@y.z"),
     lambda cp: cp.collaborators.add("A", "x@y.z"), 201, "Created"),
    ("getCollaborators", lambda cp: cp.get_collaborators("A"),
     lambda cp: cp.collaborators.list("A"), 200, {"collaborators": {}}),
    ("removeCollaborator", lambda cp: cp.remove_collaborator("A", "x@y.z"),
     lambda cp: cp.collaborators.remove("A", "x@y.z"), 204, ""),
    ("addDeployment", lambda cp: cp.add_deployment("A", "QA", "k"),
     lambda cp: cp.deployments.create("A", "QA", key="k"), 201, {"deployment": DEPLOYMENT_WIRE}),
    ("getDeployment", lambda cp: cp.get_deployment("A", "S"),
     lambda cp: cp.deployments.get("A", "S"), 200, {"deployment": DEPLOYMENT_WIRE}),
    ("getDeployments", lambda cp: cp.get_deployments("A"), lambda cp: cp.deployments.list("A"),
     200, {"deployments": []}),
    ("renameDeployment", lambda cp: cp.rename_deployment("A", "S", "T"),
     lambda cp: cp.deployments.rename("A", "S", "T"), 200, {"deployment": DEPLOYMENT_WIRE}),
    ("removeDeployment", lambda cp: cp.remove_deployment("A", "S"),
     lambda cp: cp.deployments.remove("A", "S"), 204, ""),
    ("getDeploymentMetrics", lambda cp: cp.get_deployment_metrics("A", "S"),
     lambda cp: cp.deployments.metrics("A", "S"), 200, {"metrics": METRICS_WIRE}),
    ("getDeploymentHistory", lambda cp: cp.get_deployment_history("A", "S"),
     lambda cp: cp.releases.history("A", "S"), 200, {"history": []}),
    ("clearDeploymentHistory", lambda cp: cp.clear_deployment_history("A", "S"),
     lambda cp: cp.releases.clear_history("A", "S"), 204, ""),
    ("patchRelease", lambda cp: cp.patch_release("A", "S", "v2", INFO),
     lambda cp: cp.releases.patch("A", "S", "v2", app_version="1.2.x", description="d",
                                  is_mandatory=False, is_disabled=False, rollout=30),
     200, {"package": PACKAGE_WIRE}),
    ("promote", lambda cp: cp.promote("A", "S", "P", PackageInfo(label="v1", rollout=5)),
     lambda cp: cp.releases.promote("A", "S", "P", label="v1", rollout=5), 201,
     {"package": PACKAGE_WIRE}),
    ("promote without metadata", lambda cp: cp.promote("A", "S", "P"),
     lambda cp: cp.releases.promote("A", "S", "P"), 201, {"package": PACKAGE_WIRE}),
    ("rollback", lambda cp: cp.rollback("A", "S", "v1"),
     lambda cp: cp.releases.rollback("A", "S", "v1"), 201, {"package": PACKAGE_WIRE}),
]


def _queue(recorder: Recorder, status: int, reply: Any) -> None:
    if isinstance(reply, str):
        recorder.reply(status, text=reply)
    else:
        recorder.reply(status, json_body=reply)


def _history(*labels: str) -> dict[str, Any]:
    return {"history": [{**PACKAGE_WIRE, "label": label} for label in labels]}


# History reads a release write makes before and after its own request, by seed name.
READS: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {
    "patchRelease": ([_history("v1", "v2")], []),
    # the source's history, then the destination's (nothing to read after: v1 was named)
    "promote": ([_history("v1"), _history()], []),
    # the answer names no original label: the source is read again for what it copied
    "promote without metadata": ([_history("v1"), _history()], [_history("v1")]),
    "rollback": ([_history("v1", "v2")], []),
}


@pytest.mark.parametrize(("seed", "flat", "sub", "status", "reply"), PAIRS,
                         ids=[p[0] for p in PAIRS])
async def test_flat_alias_matches_sub_client(
    cp: AsyncCodePush, recorder: Recorder, seed: str, flat: Call, sub: Call, status: int,
    reply: Any,
) -> None:
    before, after = READS.get(seed, ([], []))
    for _ in range(2):
        for history in before:
            recorder.reply(200, json_body=history)
        _queue(recorder, status, reply)
        for history in after:
            recorder.reply(200, json_body=history)

    flat_result = await flat(cp)
    sub_result = await sub(cp)

    sent = [(r.method, r.url, r.content) for r in recorder.requests]
    assert len(sent) == 2 * (len(before) + 1 + len(after))
    assert sent[: len(sent) // 2] == sent[len(sent) // 2:]
    assert flat_result == sub_result


def test_every_seed_method_has_a_flat_alias() -> None:
    seed = [
        "addAccessKey", "addApp", "addCollaborator", "addDeployment", "clearDeploymentHistory",
        "getAccessKey", "getAccessKeys", "getApp", "getApps", "getCollaborators", "getDeployment",
        "getDeploymentHistory", "getDeploymentMetrics", "getDeployments", "patchRelease",
        "promote", "removeAccessKey", "removeApp", "removeCollaborator", "removeDeployment",
        "renameApp", "renameDeployment", "rollback",
    ]  # and ``release``, which lands with the upload

    def snake(name: str) -> str:
        return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)

    missing = [name for name in seed if not callable(getattr(AsyncCodePush, snake(name), None))]
    assert missing == []
