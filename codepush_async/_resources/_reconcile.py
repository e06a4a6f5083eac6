"""Writes answered 5xx after acting: read back what was stored instead of failing.

The official server stores a create, release, promote or rollback whose name is outside
Latin-1 and then fails to set its ``Location`` header (500). Like a lost answer, such a
write is settled by reading the server's state: what was stored is returned, nothing
stored re-raises the ``ServerError``, and an unreadable state is ``OutcomeUnknownError``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from .._core.outcome import may_have_acted
from .._exceptions import CodePushError, NotFoundError, OutcomeUnknownError, ServerError

__all__ = ["NotStored", "reconciled", "settle"]

T = TypeVar("T")
logger = logging.getLogger("codepush_async")


class NotStored(Exception):
    """Raised by a read-back that proves the write did not happen."""


async def settle(error: ServerError, what: str, read_back: Callable[[], Awaitable[T]]) -> T:
    """What ``read_back`` finds after ``error``; ``error`` itself if nothing was stored."""
    logger.warning("%s answered %s; reading back whether it was stored", what, error.http_status)
    try:
        stored = await read_back()
    except (NotStored, NotFoundError):
        raise error from None
    except OutcomeUnknownError:
        raise
    except CodePushError as failure:
        raise OutcomeUnknownError(
            f"{what} answered {error.http_status} ({error.message}) and reading back the "
            f"server's state failed ({failure.message}): it may or may not have been stored, "
            "so it was not resent.",
            error.status_code,
        ) from failure
    logger.info("%s was stored despite its %s answer", what, error.http_status)
    return stored


async def reconciled(
    write: Callable[[], Awaitable[T]], what: str, read_back: Callable[[], Awaitable[T]]
) -> T:
    """``write()``, or what ``read_back`` finds when it answered 5xx after maybe acting."""
    try:
        return await write()
    except ServerError as error:
        if not may_have_acted(error):
            raise
        return await settle(error, what, read_back)
