"""``cp.tokens``: access keys and the CLI's login sessions."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from datetime import timedelta

from .._display.tables import ModelList
from .._exceptions import OutcomeUnknownError
from .._models.entities import AccessKey, Session
from .._wire.flavors import COMMUNITY
from .._wire.validate import check_name, check_optional_name, check_optional_str, check_ttl
from ._base import Resource
from ._lookup import find_access_key
from ._reconcile import reconciled

__all__ = ["DEFAULT_TTL_MS", "TokensResource"]

DEFAULT_TTL_MS = 60 * 24 * 3600 * 1000  # the official server's default: 60 days


class TokensResource(Resource):
    """Access keys (``ttl`` is milliseconds or a ``timedelta``)."""

    async def create(
        self,
        friendly_name: str,
        *,
        ttl: int | timedelta | None = None,
        created_by: str | None = None,
    ) -> AccessKey:
        """Create a key; the returned ``AccessKey.key`` is its secret, shown only this once."""
        body = {
            "friendlyName": check_name(friendly_name, "friendly_name"),
            "ttl": check_ttl(ttl),
            "createdBy": check_optional_str(created_by, "created_by"),
        }
        if body["ttl"] is None and await self._requester.server_flavor() == COMMUNITY:
            body["ttl"] = DEFAULT_TTL_MS  # without it the community server makes an expired key

        async def stored_without_secret() -> AccessKey:
            await self.get(friendly_name)  # NotFoundError: it was not stored
            raise OutcomeUnknownError(
                f"access key {friendly_name!r} was created, but the server's failed answer "
                "carried its secret, which no later call returns: remove it with "
                "tokens.remove() and create another",
                500,
            )

        return await reconciled(
            lambda: self._get(AccessKey, "tokens.create", body=_present(body)),
            f"creating access key {friendly_name!r}",
            stored_without_secret,
        )

    async def get(self, name: str) -> AccessKey:
        """One key's metadata, by friendly name (the secret is never returned)."""
        check_name(name, "name")
        return await self._get_or_find(
            AccessKey, "tokens.get", {"name": name}, lambda: find_access_key(self, name)
        )

    async def list(self, *, include_sessions: bool = False) -> ModelList[AccessKey]:
        """The account's keys; CLI session keys are left out unless asked for (as in the seed)."""
        keys = await self._get(builtins.list[AccessKey], "tokens.list")
        return ModelList(
            (k for k in keys if include_sessions or not k.is_session), item_type=AccessKey
        )

    async def update(
        self,
        name: str,
        *,
        friendly_name: str | None = None,
        ttl: int | timedelta | None = None,
    ) -> AccessKey:
        """Rename a key and/or give it a new TTL from now (``ttl=0`` expires it at once)."""
        check_name(name, "name")
        body = {
            "friendlyName": check_optional_name(friendly_name, "friendly_name"),
            "ttl": check_ttl(ttl, allow_zero=True),
        }
        if not _present(body):
            raise ValueError("update needs friendly_name or ttl: there is nothing to change")
        answer = await self._send_if_supported(
            "tokens.update", {"name": name}, _present(body), "Updating an access key"
        )
        return self._decode(answer, AccessKey)

    async def remove(self, name: str) -> None:
        """Delete a key by friendly name."""
        check_name(name, "name")
        if await self._requester.server_flavor() == COMMUNITY:  # it answers 200 for unknown keys
            await find_access_key(self, name)
        await self._send("tokens.remove", {"name": name})

    async def sessions(self) -> ModelList[Session]:
        """Unexpired login sessions, one per machine (the newest login of each)."""
        keys = await self._get(builtins.list[AccessKey], "tokens.sessions")
        now = self._requester.now()
        by_machine: dict[str, Session] = {}
        for key in keys:
            if not key.is_session or key.created_by is None:
                continue
            if key.expires is not None and key.expires.timestamp() <= now:
                continue
            known = by_machine.get(key.created_by)
            if known is None or _later(key, known):
                by_machine[key.created_by] = Session(key.created_by, key.created_time)
        return ModelList(by_machine.values(), item_type=Session)

    async def remove_session(self, machine_name: str) -> None:
        """Log out every session created by ``machine_name``."""
        params = {"machine": check_name(machine_name, "machine_name")}
        await self._send_if_supported("tokens.remove_session", params, None, "Removing a session")


def _later(key: AccessKey, known: Session) -> bool:
    if key.created_time is None:
        return False
    return known.logged_in_time is None or key.created_time > known.logged_in_time


def _present(body: Mapping[str, object]) -> dict[str, object]:
    return {k: v for k, v in body.items() if v is not None}
