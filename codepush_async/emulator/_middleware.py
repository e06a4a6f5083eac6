"""The outermost ASGI layer: records every request and applies armed fault rules."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, unquote_plus

import anyio
import anyio.lowlevel
import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._faults import (
    ABORT_EXTENSION,
    IN_PROCESS,
    ConnectionDropped,
    FaultBook,
    FaultKind,
    FaultRule,
    ReadTimedOut,
)
from ._node.headers import encoded_headers, first_invalid_header

logger = logging.getLogger("codepush_async.emulator")


@dataclass
class RecordedRequest:
    """A request as the emulator received it, and what became of it.

    ``handled`` says whether the route handler ran (the server acted); ``delivered`` whether the
    client received an answer; ``aborted`` whether the client went away before the body ended
    (such a request is recorded and never handled; it spends no fault rule, unless a rule that
    runs the handler met a body longer than ``PREFETCH``, which streams to the handler);
    ``status`` is the answer's status (the handler's, or a canned fault's), None when nothing
    was answered; ``fault`` names the fault rule that applied. ``body`` holds at most the
    emulator's ``request_body_limit`` first bytes; ``body_size`` is the size read, which for a
    body refused before its end (401, 413) is only what was read before refusing.
    """

    method: str
    path: str
    query: str
    headers: httpx.Headers
    body: bytes
    status: int | None = None
    handled: bool = False
    delivered: bool = False
    fault: str | None = None
    body_size: int | None = None
    aborted: bool = False

    def __post_init__(self) -> None:
        if self.body_size is None:
            self.body_size = len(self.body)

    @property
    def body_truncated(self) -> bool:
        """Whether ``body`` is only the first bytes of what was received."""
        return self.body_size is not None and self.body_size > len(self.body)

    @property
    def decoded_path(self) -> str:
        """The path with percent-escapes decoded (``/apps/My App``)."""
        return unquote(self.path)

    def json(self) -> Any:
        """The body parsed as JSON."""
        if self.body_truncated:
            raise ValueError(
                f"only {len(self.body)} of the body's {self.body_size} bytes were recorded "
                "(raise the emulator's request_body_limit)"
            )
        return json.loads(self.body)


def redacted_query(query: str) -> str:
    """``query`` with each ``access_token`` value (the key, as the classic server takes it
    in a URL) replaced by ``***``: the log never keeps a key (its headers hide theirs)."""
    return "&".join(_redacted_param(part) for part in query.split("&"))


def _redacted_param(part: str) -> str:
    name, equals, _ = part.partition("=")
    return f"{name}=***" if equals and unquote_plus(name) == "access_token" else part


class RequestLog(list[RecordedRequest]):
    """A list of the ``maxlen`` most recent requests (all of them when ``maxlen`` is None)."""

    def __init__(self, maxlen: int | None = None) -> None:
        super().__init__()
        self.maxlen = maxlen

    def append(self, record: RecordedRequest) -> None:
        """Add ``record``, forgetting the oldest beyond ``maxlen``."""
        if self.maxlen is None:
            super().append(record)
            return
        if len(self) >= self.maxlen:
            del self[: len(self) - self.maxlen + 1]
        if self.maxlen:
            super().append(record)


PREFETCH = 64 * 1024
"""Body bytes read before the handler runs (a body that ends within them is whole or aborted
before any handler sees it); a longer body streams to the handler, which authenticates first."""


class _Body:
    """The request body as the handler receives it: the first ``PREFETCH`` bytes read ahead,
    the rest streamed through, the first ``limit`` bytes and the size recorded on the way.

    A disconnect (or an error of the request stream, in process) before the body ends marks the
    record aborted; the error is kept to be raised once the handler has returned.
    """

    def __init__(self, receive: Receive, record: RecordedRequest, limit: int | None) -> None:
        self._receive = receive
        self._record = record
        self._limit = limit
        self._kept: list[bytes] = []
        self._kept_size = 0
        self._ahead: Message | None = None
        self.ended = False
        self.error: BaseException | None = None

    async def prefetch(self) -> None:
        chunks: list[bytes] = []
        more = True
        while more and not self._record.aborted and self._record_size() < PREFETCH:
            message = await self._next()
            chunks.append(message.get("body", b""))
            more = message["type"] == "http.request" and bool(message.get("more_body"))
        self._ahead = {"type": "http.request", "body": b"".join(chunks), "more_body": more}

    async def drain(self) -> None:
        """Read the rest of the body, recording it but handing it to no one."""
        while not self.ended and not self._record.aborted:
            await self._next()

    async def receive(self) -> Message:
        """The ASGI ``receive`` of the handler."""
        if self._ahead is not None:
            message, self._ahead = self._ahead, None
            return message
        if self._record.aborted:
            return {"type": "http.disconnect"}
        return await self._next()  # after the body: the server's own wait for a disconnect

    async def _next(self) -> Message:
        try:
            message = await self._receive()
        except BaseException as exc:
            self.error = exc
            self._record.aborted = True
            raise
        if message["type"] != "http.request":
            self._record.aborted = not self.ended
            return message
        self._keep(message.get("body", b""))
        self.ended = not message.get("more_body", False)
        return message

    def _record_size(self) -> int:
        return self._record.body_size or 0

    def _keep(self, chunk: bytes) -> None:
        self._record.body_size = self._record_size() + len(chunk)
        room = len(chunk) if self._limit is None else self._limit - self._kept_size
        if room > 0 and chunk:
            self._kept.append(chunk[:room])
            self._kept_size += min(room, len(chunk))

    def finish(self) -> None:
        """Store the kept bytes in the record."""
        self._record.body = b"".join(self._kept)


def _answers_unread(rule: FaultRule | None) -> bool:
    """Whether the rule answers without running the handler (so nothing reads the body)."""
    return rule is not None and rule.kind in (FaultKind.RESPOND, FaultKind.DROP_BEFORE)


def _internal_error(problem: str) -> list[Message]:
    """The 500 sent instead of an answer whose headers are not valid HTTP."""
    body = f"Internal Server Error: the emulator refused to send an {problem}".encode(
        "utf-8", "backslashreplace"
    )
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", b"%d" % len(body)),
    ]
    return [
        {"type": "http.response.start", "status": 500, "headers": headers},
        {"type": "http.response.body", "body": body},
    ]


class EmulatorMiddleware:
    """Records requests into ``log`` (bodies cut to ``body_limit`` bytes unless None) and
    applies the first matching rule of ``faults``."""

    def __init__(
        self,
        app: ASGIApp,
        faults: FaultBook,
        log: RequestLog,
        body_limit: int | None = None,
    ) -> None:
        self.app = app
        self.faults = faults
        self.log = log
        self.body_limit = body_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
        record = RecordedRequest(
            method=scope["method"],
            path=raw_path.split(b"?", 1)[0].decode("latin-1"),
            query=redacted_query(scope.get("query_string", b"").decode("latin-1")),
            headers=httpx.Headers(
                [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
            ),
            body=b"",
        )
        body = _Body(receive, record, self.body_limit)
        try:
            await body.prefetch()
            if _answers_unread(self.faults.peek(record.method, record.path)):
                await body.drain()  # a canned answer comes after the whole request, as before
        finally:
            body.finish()
            self.log.append(record)
        if record.aborted:
            # A handler given the part that arrived would act on a request nobody sent.
            return
        try:
            await self._answer(scope, body.receive, send, record)
        finally:
            body.finish()
        if body.error is not None:
            raise body.error

    async def _answer(
        self, scope: Scope, receive: Receive, send: Send, record: RecordedRequest
    ) -> None:
        """Run the handler, or play the first fault rule matching the request."""
        rule = self.faults.take(record.method, record.path)
        if rule is None:
            await self._run(scope, receive, send, record, deliver=True)
            return
        record.fault = rule.kind.value
        if rule.kind is FaultKind.RESPOND:
            await self._respond(rule, send, record)
        elif rule.kind is FaultKind.RESPOND_AFTER:
            await self._run(scope, receive, send, record, deliver=False)
            await self._respond(rule, send, record)
        elif rule.kind is FaultKind.DROP_BEFORE:
            await self._drop(scope, send, after_handler=False)
        elif rule.kind is FaultKind.DROP_AFTER:
            await self._run(scope, receive, send, record, deliver=False)
            await self._drop(scope, send, after_handler=True)
        else:
            await self._delay(rule, scope, receive, send, record)

    async def _run(
        self, scope: Scope, receive: Receive, send: Send, record: RecordedRequest, *, deliver: bool
    ) -> list[Message]:
        """Run the handler; forward its messages when ``deliver``, else keep them."""
        kept: list[Message] = []
        refused = False

        async def capture(message: Message) -> None:
            nonlocal refused
            if refused or record.aborted:
                return  # an aborted request has nobody to answer
            if message["type"] == "http.response.start":
                problem = first_invalid_header(message.get("headers", []))
                if problem is not None:
                    # Served, h11 would drop the connection; answer 500 in both modes instead.
                    logger.error("codepush emulator: refused to send %s", problem)
                    refused = True
                    for replacement in _internal_error(problem):
                        await capture_valid(replacement)
                    return
            await capture_valid(message)

        async def capture_valid(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = message["status"]
            if deliver:
                await send(message)
                if message["type"] == "http.response.body" and not message.get("more_body"):
                    record.delivered = True
            else:
                kept.append(message)

        record.handled = True
        await self.app(scope, receive, capture)
        if record.aborted:
            # The body never ended: the handler refused to act on a part of it.
            record.handled = False
        return kept

    async def _respond(self, rule: FaultRule, send: Send, record: RecordedRequest) -> None:
        headers = encoded_headers(rule.headers)
        if not any(k == b"content-type" for k, _ in headers) and rule.body:
            headers.append((b"content-type", b"text/html; charset=utf-8"))
        headers.append((b"content-length", str(len(rule.body)).encode()))
        record.status = rule.status
        await send({"type": "http.response.start", "status": rule.status, "headers": headers})
        await send({"type": "http.response.body", "body": rule.body})
        record.delivered = True

    async def _drop(self, scope: Scope, send: Send, *, after_handler: bool) -> None:
        if IN_PROCESS.get() is not None:
            raise ConnectionDropped(after_handler)
        abort = scope.get("extensions", {}).get(ABORT_EXTENSION)
        if callable(abort):
            abort()
            for _ in range(3):
                await anyio.lowlevel.checkpoint()
            return
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]}
        )

    async def _delay(
        self, rule: FaultRule, scope: Scope, receive: Receive, send: Send, record: RecordedRequest
    ) -> None:
        call = IN_PROCESS.get()
        times_out = (
            call is not None and call.read_timeout is not None and rule.delay > call.read_timeout
        )
        if times_out:
            if not rule.before_handler:
                await self._run(scope, receive, send, record, deliver=False)
            raise ReadTimedOut
        if rule.before_handler:
            await anyio.sleep(rule.delay)
            await self._run(scope, receive, send, record, deliver=True)
            return
        kept = await self._run(scope, receive, send, record, deliver=False)
        await anyio.sleep(rule.delay)
        for message in kept:
            await send(message)
        record.delivered = True
