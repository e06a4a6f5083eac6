"""What every resource sub-client shares: the requester it calls and answer decoding."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, TypeVar

import attrs

from .._converter import decode
from .._progress import StreamingContent
from .._retry import RetryPolicy
from .._timeouts import Timeouts

__all__ = ["Answer", "Requester", "Resource"]

T = TypeVar("T")


@attrs.frozen
class Answer:
    """A successful answer: the unwrapped value, where it sat in the body, and the status."""

    value: Any
    where: str
    status_code: int


class Requester(Protocol):
    """The one thing a resource needs from the client."""

    async def _call(
        self,
        operation: str,
        params: Mapping[str, str | None] | None = None,
        body: Mapping[str, Any] | None = None,
        *,
        stream: StreamingContent | None = None,
        timeout: Timeouts | None = None,
    ) -> Answer: ...

    def _now(self) -> float: ...

    async def _sleep(self, seconds: float) -> None: ...

    @property
    def max_package_size(self) -> int: ...

    @property
    def timeouts(self) -> Timeouts: ...

    @property
    def retry_policy(self) -> RetryPolicy | None: ...


class Resource:
    """Base of the sub-clients (``cp.apps``, ``cp.releases``, ...)."""

    def __init__(self, client: Requester) -> None:
        self._client = client

    async def _get(
        self,
        tp: type[T],
        operation: str,
        params: Mapping[str, str | None] | None = None,
        body: Mapping[str, Any] | None = None,
        *,
        stream: StreamingContent | None = None,
        timeout: Timeouts | None = None,
    ) -> T:
        """Call ``operation`` and decode its value as ``tp`` (a missing value is an error)."""
        answer = await self._client._call(
            operation, params, body, stream=stream, timeout=timeout
        )
        return decode(answer.value, tp, where=answer.where, status_code=answer.status_code)

    async def _get_optional(
        self,
        tp: type[T],
        operation: str,
        params: Mapping[str, str | None] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> T | None:
        """Like ``_get``, but an empty answer (204) is ``None``."""
        answer = await self._client._call(operation, params, body)
        if answer.value is None:
            return None
        return decode(answer.value, tp, where=answer.where, status_code=answer.status_code)

    async def _send(
        self,
        operation: str,
        params: Mapping[str, str | None] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> None:
        """Call an operation whose answer carries no value (204, ``Created``)."""
        await self._client._call(operation, params, body)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"
