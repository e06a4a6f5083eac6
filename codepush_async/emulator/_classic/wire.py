"""Wire shapes and responses of the classic dialect (Express conventions of the official server)."""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from starlette.responses import FileResponse, Response

from .._node.coercion import js_sort_key, locale_key
from .._store import COUNTER_OF_STATUS, AccessKey, App, BlobStore, Deployment, Package

HIDDEN_KEY = "(hidden)"
_LABEL_KEY = re.compile(r"^v[0-9]+\Z")

CORS_ORIGIN = "http://localhost:4000"
_CORS_HEADERS = {
    "Access-Control-Allow-Credentials": "true",
    "Access-Control-Allow-Methods": "GET, POST, DELETE, PUT",
    "Access-Control-Allow-Headers": (
        "Content-Type, X-CodePush-Plugin-Name, X-CodePush-Plugin-Version, X-CodePush-SDK-Version"
    ),
    "Access-Control-Expose-Headers": "Location",
    "Cache-Control": "no-cache",
}


class HTTPError(Exception):
    """Raised by handlers to answer with a plain-text error (served as text/html, like Express)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def response(self) -> Response:
        return text(self.status, self.message)


def blob_response(blobs: BlobStore, blob_id: str) -> Response | None:
    """A package download: a blob on disk streams from its file, one in memory is sent whole;
    None when there is no such blob."""
    path = blobs.path_of(blob_id)
    if path is not None:
        return FileResponse(path, media_type="application/octet-stream")
    data = blobs.get(blob_id)
    if data is None:
        return None
    return Response(data, headers={"content-type": "application/octet-stream"})


def common_headers() -> dict[str, str]:
    """CORS and cache headers the server's headers middleware adds to every response."""
    return {"Access-Control-Allow-Origin": CORS_ORIGIN, **_CORS_HEADERS}


def sanitize(message: str) -> str:
    """Escape markup characters the way sanitize-html does for plain text."""
    return message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _dumps(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def text(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """``res.status(n).send(sanitizeHtml(message))``."""
    return Response(
        sanitize(message).encode("utf-8"),
        status_code=status,
        headers={**(headers or {}), "content-type": "text/html; charset=utf-8"},
    )


def json_response(
    obj: object, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        _dumps(obj),
        status_code=status,
        headers={**(headers or {}), "content-type": "application/json; charset=utf-8"},
    )


def send_status(status: int) -> Response:
    """``res.sendStatus(n)``: the reason phrase as text/plain, nothing for 204."""
    if status == 204:
        return Response(b"", status_code=204)
    return Response(
        HTTPStatus(status).phrase.encode("utf-8"),
        status_code=status,
        headers={"content-type": "text/plain; charset=utf-8"},
    )


def validation_error(errors: list[dict[str, str]], *, as_json: bool = False) -> Response:
    """400 with the field errors; as JSON text in a text body, or real JSON for POST /accessKeys."""
    if as_json:
        return json_response(errors, status=400)
    return text(400, json.dumps(errors, separators=(",", ":"), ensure_ascii=False))


def express_not_found(method: str, original_url: str) -> Response:
    """Express's default answer to an unmatched route."""
    body = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n'
        f"</head>\n<body>\n<pre>Cannot {method} {html.escape(original_url, quote=False)}</pre>\n"
        "</body>\n</html>\n"
    )
    return Response(
        body.encode("utf-8"),
        status_code=404,
        headers={
            "content-type": "text/html; charset=utf-8",
            "Content-Security-Policy": "default-src 'none'",
            "X-Content-Type-Options": "nosniff",
        },
    )


# Packages


def raw_package(pkg: Package, blobs: str) -> dict[str, Any]:
    """The package as the server stores it (history entries, deployment lists); ``blobs`` is
    the URL prefix of blob downloads (``Ctx.blobs``)."""
    out: dict[str, Any] = {"appVersion": pkg.app_version}
    if pkg.description is not None:
        out["description"] = pkg.description
    if pkg.is_disabled is not None:
        out["isDisabled"] = pkg.is_disabled
    if pkg.is_mandatory is not None:
        out["isMandatory"] = pkg.is_mandatory
    if pkg.rollout is not None or pkg.rollout_null:
        out["rollout"] = pkg.rollout
    out["packageHash"] = pkg.package_hash
    out["blobUrl"] = blobs + pkg.blob_id
    out["size"] = pkg.size
    if pkg.manifest_blob_id is not None:
        out["manifestBlobUrl"] = blobs + pkg.manifest_blob_id
    out["releaseMethod"] = pkg.release_method
    out["uploadTime"] = pkg.upload_time
    if pkg.original_label is not None:
        out["originalLabel"] = pkg.original_label
    if pkg.original_deployment is not None:
        out["originalDeployment"] = pkg.original_deployment
    if pkg.diff_package_map is not None:
        out["diffPackageMap"] = pkg.diff_package_map
    if pkg.label is not None:
        out["label"] = pkg.label
    if pkg.released_by is not None:
        out["releasedBy"] = pkg.released_by
    return out


def deployment_package(pkg: Package | None, blobs: str) -> dict[str, Any] | None:
    """The package inside ``GET /apps/:app/deployments/:dep`` (no manifest URL)."""
    if pkg is None:
        return None
    out = raw_package(pkg, blobs)
    out.pop("manifestBlobUrl", None)
    return out


def rest_package(pkg: Package, blobs: str) -> dict[str, Any]:
    """The package in release/patch/promote/rollback answers: a missing rollout reads 100."""
    out = raw_package(pkg, blobs)
    out.pop("manifestBlobUrl", None)
    if out.get("rollout") is None:
        out["rollout"] = 100
    return out


# Deployments


def listed_deployment(deployment: Deployment, blobs: str) -> dict[str, Any]:
    """An entry of ``GET /apps/:app/deployments`` (the stored entity, package included)."""
    return {
        "createdTime": deployment.created_time,
        "id": deployment.id,
        "key": deployment.key,
        "name": deployment.name,
        "package": None if deployment.package is None else raw_package(deployment.package, blobs),
    }


def rest_deployment(deployment: Deployment, blobs: str | None) -> dict[str, Any]:
    """The deployment; with its package unless ``blobs`` is None (the create answer)."""
    out: dict[str, Any] = {"name": deployment.name, "key": deployment.key}
    if blobs is not None:
        out["package"] = deployment_package(deployment.package, blobs)
    return out


def sorted_by_locale(names: list[str]) -> list[str]:
    return sorted(names, key=locale_key)


# Apps and collaborators


def collaborator_map(app: App, current_account_id: str | None) -> dict[str, Any]:
    """Collaborators keyed by e-mail (sorted); ``isCurrentAccount`` only on the caller's entry."""
    out: dict[str, Any] = {}
    for email in sorted(app.collaborators, key=js_sort_key):
        member = app.collaborators[email]
        entry: dict[str, Any] = {}
        if current_account_id is not None and member.account_id == current_account_id:
            entry["isCurrentAccount"] = True
        entry["permission"] = member.permission
        out[email] = entry
    return out


def rest_app(
    app: App,
    display_name: str,
    deployment_names: list[str] | None,
    current_account_id: str | None,
) -> dict[str, Any]:
    return {
        "name": display_name,
        "collaborators": collaborator_map(app, current_account_id),
        "deployments": None if deployment_names is None else sorted_by_locale(deployment_names),
    }


def display_names(apps: list[App], account_id: str) -> list[tuple[App, str]]:
    """Sort apps by name and qualify clashing names of apps the caller does not own."""
    counts = Counter(app.name for app in apps)
    out: list[tuple[App, str]] = []
    for app in sorted(apps, key=lambda a: locale_key(a.name)):
        name = app.name
        if counts[app.name] > 1 and not app.is_owned_by(account_id):
            owner = app.owner_email()
            if owner:
                name = f"{owner}:{app.name}"
        out.append((app, name))
    return out


# Access keys


def stored_access_key(key: AccessKey, *, secret: str | None) -> dict[str, Any]:
    """A key as listed (``secret`` is ``(hidden)``) or fetched (no ``name`` at all)."""
    out: dict[str, Any] = {
        "createdBy": key.created_by,
        "createdTime": key.created_time,
        "expires": key.expires,
        "description": key.description,
        "friendlyName": key.friendly_name,
        "id": key.id,
    }
    if key.is_session:
        out["isSession"] = True
    if secret is not None:
        out["name"] = secret
    return out


def created_access_key(key: AccessKey) -> dict[str, Any]:
    """The body of ``POST /accessKeys``: the request fields plus times; ``name`` is the secret."""
    return {
        "createdBy": key.created_by,
        "name": key.name,
        "friendlyName": key.friendly_name,
        "description": key.description,
        "createdTime": key.created_time,
        "expires": key.expires,
    }


# Metrics


_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")


def _js_key_order(name: str) -> tuple[int, int]:
    """Where a key lands in a JavaScript object: array indices first (ascending), then the
    rest in insertion order (``sorted`` is stable)."""
    if _ARRAY_INDEX.fullmatch(name) and int(name) < 2**32 - 1:
        return (0, int(name))
    return (1, 0)


def rest_metrics(fields: Mapping[str, int]) -> dict[str, Any]:
    """``toRestDeploymentMetrics`` over the Redis fields (``"v3:Active": 2``): labels (``v3``)
    get all four counters; anything else starts with only ``active``, and a counter it lacks
    becomes ``undefined + n``, NaN, which JSON writes as null (every app version an install
    report names shows ``"installed": null``)."""
    out: dict[str, dict[str, int | None]] = {}
    for name, value in fields.items():
        parts = name.split(":")
        label = parts[0]
        if label not in out:
            out[label] = (
                {"active": 0, "downloaded": 0, "failed": 0, "installed": 0}
                if _LABEL_KEY.match(label)
                else {"active": 0}
            )
        counter = COUNTER_OF_STATUS.get(parts[1]) if len(parts) > 1 else None
        if counter is not None:
            counters = out[label]
            current = counters.get(counter)
            counters[counter] = None if current is None else current + value
    return {label: out[label] for label in sorted(out, key=_js_key_order)}
