"""Fault rules tests arm on the emulator: canned answers, dropped connections and delays."""

from __future__ import annotations

import contextvars
import threading
from dataclasses import dataclass, field
from enum import Enum
from urllib.parse import unquote

from ._node.headers import encoded_headers

ABORT_EXTENSION = "codepush_emulator.abort"
"""ASGI scope extension (set by the emulator's uvicorn protocol) that aborts the TCP connection."""


class FaultKind(Enum):
    """What a fault rule does to a matching request."""

    RESPOND = "respond"
    """Answer with a canned status/headers/body; the handler never runs."""
    RESPOND_AFTER = "respond-after"
    """Run the handler (the server acts), then answer with the canned status/headers/body
    instead of its answer: the official server's 500 after storing a non-Latin-1 name."""
    DROP_BEFORE = "drop-before"
    """Drop the connection before the handler runs: the server never acted."""
    DROP_AFTER = "drop-after"
    """Run the handler, then drop the connection: the server acted, the client gets nothing."""
    DELAY = "delay"
    """Delay the answer; in-process, a delay over the read timeout becomes ``httpx.ReadTimeout``."""


@dataclass
class FaultRule:
    """One armed fault. ``times=None`` keeps it armed until removed; ``hits`` counts uses."""

    kind: FaultKind
    times: int | None = 1
    method: str | None = None
    path: str | None = None
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    before_handler: bool = False
    hits: int = 0

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times

    @property
    def remaining(self) -> int | None:
        """Uses left, or None when unlimited."""
        return None if self.times is None else max(self.times - self.hits, 0)

    def matches(self, method: str, raw_path: str) -> bool:
        if self.exhausted:
            return False
        if self.method is not None and self.method.upper() != method.upper():
            return False
        if self.path is None:
            return True
        return raw_path.startswith(self.path) or unquote(raw_path).startswith(self.path)


class FaultBook:
    """The armed rules, consulted in arming order; the first match is used up."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()

    def add(self, rule: FaultRule) -> FaultRule:
        if rule.times is not None and rule.times < 1:
            raise ValueError("times must be at least 1 (or None for unlimited)")
        encoded_headers(rule.headers)  # a header no client could receive is refused here
        with self._lock:
            self._rules.append(rule)
        return rule

    def peek(self, method: str, raw_path: str) -> FaultRule | None:
        """The rule ``take`` would use now, left armed."""
        with self._lock:
            return next((r for r in self._rules if r.matches(method, raw_path)), None)

    def take(self, method: str, raw_path: str) -> FaultRule | None:
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, raw_path):
                    rule.hits += 1
                    if rule.exhausted:
                        self._rules.remove(rule)
                    return rule
        return None

    def active(self) -> list[FaultRule]:
        with self._lock:
            return [r for r in self._rules if not r.exhausted]

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()


class ConnectionDropped(Exception):
    """Raised through the in-process transport to simulate a dropped connection."""

    def __init__(self, after_handler: bool) -> None:
        super().__init__("connection dropped by a fault rule")
        self.after_handler = after_handler


class ReadTimedOut(Exception):
    """Raised through the in-process transport to simulate a read timeout."""


@dataclass(frozen=True)
class InProcessCall:
    """Set by the in-process transport for the duration of one request."""

    read_timeout: float | None


IN_PROCESS: contextvars.ContextVar[InProcessCall | None] = contextvars.ContextVar(
    "codepush_emulator_in_process", default=None
)
