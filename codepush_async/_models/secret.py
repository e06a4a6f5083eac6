"""Values whose repr is redacted: the access key, a new key's secret, a signing key.

Tracebacks with locals (``pytest --showlocals``, rich, Sentry, IPython verbose mode) print
``repr()`` of every local; a secret held in one of these stays out of them, while it still
goes on the wire (or to cryptography) as the plain value it is. A slice of one is one too:
rich shows a long string as its first characters, cut by slicing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, SupportsIndex, overload
from urllib.parse import quote

__all__ = ["Secret", "SecretBytes", "redact", "redacted"]


class Secret(str):
    """A ``str`` that prints as ``'***'`` in reprs (its value is unchanged)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'***'"

    def __getitem__(self, index: SupportsIndex | slice) -> Secret:
        return Secret(str.__getitem__(self, index))

    def __reduce__(self) -> tuple[Any, ...]:
        return (Secret, (str(self),))


class SecretBytes(bytes):
    """``bytes`` that print as ``b'***'`` in reprs (key material read from PEM text or a file)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "b'***'"

    __str__ = __repr__  # str(bytes) is its repr too

    @overload
    def __getitem__(self, index: SupportsIndex) -> int: ...

    @overload
    def __getitem__(self, index: slice) -> SecretBytes: ...

    def __getitem__(self, index: SupportsIndex | slice) -> int | SecretBytes:
        if isinstance(index, slice):
            return SecretBytes(bytes.__getitem__(self, index))
        return bytes.__getitem__(self, index)

    def __reduce__(self) -> tuple[Any, ...]:
        return (SecretBytes, (bytes(self),))


def redacted(value: Any) -> Any:
    """``value`` held in a redacting type if it is text or bytes (a ``bytearray`` or
    ``memoryview`` is copied), else unchanged (for the checks to refuse)."""
    if isinstance(value, (Secret, SecretBytes)):
        return value
    if isinstance(value, str):
        return Secret(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return SecretBytes(value)
    return value


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced, as it is or as a body may spell it (JSON-escaped,
    percent-encoded), so no key reaches a message or log."""
    for secret in secrets:
        if secret:
            for spelling in _spellings(secret):
                text = text.replace(spelling, "***")
    return text


def _spellings(secret: str) -> list[str]:
    escaped = json.dumps(secret)[1:-1]
    found = {secret, escaped, escaped.replace("/", "\\/"), quote(secret, safe="")}
    return sorted(found, key=len, reverse=True)
