"""Bearer-token authentication of the ``/api/v1`` dialect (tokens are the store's access keys,
so ``emu.create_account`` keys work in both dialects)."""

from __future__ import annotations

from starlette.requests import Request

from .._classic.validation import is_valid_key
from .._store import AccessKey, Account, Store
from .errors import V1Error

MSG_MISSING = "Authentication required: send 'Authorization: Bearer <access token>'."
MSG_INVALID = "The access token is invalid."
MSG_EXPIRED = "The access token has expired."


def authenticate(store: Store, request: Request, now_ms: int) -> tuple[Account, AccessKey]:
    """The caller's account and token, or a 401 ``V1Error``."""
    scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise V1Error(401, MSG_MISSING)
    key = store.key_by_secret(token) if is_valid_key(token) else None
    account = None if key is None else store.accounts.get(key.account_id)
    if key is None or account is None:
        raise V1Error(401, MSG_INVALID)
    if now_ms >= key.expires:
        raise V1Error(401, MSG_EXPIRED)
    return account, key
