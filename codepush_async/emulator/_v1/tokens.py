"""``/api/v1/auth/tokens``: create, list (no secrets) and revoke access tokens."""

from __future__ import annotations

from starlette.responses import Response

from .._classic.accounts import issue_access_key
from .._classic.base import Ctx
from .._classic.validation import is_valid_friendly_name
from .._classic.wire import json_response, send_status
from .._store import generate_secure_key
from .base import V1Base
from .body import check, is_token_ttl
from .errors import V1Error
from .shapes import created_token, listed_token


class TokenRoutes(V1Base):
    """Tokens are the store's access keys: ``friendlyName`` names one, the secret is shown once."""

    async def _create_token(self, ctx: Ctx) -> Response:
        friendly, ttl = ctx.body.get("friendlyName"), ctx.body.get("ttl")
        if isinstance(friendly, str):
            friendly = friendly.strip()
        check(
            {"friendlyName": friendly, "ttl": ttl},
            [("friendlyName", is_valid_friendly_name), ("ttl", is_token_ttl)],
            required=("friendlyName",),
        )
        key = issue_access_key(
            self.store,
            ctx.account.id,
            secret=generate_secure_key(ctx.account.id),
            friendly_name=str(friendly),
            created_by=ctx.client_ip,
            now=self._now(),
            ttl=None if ttl is None else int(ttl),
        )
        return json_response(created_token(key), status=201)

    async def _list_tokens(self, ctx: Ctx) -> Response:
        keys = sorted(self.store.access_keys_of(ctx.account.id), key=lambda k: k.created_time)
        return json_response({"tokens": [listed_token(k) for k in keys]})

    async def _revoke_token(self, ctx: Ctx) -> Response:
        name = ctx.params["tokenName"]
        key = self.store.find_access_key(ctx.account.id, name)
        if key is None:
            raise V1Error(404, f'Token "{name}" does not exist.')
        self.store.remove_access_key(key.id)
        return send_status(204)
