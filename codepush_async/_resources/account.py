"""``cp.account``: who the access key belongs to."""

from __future__ import annotations

from .._exceptions import UnauthorizedError
from .._models.entities import Account
from ._base import Resource

__all__ = ["AccountResource"]


class AccountResource(Resource):
    """The account behind the access key."""

    async def get(self) -> Account:
        """The account's name, e-mail and linked identity providers."""
        return await self._get(Account, "account.get")

    async def is_authenticated(self) -> bool:
        """Whether the server accepts the access key (``False`` on 401, other errors raise)."""
        try:
            await self._requester.call("account.authenticated")
        except UnauthorizedError:
            return False
        return True
