"""Classic routes for the account, access keys and login sessions."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from .._node.coercion import js_parse_int, js_string, js_truthy
from .._node.headers import location
from .._store import AccessKey, Store, generate_secure_key
from .base import DEFAULT_ACCESS_KEY_TTL_MS, ClassicBase, Ctx
from .validation import validate_access_key_request
from .wire import (
    HIDDEN_KEY,
    HTTPError,
    created_access_key,
    json_response,
    send_status,
    stored_access_key,
    validation_error,
)


def issue_access_key(
    store: Store,
    account_id: str,
    *,
    secret: str,
    friendly_name: str,
    created_by: str,
    now: int,
    ttl: int | None,
) -> AccessKey:
    """Store a new key (``ttl`` in ms, None for 60 days); 409 when its secret or friendly name
    clashes with a key of the account (or the secret with anyone's). Shared by both dialects."""
    keys = store.access_keys_of(account_id)
    for candidate in (secret, friendly_name):
        if any(candidate in (k.name, k.friendly_name) for k in keys):
            raise HTTPError(409, f'The access key "{candidate}" already exists.')
    if store.key_by_secret(secret) is not None:
        raise HTTPError(409, f'The access key "{secret}" already exists.')
    return store.add_access_key(
        account_id,
        name=secret,
        friendly_name=friendly_name,
        created_by=created_by,
        created_time=now,
        expires=now + (ttl if ttl is not None else DEFAULT_ACCESS_KEY_TTL_MS),
    )


class AccountRoutes(ClassicBase):
    """``/account``, ``/accessKeys`` and ``/sessions``."""

    async def _get_account(self, ctx: Ctx) -> Response:
        account = ctx.account
        return json_response(
            {"account": {"name": account.name, "email": account.email, "linkedProviders": []}}
        )

    async def _list_access_keys(self, ctx: Ctx) -> Response:
        keys = sorted(self.store.access_keys_of(ctx.account.id), key=lambda k: k.created_time)
        return json_response(
            {"accessKeys": [stored_access_key(k, secret=HIDDEN_KEY) for k in keys]}
        )

    @staticmethod
    def _access_key_request(body: dict[str, Any]) -> dict[str, object]:
        request: dict[str, object] = {}
        if "createdBy" in body:
            request["createdBy"] = body["createdBy"]
        if "ttl" in body:
            ttl = js_parse_int(body["ttl"])
            request["ttl"] = float("nan") if ttl is None else ttl
        if "name" in body:
            request["name"] = body["name"]
        friendly = body["friendlyName"] if "friendlyName" in body else body.get("description")
        if isinstance(friendly, str):
            friendly = friendly.strip()
        request["friendlyName"] = friendly
        request["description"] = friendly
        return request

    async def _create_access_key(self, ctx: Ctx) -> Response:
        request = self._access_key_request(ctx.body)
        if not js_truthy(request.get("name")):
            request["name"] = generate_secure_key(ctx.account.id)
        if not js_truthy(request.get("createdBy")):
            request["createdBy"] = ctx.client_ip
        errors = validate_access_key_request(request, is_update=False)
        if errors:
            return validation_error(errors, as_json=True)
        ttl, created_by = request.get("ttl"), request["createdBy"]
        key = issue_access_key(
            self.store,
            ctx.account.id,
            secret=str(request["name"]),
            friendly_name=str(request["friendlyName"]),
            created_by=created_by if isinstance(created_by, str) else js_string(created_by),
            now=self._now(),
            ttl=int(ttl) if isinstance(ttl, int) and ttl else None,
        )
        return json_response(
            {"accessKey": created_access_key(key)},
            status=201,
            headers={"Location": location("accessKeys", key.friendly_name)},
        )

    def _find_key_or_404(self, ctx: Ctx, message: str) -> AccessKey:
        name = ctx.params["accessKeyName"]
        key = self.store.find_access_key(ctx.account.id, name)
        if key is None:
            raise HTTPError(404, message.format(name=name))
        return key

    async def _get_access_key(self, ctx: Ctx) -> Response:
        key = self._find_key_or_404(ctx, 'Access key "{name}" does not exist.')
        return json_response({"accessKey": stored_access_key(key, secret=None)})

    async def _patch_access_key(self, ctx: Ctx) -> Response:
        request = self._access_key_request(ctx.body)
        errors = validate_access_key_request(request, is_update=True)
        if errors:
            return validation_error(errors, as_json=True)
        key = self._find_key_or_404(ctx, 'The access key "{name}" does not exist.')
        friendly = request.get("friendlyName")
        if isinstance(friendly, str) and friendly:
            keys = self.store.access_keys_of(ctx.account.id)
            if any(friendly in (k.name, k.friendly_name) for k in keys):
                raise HTTPError(409, f'The access key "{friendly}" already exists.')
            key.friendly_name = friendly
            key.description = friendly
        ttl = request.get("ttl")
        if isinstance(ttl, int):
            key.expires = self._now() + ttl
        return json_response({"accessKey": stored_access_key(key, secret=None)})

    async def _delete_access_key(self, ctx: Ctx) -> Response:
        key = self._find_key_or_404(ctx, 'Access key "{name}" does not exist.')
        self.store.remove_access_key(key.id)
        return send_status(204)

    async def _delete_sessions(self, ctx: Ctx) -> Response:
        machine = ctx.params["createdBy"]
        sessions = [
            k
            for k in self.store.access_keys_of(ctx.account.id)
            if k.is_session and k.created_by == machine
        ]
        if not sessions:
            raise HTTPError(404, f'There are no sessions associated with "{machine}."')
        for key in sessions:
            self.store.remove_access_key(key.id)
        return send_status(204)
