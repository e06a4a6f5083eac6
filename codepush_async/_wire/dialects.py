"""Route tables: for each dialect, where every operation goes and what it answers.

A dialect is data, not code: adding one means writing a new table here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

__all__ = [
    "ACQUISITION_ROUTES", "CLASSIC", "DIALECTS", "V1", "WHOLE_BODY", "Dialect", "Route",
    "get_dialect",
]

WHOLE_BODY = "$"


@attrs.frozen
class Route:
    """One operation on the wire.

    ``path`` holds ``{name}`` placeholders, each filled with a percent-encoded
    parameter; ``body_params`` are parameters that travel in the JSON body
    instead; ``body_key`` wraps the body in a one-key object; ``unwrap`` is the
    key of the one-key success envelope (``None``: the answer carries no value;
    ``WHOLE_BODY``: the body itself is the value); ``body_defaults`` are fixed fields
    the dialect wants in the body. ``required`` are the answer's keys the server always
    sends (of the object, or of each item of a list): an answer without one is malformed.
    ``secret_answer`` marks an answer carrying a secret: errors never quote its body.
    ``query_params`` are parameters sent in the query string; ``wire_names`` spells a
    parameter as the server reads it (in the query or the body), when it differs.
    """

    method: str
    path: str
    unwrap: str | None = None
    body_key: str | None = None
    body_params: tuple[str, ...] = ()
    body_defaults: Mapping[str, Any] = attrs.field(factory=dict)
    required: tuple[str, ...] = ()
    secret_answer: bool = False
    query_params: tuple[str, ...] = ()
    wire_names: Mapping[str, str] = attrs.field(factory=dict)

    def takes_in_path(self, param: str) -> bool:
        return "{" + param + "}" in self.path


@attrs.frozen
class Dialect:
    """A wire dialect: its base path and its routes (errors of both spellings are read
    alike, see ``_errors``)."""

    name: str
    base_path: str
    routes: Mapping[str, Route]
    shared_rate_limit: bool = False

    def route(self, operation: str) -> Route | None:
        return self.routes.get(operation)

    def rate_limit_key(self, operation: str) -> str:
        """Which budget ``operation`` draws on: its own, or the dialect's single one."""
        return "*" if self.shared_rate_limit else operation


_APP = "/apps/{app}"
_DEP = _APP + "/deployments/{deployment}"
# What the official server always sends (its rollback answer has no label).
_PACKAGE = ("label", "packageHash")
_DEPLOYMENT = ("name", "key")

# The acquisition API devices call (deployment key, no access key), in both spellings the
# official server serves: camelCase (what the plugins send) and the snake_case
# ``/v0.1/public/codepush`` one (what the JS acquisition SDK sends).
_CHECK_PARAMS = ("deployment_key", "app_version", "package_hash", "label", "client_id",
                 "is_companion")
_DEPLOY_PARAMS = ("deployment_key", "app_version", "label", "client_id", "status",
                  "previous_deployment_key", "previous_label_or_app_version")
_CAMEL = {
    "deployment_key": "deploymentKey", "app_version": "appVersion",
    "package_hash": "packageHash", "client_id": "clientUniqueId",
    "is_companion": "isCompanion", "previous_deployment_key": "previousDeploymentKey",
    "previous_label_or_app_version": "previousLabelOrAppVersion",
}
_SNAKE = {"client_id": "client_unique_id"}
_PUBLIC = "/v0.1/public/codepush"


def _acquisition(names: Mapping[str, str], check: str, report: str, info: str) -> dict[str, Route]:
    """The device routes of one spelling: ``names`` renames parameters for the wire."""
    return {
        "devices.check": Route("GET", check, unwrap=info, query_params=_CHECK_PARAMS,
                               wire_names=names),
        "devices.report_download": Route(
            "POST", report + "/download",
            body_params=("deployment_key", "label", "client_id"), wire_names=names,
        ),
        "devices.report_deploy": Route(
            "POST", report + "/deploy", body_params=_DEPLOY_PARAMS, wire_names=names
        ),
    }


ACQUISITION_ROUTES: Mapping[str, Mapping[str, Route]] = {
    "camel": _acquisition(_CAMEL, "/updateCheck", "/reportStatus", "updateInfo"),
    "snake": _acquisition(
        _SNAKE, _PUBLIC + "/update_check", _PUBLIC + "/report_status", "update_info"
    ),
}
"""The classic dialect's device routes by spelling; ``camel`` is what ``CLASSIC`` serves."""

CLASSIC = Dialect(
    name="classic",
    base_path="",
    routes={
        "account.get": Route("GET", "/account", unwrap="account", required=("email",)),
        "account.authenticated": Route("GET", "/authenticated", unwrap="authenticated"),
        "tokens.list": Route("GET", "/accessKeys", unwrap="accessKeys"),
        "tokens.sessions": Route("GET", "/accessKeys", unwrap="accessKeys"),
        "tokens.create": Route(
            "POST", "/accessKeys", unwrap="accessKey", required=("name",), secret_answer=True
        ),
        "tokens.get": Route("GET", "/accessKeys/{name}", unwrap="accessKey"),
        "tokens.update": Route("PATCH", "/accessKeys/{name}", unwrap="accessKey"),
        "tokens.remove": Route("DELETE", "/accessKeys/{name}"),
        "tokens.remove_session": Route("DELETE", "/sessions/{machine}"),
        "apps.list": Route("GET", "/apps", unwrap="apps"),
        "apps.create": Route("POST", "/apps", unwrap="app"),
        "apps.get": Route("GET", _APP, unwrap="app"),
        "apps.rename": Route("PATCH", _APP, unwrap="app"),
        "apps.remove": Route("DELETE", _APP),
        "apps.transfer": Route("POST", _APP + "/transfer/{email}"),
        "collaborators.list": Route("GET", _APP + "/collaborators", unwrap="collaborators"),
        "collaborators.add": Route("POST", _APP + "/collaborators/{email}"),
        "collaborators.remove": Route("DELETE", _APP + "/collaborators/{email}"),
        "deployments.list": Route(
            "GET", _APP + "/deployments", unwrap="deployments", required=_DEPLOYMENT
        ),
        "deployments.create": Route(
            "POST", _APP + "/deployments", unwrap="deployment", required=_DEPLOYMENT
        ),
        "deployments.get": Route("GET", _DEP, unwrap="deployment", required=_DEPLOYMENT),
        "deployments.rename": Route("PATCH", _DEP, unwrap="deployment", required=_DEPLOYMENT),
        "deployments.remove": Route("DELETE", _DEP),
        "deployments.metrics": Route("GET", _DEP + "/metrics", unwrap="metrics"),
        "releases.release": Route("POST", _DEP + "/release", unwrap="package", required=_PACKAGE),
        "releases.history": Route("GET", _DEP + "/history", unwrap="history", required=("label",)),
        "releases.clear_history": Route("DELETE", _DEP + "/history"),
        "releases.patch": Route(
            "PATCH",
            _DEP + "/release",
            unwrap="package",
            body_key="packageInfo",
            body_params=("label",),
            required=_PACKAGE,
        ),
        "releases.promote": Route(
            "POST",
            _DEP + "/promote/{destination}",
            unwrap="package",
            body_key="packageInfo",
            required=_PACKAGE,
        ),
        "releases.rollback": Route(
            "POST", _DEP + "/rollback", unwrap="package", required=("packageHash",)
        ),
        "releases.rollback_to": Route(
            "POST", _DEP + "/rollback/{label}", unwrap="package", required=("packageHash",)
        ),
        **ACQUISITION_ROUTES["camel"],
        **{f"{operation}.snake": route
           for operation, route in ACQUISITION_ROUTES["snake"].items()},
    },
)

# docs/v1-wire.md. What is missing here the SDK derives or refuses before any request.
V1 = Dialect(
    name="v1",
    base_path="/api/v1",
    shared_rate_limit=True,
    routes={
        "tokens.create": Route(
            "POST", "/auth/tokens", unwrap=WHOLE_BODY, required=("accessToken",), secret_answer=True
        ),
        "tokens.list": Route("GET", "/auth/tokens", unwrap="tokens"),
        "tokens.remove": Route("DELETE", "/auth/tokens/{name}"),
        "apps.list": Route("GET", "/apps", unwrap="apps"),
        "apps.create": Route("POST", "/apps", unwrap="app"),
        "apps.rename": Route("PATCH", _APP, unwrap="app"),
        "apps.remove": Route("DELETE", _APP),
        "collaborators.list": Route("GET", _APP + "/collaborators", unwrap="collaborators"),
        "collaborators.add": Route(
            "POST",
            _APP + "/collaborators",
            body_params=("email",),
            body_defaults={"permission": "Collaborator"},
        ),
        "collaborators.remove": Route("DELETE", _APP + "/collaborators/{email}"),
        "deployments.list": Route(
            "GET", _APP + "/deployments", unwrap="deployments", required=_DEPLOYMENT
        ),
        "deployments.create": Route(
            "POST", _APP + "/deployments", unwrap="deployment", required=_DEPLOYMENT
        ),
        "deployments.rename": Route("PATCH", _DEP, unwrap="deployment", required=_DEPLOYMENT),
        "deployments.remove": Route("DELETE", _DEP),
        "releases.release": Route("POST", _DEP + "/release", unwrap="release", required=_PACKAGE),
        "releases.history": Route(
            "GET", _DEP + "/releases", unwrap="releases", required=("label",)
        ),
        "releases.patch": Route(
            "PATCH", _DEP + "/releases/{label}", unwrap="release", required=_PACKAGE
        ),
    },
)

DIALECTS: Mapping[str, Dialect] = {CLASSIC.name: CLASSIC, V1.name: V1}


def get_dialect(name: str) -> Dialect:
    """The dialect called ``name``; a clear ``ValueError`` for an unknown one."""
    if not isinstance(name, str) or name not in DIALECTS:
        known = ", ".join(repr(n) for n in DIALECTS)
        raise ValueError(f"dialect must be one of {known}, got {name!r}")
    return DIALECTS[name]
