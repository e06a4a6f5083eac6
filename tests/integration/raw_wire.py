"""The community server's wire by hand, for setup and checks around an SDK call."""

from __future__ import annotations

import io
import json
import secrets
import zipfile
from typing import Any
from urllib.parse import quote

import httpx

from .community_server import CommunityServer

ACCEPT = "application/vnd.code-push.v2+json"


def unique(prefix: str) -> str:
    """A name no other test uses: the server is shared by the whole session."""
    return f"{prefix}-{secrets.token_hex(4)}"


def bundle_zip(text: str, entry: str = "main.jsbundle") -> bytes:
    """A zip holding one bundle (``main.jsbundle`` marks an iOS release for this server)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(entry, f"console.log({json.dumps(text)});")
    return buffer.getvalue()


class Raw:
    """The classic wire by hand, for setup and checks around the SDK call under test."""

    def __init__(self, server: CommunityServer, key: str | None = None) -> None:
        self._http = httpx.AsyncClient(
            base_url=server.url,
            headers={"Authorization": f"Bearer {key or server.access_key}", "Accept": ACCEPT},
            timeout=30,
            trust_env=False,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _ok(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = await self._http.request(method, path, **kwargs)
        if response.status_code != 200:
            raise AssertionError(f"setup {method} {path}: {response.status_code} {response.text}")
        return response

    async def create_app(self, name: str, os: str = "iOS") -> None:
        body = {"name": name, "os": os, "platform": "React-Native"}
        await self._ok("POST", "/apps", json=body)

    async def create_deployment(self, app: str, name: str) -> None:
        await self._ok("POST", f"/apps/{_seg(app)}/deployments", json={"name": name})

    async def add_collaborator(self, app: str, email: str) -> None:
        await self._ok("POST", f"/apps/{_seg(app)}/collaborators/{_seg(email)}")

    async def release(
        self, app: str, deployment: str, content: bytes, app_version: str = "1.0.0"
    ) -> None:
        await self._ok(
            "POST",
            f"/apps/{_seg(app)}/deployments/{_seg(deployment)}/release",
            files={"package": ("package.zip", content, "application/zip")},
            data={"packageInfo": json.dumps({"appVersion": app_version})},
        )

    async def history(self, app: str, deployment: str) -> list[dict[str, Any]]:
        """The deployment's releases as the server sends them: newest first."""
        path = f"/apps/{_seg(app)}/deployments/{_seg(deployment)}/history"
        history: list[dict[str, Any]] = (await self._ok("GET", path)).json()["history"]
        return history

    async def release_hash(self, app: str, deployment: str, label: str) -> str:
        entries = [e for e in await self.history(app, deployment) if e["label"] == label]
        assert entries, f"{app}/{deployment} has no {label}"
        package_hash: str = entries[0]["packageHash"]
        return package_hash

    async def deployments(self, app: str) -> dict[str, dict[str, Any]]:
        path = f"/apps/{_seg(app)}/deployments"
        return {d["name"]: d for d in (await self._ok("GET", path)).json()["deployments"]}

    async def app_names(self) -> set[str]:
        return {a["name"] for a in (await self._ok("GET", "/apps")).json()["apps"]}

    async def key_names(self) -> set[str]:
        keys = (await self._ok("GET", "/accessKeys")).json()["accessKeys"]
        return {k["friendlyName"] for k in keys}

    async def collaborators(self, app: str) -> dict[str, Any]:
        path = f"/apps/{_seg(app)}/collaborators"
        collaborators: dict[str, Any] = (await self._ok("GET", path)).json()["collaborators"]
        return collaborators


def _seg(value: str) -> str:
    return quote(value, safe="")
