"""A string whose repr is redacted, for the access key and the header that carries it.

Tracebacks with locals (``pytest --showlocals``, rich, IPython verbose mode) print
``repr()`` of every local; holding the key in a ``Secret`` keeps it out of them, while
it still goes on the wire as the plain string it is.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Secret", "redacted"]


class Secret(str):
    """A ``str`` that prints as ``'***'`` in reprs (its value is unchanged)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'***'"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Secret, (str(self),))


def redacted(value: Any) -> Any:
    """``value`` as a ``Secret`` if it is a string, else unchanged (for the checks to refuse)."""
    return Secret(value) if isinstance(value, str) else value
