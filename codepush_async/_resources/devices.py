"""``cp.devices``: what devices do, through the acquisition API (a deployment key, no
access key): update checks, status reports, downloads, and why a device got its answer."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from .._core.outcome import Answer
from .._exceptions import APIConnectionError, OutcomeUnknownError, ResponseDecodeError
from .._models.devices import UpdateCheck, UpdateExplanation
from .._release.download import PackageToFetch, download_package
from .._release.progress import ProgressCallback
from .._wire.codec import MISSING, missing_value_error
from .._wire.semver import is_device_version, is_valid_range
from ._base import Resource
from ._explain import Device, explain
from .deployments import DeploymentsResource
from .releases import ReleasesResource

__all__ = ["DEFAULT_SDK_VERSION", "DEPLOY_STATUSES", "DevicesResource"]

DEFAULT_SDK_VERSION = "3.1.5"
"""The acquisition protocol devices speak (npm ``code-push``): at or above the server's
``METRICS_BREAKING_VERSION`` (1.5.2-beta), so deploy reports take its modern metrics path."""
DEPLOY_STATUSES = ("DeploymentSucceeded", "DeploymentFailed")
Route = Literal["camel", "snake"]
_ROUTES = {"camel": "", "snake": ".snake"}

# UpdateCheck field -> (camelCase key, snake_case key, type) of the answer's ``updateInfo``.
_FIELDS: Mapping[str, tuple[str, str, type]] = {
    "is_available": ("isAvailable", "is_available", bool),
    "should_run_binary_version": ("shouldRunBinaryVersion", "should_run_binary_version", bool),
    "update_app_version": ("updateAppVersion", "update_app_version", bool),
    "label": ("label", "label", str),
    "package_hash": ("packageHash", "package_hash", str),
    "download_url": ("downloadURL", "download_url", str),
    "package_size": ("packageSize", "package_size", int),
    "app_version": ("appVersion", "app_version", str),
    "description": ("description", "description", str),
    "is_mandatory": ("isMandatory", "is_mandatory", bool),
    "target_binary_range": ("target_binary_range", "target_binary_range", str),
}
_EMPTY_IS_NONE = ("label", "package_hash", "download_url")
_DEFAULTS: Mapping[type, Any] = {bool: False, str: "", int: 0}


def check_deployment_key(value: Any) -> str:
    """A deployment key: a non-empty string without surrounding spaces."""
    if not isinstance(value, str):
        raise ValueError(f"deployment_key must be a string, got {type(value).__name__}")
    if not value.strip():
        raise ValueError("deployment_key must not be empty (see `deployment ls <app> -k`)")
    if value != value.strip():
        raise ValueError("deployment_key must not start or end with spaces")
    return value


def check_app_version(value: Any) -> str:
    """A binary's version as the server reads it (``1``, ``1.2``, ``1.2.3``, prereleases)."""
    if not isinstance(value, str):
        raise ValueError(f"app_version must be a string, got {type(value).__name__}")
    if is_device_version(value):
        return value
    if is_valid_range(value):
        raise ValueError(
            f"app_version must be the binary's version, not a range: got {value!r} "
            "(a device runs one version, e.g. '1.2.3')"
        )
    raise ValueError(f"app_version must be a version such as '1.2.3', got {value!r}")


def check_text(value: Any, arg: str) -> str | None:
    """``None`` (left out), or a non-empty string."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{arg} must be a string or None, got {type(value).__name__}")
    if not value:
        raise ValueError(f"{arg} must not be empty (pass None to leave it out)")
    return value


def check_client_id(value: Any) -> str:
    """The device's unique id: a non-empty string."""
    checked = check_text(value, "client_id")
    if checked is None:
        raise ValueError("client_id must be the device's unique id, got None")
    return checked


def check_status(value: Any) -> str | None:
    if value is not None and value not in DEPLOY_STATUSES:
        raise ValueError(
            f"status must be 'DeploymentSucceeded', 'DeploymentFailed' or None, got {value!r}"
        )
    return value  # type: ignore[no-any-return]


def _check_sdk_version(value: Any) -> str | None:
    if value is None:
        return None
    if not (isinstance(value, str) and value and value.isascii() and value.isprintable()
            and value == value.strip()):
        raise ValueError(
            f"sdk_version must be a version such as '3.1.5' (visible ASCII) or None, "
            f"got {value!r}"
        )
    return value


def _operation(name: str, route: Any) -> str:
    if route not in _ROUTES:
        raise ValueError(f"route must be 'camel' or 'snake', got {route!r}")
    return f"devices.{name}{_ROUTES[route]}"


def _field(info: Mapping[str, Any], name: str, route: str, where: str, status: int) -> Any:
    """One field of ``updateInfo``: its default when absent or null, else of its type."""
    camel, snake, kind = _FIELDS[name]
    key = snake if route == "snake" else camel
    value = info.get(key)
    if value is None:
        return None if name in _EMPTY_IS_NONE else _DEFAULTS[kind]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ResponseDecodeError(
            f"Unexpected response from the server: {where}.{key} must be a "
            f"{kind.__name__}, got {type(value).__name__}",
            status,
            field=f"{where}.{key}",
        )
    return None if value == "" and name in _EMPTY_IS_NONE else value


def decode_update_check(
    answer: Answer, route: str, secrets: tuple[str, ...] = ()
) -> UpdateCheck:
    """The ``UpdateCheck`` an update check's answer carries, or ``ResponseDecodeError``
    (quoting the body without ``secrets``)."""
    info, where, status = answer.value, answer.where, answer.status_code
    if info is MISSING:
        raise missing_value_error(where, status, answer.content, secrets)
    if not isinstance(info, dict):
        raise ResponseDecodeError(
            f"Unexpected response from the server: {where} must be an object, "
            f"got {type(info).__name__}",
            status,
            field=where,
        )
    key = "is_available" if route == "snake" else "isAvailable"
    if info.get(key) is None:
        raise ResponseDecodeError(
            f"Unexpected response from the server: required field missing at {where}.{key}",
            status,
            field=f"{where}.{key}",
        )
    return UpdateCheck(**{name: _field(info, name, route, where, status) for name in _FIELDS})


class DevicesResource(Resource):
    """What a device does: check for an update, report a download or an install.

    These calls use the deployment key only: they never send the client's access key.
    """

    def _headers(self, sdk_version: str | None) -> dict[str, str]:
        """The client's headers without the access key, as a device sends them."""
        return self._requester.anonymous_headers(
            {"Accept": "application/json", "X-CodePush-SDK-Version": sdk_version}
        )

    async def check(
        self,
        deployment_key: str,
        app_version: str,
        *,
        client_id: str | None = None,
        label: str | None = None,
        package_hash: str | None = None,
        is_companion: bool = False,
        sdk_version: str | None = DEFAULT_SDK_VERSION,
        route: Route = "camel",
    ) -> UpdateCheck:
        """Ask the server what a device on ``app_version`` (running ``label`` /
        ``package_hash``, if any) should run, as the device would.

        Only the parameters given are sent (``is_companion`` only when true);
        ``route="snake"`` uses the ``/v0.1/public/codepush`` spelling.
        """
        if not isinstance(is_companion, bool):
            raise ValueError(f"is_companion must be a bool, got {type(is_companion).__name__}")
        params = {
            "deployment_key": check_deployment_key(deployment_key),
            "app_version": check_app_version(app_version),
            "client_id": check_text(client_id, "client_id"),
            "label": check_text(label, "label"),
            "package_hash": check_text(package_hash, "package_hash"),
            "is_companion": "true" if is_companion else None,
        }
        operation = _operation("check", route)
        answer = await self._requester.call(
            operation, params, headers=self._headers(_check_sdk_version(sdk_version))
        )
        return decode_update_check(answer, route, self._requester.secrets)

    async def explain(
        self,
        app: str,
        deployment: str,
        app_version: str,
        *,
        client_id: str | None = None,
        label: str | None = None,
        package_hash: str | None = None,
        is_companion: bool = False,
    ) -> UpdateExplanation:
        """Why a device gets the answer it gets: "why didn't this device update?".

        Reads the deployment's key and history (management API), runs the device's check,
        and names the rule that decided, by elimination over the releases newer than the
        one offered (or run): ``disabled``, ``rollout`` (this client id falls outside the
        percentage), ``range``; else ``mandatory-rollup``, ``update``, ``up-to-date``...
        """
        device = Device(check_app_version(app_version), check_text(client_id, "client_id"),
                        check_text(label, "label"), check_text(package_hash, "package_hash"))
        self._requester.check_supported("devices.check")
        key = (await DeploymentsResource(self._requester).get(app, deployment)).key
        if not key:
            raise ResponseDecodeError(
                "Unexpected response from the server: the deployment has no key", 200,
                field="$.deployment.key",
            )
        history = await ReleasesResource(self._requester).history(app, deployment)
        answer = await self.check(key, app_version, client_id=client_id, label=label,
                                  package_hash=package_hash, is_companion=is_companion)
        return explain(answer, history, device)

    async def report_download(
        self,
        deployment_key: str,
        label: str,
        *,
        client_id: str,
        sdk_version: str | None = DEFAULT_SDK_VERSION,
        route: Route = "camel",
    ) -> None:
        """Report that a device downloaded release ``label`` (counts ``downloaded``)."""
        if check_text(label, "label") is None:
            raise ValueError("label must name the release downloaded, got None")
        params = {
            "deployment_key": check_deployment_key(deployment_key),
            "label": label,
            "client_id": check_client_id(client_id),
        }
        await self._report(_operation("report_download", route), params, sdk_version)

    async def report_deploy(
        self,
        deployment_key: str,
        app_version: str,
        *,
        client_id: str,
        label: str | None = None,
        status: str | None = None,
        previous_deployment_key: str | None = None,
        previous_label_or_app_version: str | None = None,
        sdk_version: str | None = DEFAULT_SDK_VERSION,
        route: Route = "camel",
    ) -> None:
        """Report an install of ``label`` (``status="DeploymentSucceeded"``), a failed one
        (``"DeploymentFailed"``: the device stays on its previous release), or, with no
        label and no status, a device's first run of its binary."""
        if check_text(label, "label") is not None and check_status(status) is None:
            raise ValueError(
                "status must be 'DeploymentSucceeded' or 'DeploymentFailed' when a label is "
                "given (the server refuses a labelled report without one)"
            )
        params = {
            "deployment_key": check_deployment_key(deployment_key),
            "app_version": check_app_version(app_version),
            "client_id": check_client_id(client_id),
            "label": label,
            "status": check_status(status),
            "previous_deployment_key": check_text(
                previous_deployment_key, "previous_deployment_key"
            ),
            "previous_label_or_app_version": check_text(
                previous_label_or_app_version, "previous_label_or_app_version"
            ),
        }
        await self._report(_operation("report_deploy", route), params, sdk_version)

    async def _report(
        self, operation: str, params: Mapping[str, str | None], sdk_version: str | None
    ) -> None:
        """Send a report once: resent only when it provably never reached the server (a
        connection refused before any byte, a 429); a lost answer is ``OutcomeUnknownError``."""
        headers = self._headers(_check_sdk_version(sdk_version))
        try:
            await self._requester.call(operation, params, resend=False, headers=headers)
        except OutcomeUnknownError:
            raise
        except APIConnectionError as error:
            if not error.request_sent:
                raise
            raise OutcomeUnknownError(
                f"{operation}: the report was sent but no answer came back ({error.message}); "
                "it may have been counted, so it was not resent.",
                error.status_code,
            ) from error

    async def download(
        self,
        update: UpdateCheck,
        dest: str | os.PathLike[str],
        *,
        on_progress: ProgressCallback | None = None,
        base: str | os.PathLike[str] | None = None,
    ) -> Path:
        """Download the package ``update`` offers to ``dest`` (a file, or a folder to name
        ``<label>.zip`` in) and check it hashes to ``update.package_hash``.

        Streams to disk (flat memory), reports ``on_progress(done, total)``, sends no access
        key; a mismatch is ``ReleaseIntegrityError`` and leaves nothing at ``dest``. A diff
        package (offered to a check that sent ``package_hash``) is applied on ``base``, the
        zip of the release the device runs; without it, it cannot be checked.
        """
        if not isinstance(update, UpdateCheck):
            raise ValueError(f"update must be an UpdateCheck, got {type(update).__name__}")
        if not update.is_available:
            raise ValueError(f"nothing to download: {update.why}")
        package = PackageToFetch(update.download_url, update.package_hash, update.label)
        return await download_package(
            self._requester, package, dest, on_progress=on_progress, base=base
        )
