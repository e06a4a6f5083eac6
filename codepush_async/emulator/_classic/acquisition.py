"""The classic dialect's acquisition routes (``routes/acquisition.ts``): devices check for
updates and report downloads and installs with a deployment key, no access key.

Not modelled: the server's Redis answer cache. It keys answers by deployment key and query
(the client id left out) for an hour, and every management write that changes what a check
answers (release, patch, promote, rollback, clear history, deleting a deployment or an app)
invalidates it, so a cached answer equals a fresh one except in the moment between a write's
answer and its invalidation."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .._node import semver as _semver
from .._node.coercion import js_string, js_truthy
from .._node.express_query import (
    JsTypeError,
    first_truthy,
    js_query_string,
    parse_query,
    sanitized_deployment_key,
)
from .._node.rollout_selector import is_selected_for_rollout
from .._store import ACTIVE, DEPLOYMENT_FAILED, DEPLOYMENT_SUCCEEDED, DOWNLOADED
from .base import ClassicBase, blobs_url
from .update_check import UpdateAnswer, UpdateRequest, update_package_info
from .validation import is_valid_key
from .wire import json_response, send_status, text

METRICS_BREAKING_VERSION = "1.5.2-beta"
SDK_VERSION_HEADER = "x-codepush-sdk-version"
MSG_CHECK_KEY = (
    "An update check must include a valid deployment key - please check that your app has been "
    "configured correctly. To view available deployment keys, run "
    "'code-push-standalone deployment ls  -k'."
)  # the server's "<appName>" is an HTML tag to sanitize-html, which removes it
MSG_CHECK_VERSION = (
    "An update check must include a binary version that conforms to the semver standard (e.g. "
    "'1.0.0'). The binary version is normally inferred from the App Store/Play Store version "
    "configured with your app."
)
MSG_DEPLOY_REPORT = "A deploy status report must contain a valid appVersion and deploymentKey."
MSG_DEPLOY_STATUS = "A deploy status report for a labelled package must contain a valid status."
MSG_DEPLOY_CLIENT = (
    "A deploy status report must contain a valid appVersion, clientUniqueId and deploymentKey."
)
MSG_DOWNLOAD_REPORT = (
    "A download status report must contain a valid deploymentKey and package label."
)
_PLAIN_INTEGER = re.compile(r"[0-9]+")
_MISSING_PATCH = re.compile(r"[0-9]+\.[0-9]+([+\-][^\n\r\u2028\u2029]*)?")
_SNAKE_1 = re.compile(r"([A-Z]+)([A-Z][a-z])")
_SNAKE_2 = re.compile(r"([a-z])([A-Z])")
_STATUSES = (DEPLOYMENT_SUCCEEDED, DEPLOYMENT_FAILED, DOWNLOADED)

Query = dict[str, object]
AcquisitionHandler = Callable[[Request, Query, object], Awaitable[Response]]


class BodyIsNull(JsTypeError):
    """``req.body`` is null (unparsable JSON): reading a field throws, Express answers 500."""


def to_snake_case(name: str) -> str:
    """The server's ``toSnakeCase`` (``downloadURL`` is ``download_url``)."""
    return _SNAKE_2.sub(r"\1_\2", _SNAKE_1.sub(r"\1_\2", name)).lower()


def _defined(info: dict[str, Any], *, snake: bool) -> dict[str, Any]:
    """The answer as ``JSON.stringify`` writes it: ``undefined`` values left out."""
    return {to_snake_case(k) if snake else k: v for k, v in info.items() if v is not None}


def _prop(body: object, name: str) -> object:
    """``req.body[name]`` (undefined for an array body or a missing field)."""
    if body is None:
        raise BodyIsNull(f"Cannot read properties of null (reading '{name}')")
    return body.get(name) if isinstance(body, dict) else None


def _either(body: object, camel: str, snake: str) -> object:
    """``req.body.camel || req.body.snake``."""
    first = _prop(body, camel)
    return first if js_truthy(first) else _prop(body, snake)


def _normalized_app_version(app_version: str) -> tuple[str, str | None]:
    """A plain integer (``2``) or a version without patch (``2.0``, ``2.0-beta``) as the server
    completes it, with the spelling sent (None when nothing was completed)."""
    if _PLAIN_INTEGER.fullmatch(app_version):
        return app_version + ".0.0", app_version
    if _MISSING_PATCH.fullmatch(app_version):
        tag = re.search(r"[+\-]", app_version)
        cut = len(app_version) if tag is None else tag.start()
        return app_version[:cut] + ".0" + app_version[cut:], app_version
    return app_version, None


def _spelled_as_sent(answer: UpdateAnswer, completed: str, sent: str) -> None:
    if answer.original["appVersion"] != completed:
        return
    answer.original["appVersion"] = sent
    if answer.rollout_package is not None:
        answer.rollout_package["appVersion"] = sent


class AcquisitionRoutes(ClassicBase):
    """``/updateCheck``, ``/reportStatus/*`` and their ``/v0.1/public/codepush`` spellings."""

    keeps_metrics: bool
    """False: Redis is off, as on the official server without it (reports count nothing)."""

    def acquisition_routes(self) -> list[tuple[str, str, AcquisitionHandler]]:
        public = "/v0.1/public/codepush"

        async def check_classic(request: Request, query: Query, body: object) -> Response:
            return self._update_check(request, query, snake=False)

        async def check_snake(request: Request, query: Query, body: object) -> Response:
            return self._update_check(request, query, snake=True)

        return [
            ("GET", "/updateCheck", check_classic),
            ("GET", public + "/update_check", check_snake),
            ("POST", "/reportStatus/deploy", self._report_deploy),
            ("POST", public + "/report_status/deploy", self._report_deploy),
            ("POST", "/reportStatus/download", self._report_download),
            ("POST", public + "/report_status/download", self._report_download),
        ]

    async def answer_acquisition(
        self, handler: AcquisitionHandler, request: Request, body: object
    ) -> Response:
        """Run an acquisition handler; what throws in the server's JavaScript is a bare 500."""
        try:
            query = parse_query(request.scope.get("query_string", b"").decode("latin-1"))
            query["deploymentKey"] = sanitized_deployment_key(query)  # the InputSanitizer
            return await handler(request, query, body)
        except JsTypeError:
            return send_status(500)

    # Update checks

    def _update_check(self, request: Request, query: Query, *, snake: bool) -> Response:
        deployment_key = js_query_string(first_truthy(query, "deploymentKey", "deployment_key"))
        sent_version = js_query_string(first_truthy(query, "appVersion", "app_version"))
        app_version, spelled = _normalized_app_version(sent_version)
        companion = js_query_string(first_truthy(query, "isCompanion", "is_companion"))
        check = UpdateRequest(
            app_version=app_version,
            package_hash=js_query_string(first_truthy(query, "packageHash", "package_hash")),
            label=js_query_string(query.get("label")),
            is_companion=companion.lower() == "true",
        )
        if not is_valid_key(deployment_key):
            return text(400, MSG_CHECK_KEY)
        if not app_version or _semver.valid(app_version) is None:
            return text(400, MSG_CHECK_VERSION)
        deployment = self.store.deployment_by_key(deployment_key)
        if deployment is None:
            return send_status(404)  # JsonStorage's NotFound, which has no message
        answer = update_package_info(deployment.history, check, blobs_url(request))
        if spelled is not None:
            _spelled_as_sent(answer, app_version, spelled)
        client_id = js_query_string(first_truthy(query, "clientUniqueId", "client_unique_id"))
        info = self._offered(answer, client_id)
        info["target_binary_range"] = info["appVersion"]
        key = "update_info" if snake else "updateInfo"
        return json_response({key: _defined(info, snake=snake)})

    @staticmethod
    def _offered(answer: UpdateAnswer, client_id: str) -> dict[str, Any]:
        """The rollout's package when the selector picks this device, else the original."""
        pkg = answer.rollout_package
        if pkg is None or not client_id or answer.rollout is None:
            return answer.original
        tag = pkg["label"] or pkg["packageHash"]
        if is_selected_for_rollout(client_id, answer.rollout, tag):
            return pkg
        return answer.original

    # Status reports

    async def _report_deploy(self, request: Request, query: Query, body: object) -> Response:
        deployment_key = _either(body, "deploymentKey", "deployment_key")
        app_version = _either(body, "appVersion", "app_version")
        label = _prop(body, "label")
        status = _prop(body, "status")
        if not js_truthy(deployment_key) or not js_truthy(app_version):
            return text(400, MSG_DEPLOY_REPORT)
        if js_truthy(label):
            if not js_truthy(status):
                return text(400, MSG_DEPLOY_STATUS)
            if status not in _STATUSES:
                return text(400, "Invalid status: " + js_string(status))
        previous_key = _either(body, "previousDeploymentKey", "previous_deployment_key")
        if not js_truthy(previous_key):
            previous_key = deployment_key
        client_id = _either(body, "clientUniqueId", "client_unique_id")
        if _is_modern_sdk(request):
            previous = _either(body, "previousLabelOrAppVersion", "previous_label_or_app_version")
            self._record_modern(body, js_string(deployment_key), js_string(previous_key), previous)
            if js_truthy(client_id) and self.keeps_metrics:
                self.store.forget_active_label(js_string(previous_key), js_string(client_id))
            return send_status(200)
        if not js_truthy(client_id):
            return text(400, MSG_DEPLOY_CLIENT)
        self._record_legacy(body, js_string(deployment_key), js_string(client_id))
        return send_status(200)

    def _record_modern(self, body: object, key: str, previous_key: str, previous: object) -> None:
        """``recordUpdate``, or only a failure count for a failed install of a label."""
        if not self.keeps_metrics:
            return
        label = _prop(body, "label")
        if js_truthy(label) and _prop(body, "status") == DEPLOYMENT_FAILED:
            self.store.increment_metric(key, js_string(label), DEPLOYMENT_FAILED)
            return
        current = js_string(
            label if js_truthy(label) else _either(body, "appVersion", "app_version")
        )
        self.store.increment_metric(key, current, ACTIVE)
        self.store.increment_metric(key, current, DEPLOYMENT_SUCCEEDED)
        if js_truthy(previous_key) and js_truthy(previous):
            self.store.increment_metric(previous_key, js_string(previous), ACTIVE, -1)

    def _record_legacy(self, body: object, key: str, client_id: str) -> None:
        """The deprecated per-device path (devices sending no SDK version, or one older than
        1.5.2-beta): counts move only when the device's remembered label changes."""
        if not self.keeps_metrics:
            return
        label = _prop(body, "label")
        app_version = _either(body, "appVersion", "app_version")
        current = self.store.active_label(key, client_id)
        if js_truthy(label) and label != current:
            status = js_string(_prop(body, "status"))
            self.store.increment_metric(key, js_string(label), status)
            if status == DEPLOYMENT_SUCCEEDED:
                self._move_active(key, client_id, js_string(label), current)
        elif not js_truthy(label) and app_version != current:
            version = js_string(app_version)
            self._move_active(key, client_id, version, version)

    def _move_active(self, key: str, client_id: str, to: str, previous: str | None) -> None:
        """``updateActiveAppForClient``."""
        self.store.set_active_label(key, client_id, to)
        self.store.increment_metric(key, to, ACTIVE)
        if previous:
            self.store.increment_metric(key, previous, ACTIVE, -1)

    async def _report_download(self, request: Request, query: Query, body: object) -> Response:
        deployment_key = _either(body, "deploymentKey", "deployment_key")
        label = _prop(body, "label")
        if not js_truthy(deployment_key) or not js_truthy(label):
            return text(400, MSG_DOWNLOAD_REPORT)
        if self.keeps_metrics:
            self.store.increment_metric(js_string(deployment_key), js_string(label), DOWNLOADED)
        return send_status(200)


def _is_modern_sdk(request: Request) -> bool:
    """``semver.valid(sdk) && semver.gte(sdk, METRICS_BREAKING_VERSION)``."""
    values = request.headers.getlist(SDK_VERSION_HEADER)
    if not values:
        return False
    sdk = ", ".join(values)
    if _semver.valid(sdk) is None:
        return False
    breaking = _semver.parse_version(METRICS_BREAKING_VERSION)
    return _semver.compare(_semver.parse_version(sdk), breaking) >= 0
