"""The device side on the wire: update checks, status reports, metrics and downloads.

Each scenario builds a small history and compares every answer with the one the official
server's rules give, written out here from its source (``routes/acquisition.ts``,
``utils/acquisition.ts`` ``getUpdatePackageInfo``, ``utils/rollout-selector.ts``,
``redis-manager.ts``, ``utils/converter.ts`` ``toRestDeploymentMetrics``) and checked on the
official server with Redis and blob URLs (``nox -s official``, traits ``official-redis``).
Rollout selection is computed by node running the server's own ``isSelectedForRollout``.
Answers are compared whole (status and body: a key the server leaves out must be left out),
on both route spellings, and tallied per target for the run's summary ("answers compared,
differences").
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import uuid
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import anyio
import httpx
import pytest

from codepush_async import CheckReason, Package, UpdateCheck, UpdateMetrics
from codepush_async._release.hashing import package_hash

from .conftest import Target, tally

pytestmark = pytest.mark.anyio

SDK_VERSION = "3.1.5"  # npm code-push 3.1.5: >= 1.5.2-beta, the modern metrics path
SDK = {"X-CodePush-SDK-Version": SDK_VERSION}
ACCEPT = "application/vnd.code-push.v2+json"
UPDATE_CHECK = {"camel": "/updateCheck", "snake": "/v0.1/public/codepush/update_check"}
SNAKE_QUERY = {
    "deploymentKey": "deployment_key", "appVersion": "app_version",
    "packageHash": "package_hash", "clientUniqueId": "client_unique_id",
    "isCompanion": "is_companion", "label": "label",
}
SNAKE_ANSWER = {
    "appVersion": "app_version", "description": "description", "downloadURL": "download_url",
    "isAvailable": "is_available", "isMandatory": "is_mandatory", "label": "label",
    "packageHash": "package_hash", "packageSize": "package_size",
    "shouldRunBinaryVersion": "should_run_binary_version",
    "target_binary_range": "target_binary_range", "updateAppVersion": "update_app_version",
}
MSG_BAD_KEY = (
    "An update check must include a valid deployment key - please check that your app has "
    "been configured correctly. To view available deployment keys, run "
    "'code-push-standalone deployment ls  -k'."  # sanitize-html removed "<appName>"
)
MSG_BAD_VERSION = (
    "An update check must include a binary version that conforms to the semver standard "
    "(e.g. '1.0.0'). The binary version is normally inferred from the App Store/Play Store "
    "version configured with your app."
)
MSG_DEPLOY = "A deploy status report must contain a valid appVersion and deploymentKey."
MSG_DEPLOY_LEGACY = (
    "A deploy status report must contain a valid appVersion, clientUniqueId and deploymentKey."
)
MSG_NO_STATUS = "A deploy status report for a labelled package must contain a valid status."
MSG_DOWNLOAD = "A download status report must contain a valid deploymentKey and package label."

# utils/rollout-selector.ts of microsoft/code-push-server (MIT), verbatim but for the types.
ROLLOUT_SELECTOR_JS = """
function getHashCode(input) {
  let hash = 0;
  if (input.length === 0) { return hash; }
  for (let i = 0; i < input.length; i++) {
    const chr = input.charCodeAt(i);
    hash = (hash << 5) - hash + chr;
  }
  return hash;
}
function isSelectedForRollout(clientId, rollout, releaseTag) {
  const identifier = clientId + "-" + releaseTag;
  return Math.abs(getHashCode(identifier)) % 100 < rollout;
}
const asked = JSON.parse(require("fs").readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(asked.map(([id, r, tag]) => isSelectedForRollout(id, r, tag))));
"""

Answer = tuple[int, Any]
ROUTES: tuple[Literal["camel"], Literal["snake"]] = ("camel", "snake")

NEEDS_REDIS = ("nox -s official runs this on the official server started with OFFICIAL_REDIS=1 "
               "OFFICIAL_BLOB_URLS=1")


def node_selects(asked: list[tuple[str, int, str]]) -> list[bool]:
    """What the server's ``isSelectedForRollout`` answers for each (id, rollout, tag), by node."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("the rollout selection is computed by Node.js: install it (apt-get install nodejs)")
    done = subprocess.run(  # noqa: S603 - node on our own script, no shell
        [node, "-e", ROLLOUT_SELECTOR_JS], input=json.dumps(asked), capture_output=True,
        text=True, check=False, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    selected: list[bool] = json.loads(done.stdout)
    return selected


def bundle(text: str) -> bytes:
    """A release zip no other release of the run has."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("main.jsbundle", f"console.log({json.dumps(text)}, '{uuid.uuid4()}');")
    return buffer.getvalue()


def offer(package: Package, app_version: str, *, rolled_up: bool = False) -> dict[str, Any]:
    """The answer that offers ``package`` (getUpdatePackage's last branch).

    ``appVersion`` is the binary as sent; ``isMandatory`` is ``rolledUp || isMandatory`` and
    ``description`` the release's, both left out by JSON when the release has none.
    """
    info: dict[str, Any] = {
        "appVersion": app_version, "downloadURL": package.blob_url, "isAvailable": True,
        "label": package.label, "packageHash": package.package_hash,
        "packageSize": package.size, "shouldRunBinaryVersion": False,
        "target_binary_range": app_version, "updateAppVersion": False,
    }
    if package.description is not None:
        info["description"] = package.description
    if rolled_up or package.is_mandatory is not None:
        info["isMandatory"] = rolled_up or package.is_mandatory
    return info


def no_update(
    app_version: str = "", *, update_app_version: bool = False, run_binary: bool = False
) -> dict[str, Any]:
    """A no-update answer: every key present, ``appVersion`` told only when it matters."""
    return {
        "appVersion": app_version, "description": "", "downloadURL": "", "isAvailable": False,
        "isMandatory": False, "label": "", "packageHash": "", "packageSize": 0,
        "shouldRunBinaryVersion": run_binary, "target_binary_range": app_version,
        "updateAppVersion": update_app_version,
    }


def snake(info: Mapping[str, Any]) -> dict[str, Any]:
    """The snake_case route's answer: convertObjectToSnakeCase of the camelCase one."""
    return {SNAKE_ANSWER[key]: value for key, value in info.items()}


class Device:
    """The acquisition routes by hand, comparing each answer with the expected one."""

    def __init__(self, target: Target, http: httpx.AsyncClient) -> None:
        self.target = target
        self.http = http
        self.tally = tally(target)
        self.differences: list[str] = []

    def compare(self, what: str, got: Any, want: Any) -> None:
        """Count one answer compared; a difference is kept for ``assert_same``."""
        self.tally.compared += 1
        if got != want:
            self.tally.differences += 1
            self.differences.append(f"{what}\n    got  {got!r}\n    want {want!r}")

    def assert_same(self) -> None:
        """Every answer was the expected one (all differences listed, not just the first)."""
        assert not self.differences, "\n".join(
            [f"{len(self.differences)} answers differ:", *self.differences]
        )

    @staticmethod
    def answer(response: httpx.Response) -> Answer:
        """Status and body: parsed when JSON, else the text."""
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.status_code, response.json()
        return response.status_code, response.text

    async def check(self, route: str, query: Mapping[str, str]) -> Answer:
        if route == "snake":
            query = {SNAKE_QUERY[name]: value for name, value in query.items()}
        return self.answer(await self.http.get(UPDATE_CHECK[route], params=query))

    async def expect_update(self, query: Mapping[str, str], info: Mapping[str, Any]) -> None:
        """Both spellings of the check answer ``info`` (200)."""
        what = f"update check {dict(query)}"
        self.compare(f"{what} camel", await self.check("camel", query), (200, {"updateInfo": info}))
        want = (200, {"update_info": snake(info)})
        self.compare(f"{what} snake", await self.check("snake", query), want)

    async def expect_refusal(self, query: Mapping[str, str], status: int, text: str) -> None:
        for route in UPDATE_CHECK:
            got = await self.check(route, query)
            self.compare(f"update check {dict(query)} {route}", got, (status, text))

    async def report(
        self, kind: str, body: Mapping[str, Any], want: Answer, *, sdk: str | None = SDK_VERSION,
        route: str = "/reportStatus",
    ) -> None:
        headers = {} if sdk is None else {"X-CodePush-SDK-Version": sdk}
        response = await self.http.post(f"{route}/{kind}", json=dict(body), headers=headers)
        self.compare(f"{kind} report {dict(body)} sdk={sdk}", self.answer(response), want)

    async def expect_metrics(self, app: str, deployment: str, want: Mapping[str, Any]) -> None:
        """``GET .../metrics`` as the server's converter gives it (raw: ``null`` counts kept)."""
        response = await self.http.get(
            f"/apps/{quote(app, safe='')}/deployments/{quote(deployment, safe='')}/metrics",
            headers={"Authorization": f"Bearer {self.target.access_key}", "Accept": ACCEPT},
        )
        got = self.answer(response)
        self.compare(f"metrics of {deployment}", got, (200, {"metrics": dict(want)}))


OK: Answer = (200, "OK")


async def device_for(target: Target) -> Device:
    return Device(target, await target.device_http())


async def deployment_key(target: Target, app: str, deployment: str = "Staging") -> str:
    key = (await target.client.deployments.get(app, deployment)).key
    assert key
    return key


async def release(
    target: Target, app: str, version: str, deployment: str = "Staging", **options: Any
) -> Package:
    """A release of a fresh bundle; the package as the server's history answers it."""
    await target.client.releases.release(app, deployment, bundle(version), version, **options)
    return (await target.client.releases.history(app, deployment))[-1]


Grid = list[tuple[dict[str, str], dict[str, Any]]]


async def grid_history(target: Target, app: str) -> tuple[dict[str, Package], Grid]:
    """v1 (1.0.0, described), v2 (1.0.0, mandatory), v3 (1.0.0), v4 (2.0.0), and the grid of
    device queries with the answer each gets.

    The label is what finds a device in the history (a hash alone: the label is the text
    "undefined", so every mandatory release counts); "up to date" is a hash comparison (a
    label alone is offered its own release again); ``appVersion``/``updateAppVersion``
    then come from the newest enabled release; "1"/"1.0" are answered as sent.
    """
    key = await deployment_key(target, app)
    v1 = await release(target, app, "1.0.0", description="first")
    v2 = await release(target, app, "1.0.0", is_mandatory=True)
    v3 = await release(target, app, "1.0.0")
    v4 = await release(target, app, "2.0.0")
    packages = {str(p.label): p for p in (v1, v2, v3, v4)}
    on = {"deploymentKey": key, "appVersion": "1.0.0"}

    def running(label: str, *, with_label: bool = True, with_hash: bool = True) -> dict[str, str]:
        query = dict(on)
        if with_label:
            query["label"] = label
        if with_hash:
            query["packageHash"] = str(packages[label].package_hash)
        return query

    binary_too_old = no_update("2.0.0", update_app_version=True)
    grid: Grid = [
        (on, offer(v3, "1.0.0", rolled_up=True)),
        (running("v1"), offer(v3, "1.0.0", rolled_up=True)),
        (running("v1", with_hash=False), offer(v3, "1.0.0", rolled_up=True)),
        (running("v1", with_label=False), offer(v3, "1.0.0", rolled_up=True)),
        (running("v2"), offer(v3, "1.0.0")),
        (running("v2", with_hash=False), offer(v3, "1.0.0")),
        (running("v2", with_label=False), offer(v3, "1.0.0", rolled_up=True)),
        (running("v3"), binary_too_old),
        (running("v3", with_hash=False), offer(v3, "1.0.0")),
        (running("v3", with_label=False), binary_too_old),
        ({**running("v1", with_label=False), "label": ""}, offer(v3, "1.0.0", rolled_up=True)),
        ({**running("v4"), "appVersion": "2.0.0"}, no_update()),
        ({**on, "appVersion": "9.9.9", "isCompanion": "true"}, offer(v4, "9.9.9", rolled_up=True)),
        ({**on, "appVersion": "9.9.9", "isCompanion": "True"}, offer(v4, "9.9.9", rolled_up=True)),
        ({**on, "appVersion": "9.9.9", "isCompanion": "1"}, no_update("2.0.0", run_binary=True)),
        ({**on, "appVersion": "3.0.0"}, no_update("2.0.0", run_binary=True)),
    ]
    for version in ("1", "1.0", "1.0.0+build"):
        grid.append(({**on, "appVersion": version}, offer(v3, version, rolled_up=True)))
    for version in ("2", "2.0", "2.0.0"):
        grid.append(({**on, "appVersion": version}, offer(v4, version)))
    for version in ("1.0-beta", "1.0.0-beta", "0.9.0"):
        want = no_update("2.0.0", update_app_version=True, run_binary=True)
        grid.append(({**on, "appVersion": version}, want))
    return packages, grid


async def test_update_checks_for_each_label_and_binary(target: Target) -> None:
    """The update check grid (``grid_history``) on both routes, then with v3 and v4 disabled.

    Disabled releases are skipped, also as "the newest enabled"; the first query is asked
    before any release and again after each write (an answer cache must be invalidated).
    """
    device = await device_for(target)
    async with target.app() as app:
        key = await deployment_key(target, app)
        on = {"deploymentKey": key, "appVersion": "1.0.0"}
        await device.expect_update(on, no_update(run_binary=True))  # no release yet
        packages, grid = await grid_history(target, app)
        for query, info in grid:
            await device.expect_update(query, info)
        await target.client.releases.patch(app, "Staging", "v4", is_disabled=True)
        await target.client.releases.patch(app, "Staging", "v3", is_disabled=True)
        for label in ("v1", "v2"):
            query = {**on, "label": label, "packageHash": str(packages[label].package_hash)}
            want = offer(packages["v2"], "1.0.0", rolled_up=True) if label == "v1" else no_update()
            await device.expect_update(query, want)
        await device.expect_update({**on, "appVersion": "2.0.0"}, no_update("1.0.0", run_binary=True))
        await device.expect_update(on, offer(packages["v2"], "1.0.0", rolled_up=True))
    device.assert_same()


def as_update_check(info: Mapping[str, Any]) -> UpdateCheck:
    """What ``cp.devices.check`` makes of an answer: absent keys default, "" is ``None``."""
    return UpdateCheck(
        is_available=info["isAvailable"],
        should_run_binary_version=info["shouldRunBinaryVersion"],
        update_app_version=info["updateAppVersion"],
        label=info["label"] or None,
        package_hash=info["packageHash"] or None,
        download_url=info["downloadURL"] or None,
        package_size=info["packageSize"],
        app_version=info["appVersion"],
        description=info.get("description", ""),
        is_mandatory=info.get("isMandatory", False),
        target_binary_range=info["target_binary_range"],
    )


async def test_the_client_reads_each_answer(target: Target) -> None:
    """``cp.devices.check`` on the grid, both routes: the ``UpdateCheck`` each answer means.

    (A ``label=""`` or ``isCompanion`` other than "true" is not something the client sends.)
    """
    device = await device_for(target)
    reasons: set[CheckReason] = set()
    async with target.app() as app:
        _, grid = await grid_history(target, app)
        for query, info in grid:
            if query.get("label") == "" or query.get("isCompanion", "true") != "true":
                continue
            want = as_update_check(info)
            reasons.add(want.reason)
            for route in ROUTES:
                got = await target.client.devices.check(
                    query["deploymentKey"], query["appVersion"], label=query.get("label"),
                    package_hash=query.get("packageHash"),
                    is_companion="isCompanion" in query, route=route,
                )
                device.compare(f"cp.devices.check {query} {route}", (200, got), (200, want))
    assert reasons == set(CheckReason) - {CheckReason.NO_RELEASE}
    device.assert_same()


async def test_promoted_and_rolled_back_releases(target: Target) -> None:
    """A promoted release is offered as the destination's own; a rollback is a new label
    carrying the old package, so a device still on that old package is up to date.

    Staging v1 (1.0.0), v2 (1.0.0, mandatory, described); v2 promoted to Production (its v1);
    Staging rolled back: v3 = v1's package (v1's flags: not mandatory).
    """
    device = await device_for(target)
    cp = target.client
    async with target.app() as app:
        key = await deployment_key(target, app)
        v1 = await release(target, app, "1.0.0")
        v2 = await release(target, app, "1.0.0", is_mandatory=True, description="two")
        await cp.releases.promote(app, "Staging", "Production")
        promoted = (await cp.releases.history(app, "Production"))[-1]
        fresh = {"deploymentKey": await deployment_key(target, app, "Production"),
                 "appVersion": "1.0.0"}
        await device.expect_update(fresh, offer(promoted, "1.0.0"))
        on_promoted = {**fresh, "label": "v1", "packageHash": str(v2.package_hash)}
        await device.expect_update(on_promoted, no_update())
        await cp.releases.rollback(app, "Staging")
        v3 = (await cp.releases.history(app, "Staging"))[-1]
        on_v1 = {"deploymentKey": key, "appVersion": "1.0.0", "label": "v1",
                 "packageHash": str(v1.package_hash)}
        await device.expect_update(on_v1, no_update())
        await device.expect_update({**on_v1, "label": "v2", "packageHash": str(v2.package_hash)},
                                   offer(v3, "1.0.0"))
        await device.expect_update({"deploymentKey": key, "appVersion": "1.0.0"},
                                   offer(v3, "1.0.0", rolled_up=True))
    device.assert_same()


async def test_refused_update_checks(target: Target) -> None:
    """Malformed checks are 400 with the server's (sanitized) texts; an unknown key is 404."""
    device = await device_for(target)
    async with target.app() as app:
        key = await deployment_key(target, app)
        await device.expect_refusal({"appVersion": "1.0.0"}, 400, MSG_BAD_KEY)
        await device.expect_refusal({"deploymentKey": "short", "appVersion": "1.0.0"}, 400, MSG_BAD_KEY)
        await device.expect_refusal({"deploymentKey": key}, 400, MSG_BAD_VERSION)
        for version in ("1.x", "^1.0.0", "", "v1"):
            query = {"deploymentKey": key, "appVersion": version}
            await device.expect_refusal(query, 400, MSG_BAD_VERSION)
        unknown = {"deploymentKey": "Unknown" + "0" * 25, "appVersion": "1.0.0"}
        await device.expect_refusal(unknown, 404, "Not Found")
        repeated = device.answer(
            await device.http.get(f"/updateCheck?deploymentKey={key}&appVersion=1.0.0&appVersion=1.0.0")
        )
        device.compare("repeated appVersion", repeated, (400, MSG_BAD_VERSION))
    device.assert_same()


async def test_odd_update_checks(target: Target) -> None:
    """Spellings a device should not send, answered as express and the server's code do.

    The key is trimmed (InputSanitizer) and ``deploymentKey`` wins over ``deployment_key``;
    a repeated (or bracketed) key is an array whose ``trim`` throws: 500. The binary version
    is echoed as sent when node-semver takes it (" 1.0.0 ", "v1.0.0", "1.0+b"); paths are
    case-insensitive and take a trailing slash.
    """
    device = await device_for(target)
    async with target.app() as app:
        key = await deployment_key(target, app)
        v1 = await release(target, app, "1.0.0")
        q = f"appVersion=1.0.0&deploymentKey={key}"
        offered = [
            (f"/updateCheck?appVersion=1.0.0&deploymentKey=%20{key}%20", "1.0.0"),
            (f"/updateCheck?appVersion=1.0.0&deployment_key=%20{key}%20", "1.0.0"),
            (f"/updateCheck?{q}&deployment_key=NotTheKey0000000", "1.0.0"),
            (f"/updateCheck?{q}&clientUniqueId=a&clientUniqueId=b", "1.0.0"),
            (f"/updateCheck?{q}&clientUniqueId={'x' * 4000}", "1.0.0"),
            (f"/updateCheck/?{q}", "1.0.0"),
            (f"/UpdateCheck?{q}", "1.0.0"),
            (f"/updateCheck?deploymentKey={key}&appVersion=%201.0.0%20", " 1.0.0 "),
            (f"/updateCheck?deploymentKey={key}&appVersion=v1.0.0", "v1.0.0"),
            (f"/updateCheck?deploymentKey={key}&appVersion=1.0%2Bb", "1.0+b"),
            (f"/updateCheck?deploymentKey={key}&appVersion=7.0.0&isCompanion=TRUE", "7.0.0"),
        ]
        for path, version in offered:
            got = device.answer(await device.http.get(path))
            device.compare(f"GET {path[:120]}", got, (200, {"updateInfo": offer(v1, version)}))
        not_companion = no_update("1.0.0", run_binary=True)
        path = f"/updateCheck?deploymentKey={key}&appVersion=7.0.0&isCompanion=true&isCompanion=true"
        got = device.answer(await device.http.get(path))
        device.compare(f"GET {path}", got, (200, {"updateInfo": not_companion}))
        for version in ("=1.0.0", "01.0.0", "1.0.0.0", "1%2Bb", "001"):
            path = f"/updateCheck?deploymentKey={key}&appVersion={version}"
            got = device.answer(await device.http.get(path))
            device.compare(f"GET {path}", got, (400, MSG_BAD_VERSION))
        for path in (f"/updateCheck?{q}&deploymentKey={key}", f"/updateCheck?appVersion=1.0.0&deploymentKey[]={key}"):
            response = await device.http.get(path)
            device.compare(f"GET {path} (status)", (response.status_code, None), (500, None))
    device.assert_same()


async def test_odd_reports_and_the_metrics_they_make(target: Target) -> None:
    """Report bodies a device should not send, and how the server counts what it takes.

    JSON that does not parse (or a scalar) leaves ``req.body`` null: 500; an array has no
    fields: 400; over 10 kB: 413. What is taken is counted under ``String(label ||
    appVersion)`` (an array label as its text, a number as its digits); a key that is not
    ``v\\d+`` shows its other counters as ``null`` (the converter adds to a missing field).
    """
    if target.traits.metrics_need_redis:
        pytest.skip(f"{target.traits.name} keeps no metrics without Redis: {NEEDS_REDIS}")
    device = await device_for(target)
    async with target.app() as app:
        key = await deployment_key(target, app)
        for kind, content, status in (
            ("deploy", b"{nope", 500), ("download", b"{nope", 500), ("deploy", b'"x"', 500),
            ("deploy", b"[1,2]", 400),
            ("deploy", json.dumps({"deploymentKey": key, "appVersion": "1.0.0",
                                   "clientUniqueId": "x" * 11000}).encode(), 413),
        ):
            response = await device.http.post(
                f"/reportStatus/{kind}", content=content,
                headers={**SDK, "content-type": "application/json"},
            )
            device.compare(f"{kind} report {content[:40]!r}", (response.status_code,), (status,))
        base = {"deploymentKey": key, "appVersion": "1.0.0", "clientUniqueId": "c"}
        await device.report("deploy", {**base, "label": ["v1"],
                                       "status": "DeploymentSucceeded"}, OK)
        await device.report("deploy", {**base, "label": "v1", "status": 5},
                            (400, "Invalid status: 5"))
        await device.report("deploy", {**base, "label": ""}, OK)
        await device.report("deploy", {**base, "appVersion": 1}, OK)
        await device.report("download", {"deploymentKey": key, "label": 7}, OK)
        await device.expect_metrics(app, "Staging", {
            "v1": label_counts(active=1, installed=1),
            "1.0.0": {"active": 1, "installed": None},
            "1": {"active": 1, "installed": None},
            "7": {"active": 0, "downloaded": None},
        })
    device.assert_same()


async def test_a_form_report_with_a_nested_label(target: Target) -> None:
    """A form body is read by qs (``urlencoded({extended: true})``): ``label[a]=v9`` is an
    object, counted under its text "[object Object]"."""
    if target.traits.metrics_need_redis:
        pytest.skip(f"{target.traits.name} keeps no metrics without Redis: {NEEDS_REDIS}")
    device = await device_for(target)
    async with target.app() as app:
        key = await deployment_key(target, app)
        form = f"deploymentKey={key}&appVersion=1.0.0&label[a]=v9&status=DeploymentSucceeded"
        response = await device.http.post(
            "/reportStatus/deploy", content=form.encode(),
            headers={**SDK, "content-type": "application/x-www-form-urlencoded"},
        )
        device.compare("form report with label[a]", device.answer(response), OK)
        want = {"[object Object]": {"active": 1, "installed": None}}
        await device.expect_metrics(app, "Staging", want)
    device.assert_same()


ROLLOUTS = (1, 7, 23, 50, 64, 88, 99)


def client_ids() -> list[str | None]:
    """Many ids: plain, non-ASCII, outside the BMP, long, the literal "undefined", none, empty."""
    ids: list[str | None] = [f"device-{n}" for n in range(120)]
    ids += [f"{uuid.UUID(int=n * 7919)}" for n in range(20)]
    ids += ["é", "😀x", "Ä" * 40, "A" * 300, "undefined", None, ""]
    return ids


async def test_rollout_selection_for_many_devices(target: Target) -> None:
    """A release at rollouts 1-99 is offered to exactly the ids the server's selector picks.

    The tag is the rollout release's label; an id left out (or empty) is placed as the text
    "undefined"; a device not selected gets the previous complete release (here: none newer
    than its own, so no update). The expected selection comes from node.
    """
    device = await device_for(target)
    ids = client_ids()
    placed = [cid or "undefined" for cid in ids]
    async with target.app() as app:
        key = await deployment_key(target, app)
        v1 = await release(target, app, "1.0.0")
        v2 = await release(target, app, "1.0.0", rollout=ROLLOUTS[0])
        assert v2.label == "v2"
        selected = node_selects([(cid, r, "v2") for r in ROLLOUTS for cid in placed])
        base = {"deploymentKey": key, "appVersion": "1.0.0", "label": "v1",
                "packageHash": str(v1.package_hash)}
        for index, rollout in enumerate(ROLLOUTS):
            if index:
                await target.client.releases.patch(app, "Staging", "v2", rollout=rollout)
            picks = selected[index * len(ids):(index + 1) * len(ids)]
            await check_rollout(device, base, ids, picks, offer(v2, "1.0.0"))
        assert 0 < sum(selected[: len(ids)]) < sum(selected[-len(ids):]) < len(ids)
    device.assert_same()


async def check_rollout(
    device: Device, base: Mapping[str, str], ids: list[str | None], picks: list[bool],
    offered: dict[str, Any],
) -> None:
    """Each id's camelCase check (a few at a time) against node's pick."""
    limit = anyio.Semaphore(8)

    async def one(cid: str | None, picked: bool) -> None:
        query = dict(base) if cid is None else {**base, "clientUniqueId": cid}
        want = (200, {"updateInfo": offered if picked else no_update()})
        async with limit:
            got = await device.check("camel", query)
        device.compare(f"rollout check {query}", got, want)

    async with anyio.create_task_group() as group:
        for cid, picked in zip(ids, picks, strict=True):
            group.start_soon(one, cid, picked)


async def test_rollout_of_a_mandatory_release_and_devices_without_a_label(target: Target) -> None:
    """The rollout answer for a device without a label, and a mandatory release at 50 %."""
    device = await device_for(target)
    async with target.app() as app:
        key = await deployment_key(target, app)
        v1 = await release(target, app, "1.0.0")
        v2 = await release(target, app, "1.0.0", is_mandatory=True, rollout=50)
        ids = [f"phone-{n}" for n in range(40)]
        picks = node_selects([(cid, 50, "v2") for cid in ids])
        for cid, picked in zip(ids, picks, strict=True):
            on_v1 = {"deploymentKey": key, "appVersion": "1.0.0", "clientUniqueId": cid,
                     "label": "v1", "packageHash": str(v1.package_hash)}
            await device.expect_update(on_v1, offer(v2, "1.0.0") if picked else no_update())
            fresh = {"deploymentKey": key, "appVersion": "1.0.0", "clientUniqueId": cid}
            await device.expect_update(fresh, offer(v2 if picked else v1, "1.0.0"))
        assert 0 < sum(picks) < len(ids)
        # A disabled unfinished rollout is ignored: every device is back on v1.
        await target.client.releases.patch(app, "Staging", "v2", is_disabled=True)
        fresh = {"deploymentKey": key, "appVersion": "1.0.0", "clientUniqueId": ids[0]}
        await device.expect_update(fresh, offer(v1, "1.0.0"))
    device.assert_same()


def label_counts(active: int, downloaded: int = 0, failed: int = 0, installed: int = 0) -> dict[str, int]:
    return {"active": active, "downloaded": downloaded, "failed": failed, "installed": installed}


async def test_reports_and_metrics_on_the_modern_path(target: Target) -> None:
    """SDK >= 1.5.2-beta: installs move "active" from the previous label; failures count.

    Any report but a labelled failure is ``recordUpdate``: ``(label || appVersion):Active``
    and ``:DeploymentSucceeded`` +1, the previous label's Active -1 (no dedup; a
    ``Downloaded`` status counts an install). An app-version key shows ``active`` and an
    ``installed`` of ``null`` (the converter adds to an undefined field).
    """
    if target.traits.metrics_need_redis:
        pytest.skip(f"{target.traits.name} keeps no metrics without Redis: {NEEDS_REDIS}")
    device = await device_for(target)
    async with target.app() as app:
        key = await deployment_key(target, app)
        await device.expect_metrics(app, "Staging", {})
        await device.report("deploy", {"deploymentKey": key, "appVersion": "1.0.0",
                                       "clientUniqueId": "c1"}, OK)
        await device.expect_metrics(app, "Staging", {"1.0.0": {"active": 1, "installed": None}})
        await device.report("download", {"deploymentKey": key, "label": "v1",
                                          "clientUniqueId": "c1"}, OK)
        await device.report("deploy", {"deploymentKey": key, "appVersion": "1.0.0", "label": "v1",
                                       "status": "DeploymentSucceeded", "clientUniqueId": "c1",
                                       "previousLabelOrAppVersion": "1.0.0"}, OK)
        await device.report("deploy", {"deploymentKey": key, "appVersion": "1.0.0", "label": "v2",
                                       "status": "DeploymentFailed", "clientUniqueId": "c1",
                                       "previousLabelOrAppVersion": "v1"}, OK)
        await device.report("deploy", {"deploymentKey": key, "appVersion": "1.0.0", "label": "v1",
                                       "status": "Downloaded", "clientUniqueId": "c2"}, OK)
        await device.expect_metrics(app, "Staging", {
            "1.0.0": {"active": 0, "installed": None},
            "v1": label_counts(active=2, downloaded=1, installed=2),
            "v2": label_counts(active=0, failed=1),
        })
        snake_route = "/v0.1/public/codepush/report_status"
        await device.report("download", {"deployment_key": key, "label": "v2"}, OK,
                            route=snake_route)
        await device.report("deploy", {"deployment_key": key, "app_version": "1.0.0",
                                       "label": "v2", "status": "DeploymentSucceeded",
                                       "client_unique_id": "c3",
                                       "previous_label_or_app_version": "v1"}, OK,
                            route=snake_route)
        want = {"1.0.0": {"active": 0, "installed": None},
                "v1": label_counts(active=1, downloaded=1, installed=2),
                "v2": label_counts(active=1, downloaded=1, failed=1, installed=1)}
        await device.expect_metrics(app, "Staging", want)
        metrics = await target.client.deployments.metrics(app, "Staging")
        assert metrics["1.0.0"] == UpdateMetrics(active=0, installed=None)
        assert metrics["v2"] == UpdateMetrics(active=1, downloaded=1, installed=1, failed=1)
        await target.client.releases.clear_history(app, "Staging")
        await device.expect_metrics(app, "Staging", {})  # clearing the history clears them
    device.assert_same()


async def test_reports_and_metrics_on_the_legacy_path(target: Target) -> None:
    """No (or an older, or no semver) SDK version: the per-client path, deduplicated.

    A binary's first run sets the client's label to its app version (+1 then -1 on the same
    field: ``active`` 0, no ``installed``); an install of another label counts it and moves
    "active"; the same report again counts nothing; a failure counts ``failed``.
    """
    if target.traits.metrics_need_redis:
        pytest.skip(f"{target.traits.name} keeps no metrics without Redis: {NEEDS_REDIS}")
    device = await device_for(target)
    async with target.app() as app:
        key = await deployment_key(target, app, "Production")
        first_run = {"deploymentKey": key, "appVersion": "1.0.0", "clientUniqueId": "L1"}
        await device.report("deploy", first_run, OK, sdk=None)
        await device.expect_metrics(app, "Production", {"1.0.0": {"active": 0}})
        install = {**first_run, "label": "v1", "status": "DeploymentSucceeded"}
        await device.report("deploy", install, OK, sdk=None)
        await device.report("deploy", install, OK, sdk=None)  # the same again: nothing
        await device.report("deploy", {**first_run, "label": "v2", "status": "DeploymentFailed"},
                            OK, sdk=None)
        await device.report("deploy", {**install, "clientUniqueId": "L2"}, OK, sdk="1.5.1")
        await device.report("deploy", {**install, "clientUniqueId": "L3"}, OK, sdk="abc")
        await device.expect_metrics(app, "Production", {
            "1.0.0": {"active": -1},
            "v1": label_counts(active=3, installed=3),
            "v2": label_counts(active=0, failed=1),
        })
        no_client = {"deploymentKey": key, "appVersion": "1.0.0", "label": "v2",
                     "status": "DeploymentFailed"}
        await device.report("deploy", no_client, (400, MSG_DEPLOY_LEGACY), sdk=None)
        await device.report("deploy", no_client, OK)  # the modern path needs no client id
    device.assert_same()


async def test_the_client_reports_count(target: Target) -> None:
    """``cp.devices`` reports become the metrics ``cp.deployments.metrics`` reads, on both paths.

    Modern (the default SDK version): a binary run, a download, an install moving "active"
    from the app version, a failure. Legacy (``sdk_version=None``, another deployment): the
    same install twice counts once.
    """
    if target.traits.metrics_need_redis:
        pytest.skip(f"{target.traits.name} keeps no metrics without Redis: {NEEDS_REDIS}")
    device = await device_for(target)
    devices = target.client.devices
    async with target.app() as app:
        key = await deployment_key(target, app)
        await devices.report_deploy(key, "1.0.0", client_id="d1")
        await devices.report_download(key, "v1", client_id="d1")
        await devices.report_deploy(key, "1.0.0", client_id="d1", label="v1",
                                    status="DeploymentSucceeded",
                                    previous_label_or_app_version="1.0.0")
        await devices.report_deploy(key, "1.0.0", client_id="d1", label="v2",
                                    status="DeploymentFailed", previous_label_or_app_version="v1",
                                    route="snake")
        got = dict(await target.client.deployments.metrics(app, "Staging"))
        device.compare("metrics after modern reports", (200, got), (200, {
            "1.0.0": UpdateMetrics(active=0, installed=None),
            "v1": UpdateMetrics(active=1, downloaded=1, installed=1, failed=0),
            "v2": UpdateMetrics(active=0, downloaded=0, installed=0, failed=1),
        }))
        legacy = await deployment_key(target, app, "Production")
        await devices.report_deploy(legacy, "1.0.0", client_id="d2", sdk_version=None)
        for _ in range(2):
            await devices.report_deploy(legacy, "1.0.0", client_id="d2", label="v1",
                                        status="DeploymentSucceeded", sdk_version=None)
        got = dict(await target.client.deployments.metrics(app, "Production"))
        device.compare("metrics after legacy reports", (200, got), (200, {
            "1.0.0": UpdateMetrics(active=-1),
            "v1": UpdateMetrics(active=1, downloaded=0, installed=1, failed=0),
        }))
    device.assert_same()


async def test_refused_and_unchecked_reports(target: Target) -> None:
    """Reports the server refuses (400 texts), and what it takes without looking (any key)."""
    device = await device_for(target)
    async with target.app() as app:
        key = await deployment_key(target, app)
        base = {"deploymentKey": key, "appVersion": "1.0.0", "clientUniqueId": "c1"}
        await device.report("deploy", {"deploymentKey": key}, (400, MSG_DEPLOY))
        await device.report("deploy", {"appVersion": "1.0.0"}, (400, MSG_DEPLOY))
        await device.report("deploy", {**base, "label": "v1"}, (400, MSG_NO_STATUS))
        await device.report("deploy", {**base, "label": "v1", "status": "Nope"},
                            (400, "Invalid status: Nope"))
        await device.report("download", {"deploymentKey": key}, (400, MSG_DOWNLOAD))
        await device.report("download", {"label": "v1"}, (400, MSG_DOWNLOAD))
        stranger = "NoSuchDeploymentKey0000"
        await device.report("download", {"deploymentKey": stranger, "label": "v1"}, OK)
        await device.report("deploy", {"deploymentKey": stranger, "appVersion": "1.0.0",
                                       "label": "v1", "status": "DeploymentSucceeded"}, OK)
    device.assert_same()


async def test_downloads_are_the_released_bytes(target: Target, tmp_path: Path) -> None:
    """The offered ``downloadURL`` serves the released zip byte for byte: its size, its hash;
    ``cp.devices.download`` and ``cp.releases.download`` store exactly those bytes."""
    if not target.traits.serves_blobs:
        pytest.skip(f"{target.traits.name} serves no downloadable blobs: {NEEDS_REDIS}")
    device = await device_for(target)
    cp = target.client
    async with target.app() as app:
        key = await deployment_key(target, app)
        zips = {version: bundle(version) for version in ("1.0.0", "2.0.0")}
        for version, data in zips.items():
            await cp.releases.release(app, "Staging", data, version)
        for label, (version, data) in zip(("v1", "v2"), zips.items(), strict=True):
            status, body = await device.check("camel", {"deploymentKey": key, "appVersion": version})
            assert status == 200, body
            info = body["updateInfo"]
            downloaded = await target.download(info["downloadURL"])
            got = (downloaded, len(downloaded), package_hash(downloaded))
            want = (data, info["packageSize"], info["packageHash"])
            device.compare(f"download of {version}", got, want)
            update = await cp.devices.check(key, version)
            by_device = await cp.devices.download(update, tmp_path / f"device-{label}.zip")
            by_release = await cp.releases.download(app, "Staging", label, dest=tmp_path)
            for path in (by_device, by_release):
                device.compare(f"{path.name} of {version}", path.read_bytes(), data)
    device.assert_same()
