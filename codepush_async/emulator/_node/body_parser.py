"""Reading a request body under a size limit, as Express's body-parser does: a declared
``Content-Length`` over the limit is refused unread, a longer body stops being read at the limit."""

from __future__ import annotations

from contextlib import aclosing

from starlette.requests import Request


def declared_length(request: Request) -> int | None:
    """The ``Content-Length`` header as a number, None when absent or not a number."""
    value = request.headers.get("content-length", "").strip()
    return int(value) if value.isdigit() else None


async def read_limited(request: Request, limit: int) -> bytes | None:
    """The whole body, or None once it is known to be longer than ``limit`` bytes (the rest is
    left unread, so a hostile body costs at most ``limit`` bytes of memory)."""
    declared = declared_length(request)
    if declared is not None and declared > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async with aclosing(request.stream()) as stream:
        async for chunk in stream:
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
    return b"".join(chunks)
