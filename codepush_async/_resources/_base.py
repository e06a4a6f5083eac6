"""What every resource sub-client shares: the requester it calls and answer decoding."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, NoReturn, TypeVar

from .._core.outcome import Answer
from .._core.requester import Requester
from .._core.timeouts import Timeouts
from .._exceptions import NotFoundError, ResponseDecodeError, UnsupportedOperationError
from .._wire.codec import MISSING, StreamingContent, missing_value_error
from .._wire.decode import decode
from .._wire.flavors import COMMUNITY, OFFICIAL, is_missing_route

__all__ = ["Resource"]

T = TypeVar("T")
Params = Mapping[str, str | None]


def _check_required(answer: Answer) -> None:
    """Every key the server always sends is there (and not null), or ``ResponseDecodeError``."""
    if not answer.required:
        return
    value = answer.value
    items = value if isinstance(value, list) else [value]
    for item in items:  # the usual case, every key there: one lookup per key, no bookkeeping
        if isinstance(item, dict):  # any other type: the converter names it
            for key in answer.required:
                if item.get(key) is None:
                    _missing(answer, item, key)


def _missing(answer: Answer, item: dict[str, Any], key: str) -> NoReturn:
    """``ResponseDecodeError`` naming ``key`` of ``item`` (its index in a list answer)."""
    value = answer.value
    where = answer.where
    if isinstance(value, list):
        where = f"{where}[{next(i for i, x in enumerate(value) if x is item)}]"
    raise ResponseDecodeError(
        f"Unexpected response from the server: required field missing at {where}.{key}",
        answer.status_code,
        field=f"{where}.{key}",
    )


class Resource:
    """Base of the sub-clients (``cp.apps``, ``cp.releases``, ...)."""

    def __init__(self, requester: Requester) -> None:
        self._requester = requester

    def _decode(self, answer: Answer, tp: type[T]) -> T:
        if answer.value is MISSING:
            raise missing_value_error(
                answer.where, answer.status_code, answer.content, self._requester.secrets
            )
        _check_required(answer)
        return decode(answer.value, tp, where=answer.where, status_code=answer.status_code)

    async def _get(
        self,
        tp: type[T],
        operation: str,
        params: Params | None = None,
        body: Mapping[str, Any] | None = None,
        *,
        stream: StreamingContent | None = None,
        timeout: Timeouts | None = None,
        read_back: Callable[[], Awaitable[T]] | None = None,
        required: tuple[str, ...] = (),
        resend: bool = True,
    ) -> T:
        """Call ``operation`` and decode its value as ``tp``.

        A success answer without its value, or whose object lacks a ``required`` field
        (the community server answers writes with ``ok``, ``{"msg": ...}`` or partial
        objects), is read back with ``read_back`` when given; otherwise it is a
        ``ResponseDecodeError``. ``resend`` is the request loop's (see ``Requester.call``).
        """
        answer = await self._requester.call(
            operation, params, body, stream=stream, timeout=timeout, resend=resend
        )
        if read_back is not None and self._requester.flavor != OFFICIAL and (
            answer.value is MISSING
            or (isinstance(answer.value, dict) and not all(k in answer.value for k in required))
        ):
            self._requester.learn_flavor(COMMUNITY)
            return await read_back()
        return self._decode(answer, tp)

    async def _get_optional(
        self,
        tp: type[T],
        operation: str,
        params: Params | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> T | None:
        """Like ``_get``, but an answer without a value (204, JSON null) is ``None``."""
        answer = await self._requester.call(operation, params, body)
        if answer.value is None or answer.value is MISSING:
            return None
        return self._decode(answer, tp)

    async def _send(
        self,
        operation: str,
        params: Params | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> None:
        """Call an operation whose answer carries no value (204, ``Created``)."""
        await self._requester.call(operation, params, body)

    async def _get_or_find(
        self,
        tp: type[T],
        operation: str,
        params: Params,
        find: Callable[[], Awaitable[T]],
    ) -> T:
        """Get one item directly, or find it in its list where the server cannot say.

        The ``/api/v1`` dialect has no such endpoints; the community server lacks some
        (404 ``Not Found``) and answers others with a placeholder (``{"isFulfilled": false}``).
        """
        if self._requester.flavor == COMMUNITY or not self._requester.supports(operation):
            return await find()
        try:
            answer = await self._requester.call(operation, params)
        except NotFoundError as error:
            if self._requester.flavor == OFFICIAL or not is_missing_route(error):
                raise
            self._requester.learn_flavor(COMMUNITY)
            return await find()
        if self._requester.flavor != OFFICIAL and isinstance(answer.value, dict) and (
            "isFulfilled" in answer.value
        ):
            self._requester.learn_flavor(COMMUNITY)
            return await find()
        return self._decode(answer, tp)

    async def _send_if_supported(
        self, operation: str, params: Params, body: Mapping[str, Any] | None, what: str
    ) -> Answer:
        """Call an operation the community server lacks, saying so clearly if it does."""
        message = f"{what} is not supported by this server (the community code-push-server)"
        if self._requester.flavor == COMMUNITY:
            raise UnsupportedOperationError(message)
        try:
            return await self._requester.call(operation, params, body)
        except NotFoundError as error:
            if self._requester.flavor == OFFICIAL or not is_missing_route(error):
                raise
            self._requester.learn_flavor(COMMUNITY)
            raise UnsupportedOperationError(message) from error

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"
