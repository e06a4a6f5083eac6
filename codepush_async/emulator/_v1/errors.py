"""The ``/api/v1`` error envelope ``{"error": {"code", "message", "details"}}`` (docs/v1-wire.md).

Handlers raise ``V1Error``; the shared business rules raise the classic ``HTTPError``
(status and message only), which ``V1Error.from_rule`` turns into an envelope.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from starlette.responses import Response

from .._classic.validation import FieldError
from .._classic.wire import HTTPError, json_response

CODES = {
    400: "InvalidParameter",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    413: "PayloadTooLarge",
    429: "TooManyRequests",
    500: "InternalError",
}
MSG_INVALID_PARAMETER = "The specified parameter is invalid"
MSG_TOO_MANY = "Too many requests, please try again later."
MSG_INTERNAL = "An internal server error occurred."
_FAULT_MESSAGES = {
    429: MSG_TOO_MANY,
    503: "The CodePush server temporarily timed out. Please try again.",
}


def error_code(status: int) -> str:
    """The envelope code of a status: the documented ones, else the reason phrase in PascalCase
    (``503`` -> ``ServiceUnavailable``) for statuses the contract does not list."""
    if status in CODES:
        return CODES[status]
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return "Error"
    return "".join(word[:1].upper() + word[1:] for word in phrase.replace("-", " ").split())


def envelope(status: int, message: str, details: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {
        "error": {"code": error_code(status), "message": message, "details": dict(details or {})}
    }


class V1Error(Exception):
    """An error answer of the v1 dialect; ``details`` is always an object (maybe empty)."""

    def __init__(self, status: int, message: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = dict(details or {})

    @classmethod
    def from_rule(cls, exc: HTTPError) -> V1Error:
        """A shared rule's refusal (status and message) as an envelope error."""
        return cls(exc.status, exc.message)

    def response(self) -> Response:
        return json_response(envelope(self.status, self.message, self.details), status=self.status)


def invalid_parameter(parameter: str, reason: str) -> V1Error:
    """400 ``InvalidParameter`` naming the field, as the contract's validation errors do."""
    return V1Error(400, MSG_INVALID_PARAMETER, {"parameter": parameter, "reason": reason})


def raise_field_errors(errors: list[FieldError]) -> None:
    """Raise the first of the shared validators' field errors, if any."""
    if errors:
        raise invalid_parameter(errors[0]["field"], errors[0]["message"])


def fault_body(status: int) -> bytes:
    """The default body of a canned fault answer (``emu.fail_next``) in the v1 dialect."""
    try:
        message = _FAULT_MESSAGES.get(status) or HTTPStatus(status).phrase
    except ValueError:
        message = "Error"
    return json.dumps(envelope(status, message), separators=(",", ":")).encode("utf-8")
