"""What one attempt produced, and what it tells the request loop.

An attempt ends with a response or with the connection error in its place. A success
becomes an ``Answer``; a failure is judged by whether the server may have acted on it,
which decides whether a write may be sent again.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, TypeAlias, TypeGuard

import attrs

from .._exceptions import APIConnectionError, APIStatusError, CodePushError, OutcomeUnknownError
from .._wire.codec import WireRequest, WireResponse, unwrap_response
from .._wire.dialects import WHOLE_BODY, Route
from .retry import SAFE_WRITE_STATUSES

__all__ = [
    "Answer",
    "Outcome",
    "answer_from",
    "is_retryable",
    "may_have_acted",
    "outcome_unknown",
    "succeeded",
]

Outcome: TypeAlias = WireResponse | APIConnectionError


@attrs.frozen
class Answer:
    """A successful answer: the unwrapped value (or ``MISSING``), where it sat, the status.

    ``required`` are the keys its object (or each item of its list) must carry.
    """

    value: Any = attrs.field(repr=False)  # it may hold a new access key's secret
    where: str
    status_code: int
    content: bytes = attrs.field(default=b"", repr=False)
    required: tuple[str, ...] = ()


def succeeded(outcome: Outcome) -> TypeGuard[WireResponse]:
    """A 2xx response."""
    return isinstance(outcome, WireResponse) and 200 <= outcome.status_code < 300


def answer_from(route: Route, response: WireResponse) -> Answer:
    """The ``Answer`` a 2xx ``response`` to ``route`` carries."""
    return Answer(
        unwrap_response(route, response),
        "$" if route.unwrap == WHOLE_BODY else f"$.{route.unwrap}",
        response.status_code,
        b"" if route.secret_answer else response.content,
        required=route.required,
    )


def may_have_acted(
    error: CodePushError, not_acting: Collection[int] = SAFE_WRITE_STATUSES
) -> bool:
    """Whether the server may have acted on the request that ended in ``error``.

    Not when the request never reached it, nor when it answered a status of
    ``not_acting`` (by default 429 and 503); any other failure may follow a stored write.
    """
    if isinstance(error, APIConnectionError):
        return error.request_sent
    return not (isinstance(error, APIStatusError) and error.http_status in not_acting)


def is_retryable(error: CodePushError, statuses: Collection[int]) -> bool:
    """A lost connection, or a status in ``statuses``: another attempt may succeed."""
    if isinstance(error, APIConnectionError):
        return True
    return isinstance(error, APIStatusError) and error.http_status in statuses


def outcome_unknown(request: WireRequest, error: CodePushError) -> OutcomeUnknownError:
    """The error for a write that was sent and may have been acted on: never resent."""
    return OutcomeUnknownError(
        f"{request.method} {request.path} was sent but no usable answer came back "
        f"({error.message}); it may or may not have taken effect, so it was not resent.",
        error.status_code,
    )
