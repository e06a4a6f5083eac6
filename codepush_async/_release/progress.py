"""Upload progress: a body wrapper that reports ``(sent, total)`` as chunks go out."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable

from .._wire.codec import StreamingContent

__all__ = ["ProgressCallback", "with_progress"]

ProgressCallback = Callable[[int, int], Awaitable[None] | None]


class _ProgressContent:
    def __init__(self, inner: StreamingContent, callback: ProgressCallback) -> None:
        self._inner = inner
        self._callback = callback
        self._reported = -1  # a resend (retry) restarts the stream; reports never go back

    @property
    def content_type(self) -> str:
        return self._inner.content_type

    @property
    def length(self) -> int:
        return self._inner.length

    async def stream(self) -> AsyncIterator[bytes]:
        total = self._inner.length
        sent = 0
        await self._report(0, total)
        async for chunk in self._inner.stream():
            yield chunk
            sent += len(chunk)
            await self._report(sent, total)

    async def _report(self, sent: int, total: int) -> None:
        if sent <= self._reported:
            return
        self._reported = sent
        result = self._callback(sent, total)
        if inspect.isawaitable(result):
            await result


def with_progress(
    content: StreamingContent, callback: ProgressCallback | None
) -> StreamingContent:
    """``content`` reporting to ``callback`` (sync or async); unchanged if there is none."""
    if callback is None:
        return content
    if not callable(callback):
        raise ValueError(f"on_progress must be callable, got {type(callback).__name__}")
    return _ProgressContent(content, callback)
