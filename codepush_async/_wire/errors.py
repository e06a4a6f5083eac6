"""Map an error response to its typed ``CodePushError``, keeping the server's own words."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from http import HTTPStatus
from typing import Any

from .._exceptions import (
    AlreadyExistsError,
    APIStatusError,
    BadRequestError,
    ConflictError,
    FieldError,
    ForbiddenError,
    IdenticalReleaseError,
    NotFoundError,
    PayloadTooLargeError,
    RateLimitError,
    RolloutInProgressError,
    RolloutUpdateError,
    ServerError,
    UnauthorizedError,
)
from .._models.secret import redact
from .codec import WireResponse, parse_json
from .flavors import class_for_406
from .time_headers import header_int, parse_retry_after, reset_epoch, server_now

__all__ = ["conflict_class", "error_from_response"]

_BY_STATUS: Mapping[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    429: RateLimitError,
}

# The cause of a conflict, from the official server's 409 texts and the community server's
# 406 texts (first match wins: "unfinished rollout ... already disabled" and "rollback ...
# already the latest release" are not name clashes).
_CONFLICT_CAUSES: tuple[tuple[re.Pattern[str], type[ConflictError]], ...] = (
    (re.compile(r"\bidentical\b", re.I), IdenticalReleaseError),
    (re.compile(r"100% rollout before|to an unfinished rollout", re.I), RolloutInProgressError),
    (re.compile(r"\brollout value\b", re.I), RolloutUpdateError),
    (re.compile(r"\brollback\b|remove the owner|can't delete yourself", re.I), ConflictError),
    (re.compile(r"\balready (exists?|owns|is|a collaborator)\b|\bexist!|\bdoes exist\b|"
                r"transfer to yourself", re.I), AlreadyExistsError),
)

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_MAX_MESSAGE = 1000


def conflict_class(message: str) -> type[ConflictError]:
    """The ``ConflictError`` subclass a conflict's text names; unknown texts keep the base."""
    for pattern, cls in _CONFLICT_CAUSES:
        if pattern.search(message):
            return cls
    return ConflictError


def _status_class(status: int) -> type[APIStatusError]:
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ServerError if status >= 500 else APIStatusError


def _plain_text(content: bytes) -> str:
    text = content.decode("utf-8", errors="replace").strip()
    if text[:1] == "<" and _TAG.search(text):
        text = _SPACE.sub(" ", html.unescape(_TAG.sub(" ", text))).strip()
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE] + "..."


def _field_errors(payload: Any) -> list[FieldError]:
    if not isinstance(payload, list):
        return []
    errors = []
    for item in payload:
        if isinstance(item, dict) and isinstance(item.get("field"), str):
            errors.append(FieldError(item["field"], str(item.get("message", ""))))
    return errors


def _envelope(error: dict[str, Any], text: str) -> tuple[str, list[FieldError], str | None]:
    """``{"error": {"code", "message", "details": {"parameter", "reason"}}}`` (/api/v1)."""
    message = error.get("message")
    code = error.get("code")
    details = error.get("details")
    fields = []
    if isinstance(details, dict) and isinstance(details.get("parameter"), str):
        fields.append(FieldError(details["parameter"], str(details.get("reason", ""))))
    return (
        message if isinstance(message, str) and message else text,
        fields,
        code if isinstance(code, str) else None,
    )


def _parse_error(content: bytes) -> tuple[str, list[FieldError], str | None]:
    """The message, the field errors and the error code of an error body."""
    text = _plain_text(content)
    try:
        payload = parse_json(content)
    except ValueError:
        return text, [], None
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        return _envelope(payload["error"], text)
    if isinstance(payload, dict) and isinstance(payload.get("message"), str):
        return payload["message"], [], None
    return text, _field_errors(payload), None


def _parse_redacted(
    content: bytes, secrets: Iterable[str]
) -> tuple[str, list[FieldError], str | None]:
    """``_parse_error`` with every secret replaced in each text it returns."""
    message, fields, code = _parse_error(content)
    return (
        redact(message, secrets),
        [FieldError(redact(f.field, secrets), redact(f.message, secrets)) for f in fields],
        None if code is None else redact(code, secrets),
    )


def _utc(epoch: float | None) -> datetime | None:
    if epoch is None:
        return None
    try:
        return datetime.fromtimestamp(epoch, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def error_from_response(
    response: WireResponse,
    *,
    now: float,
    secrets: Iterable[str] = (),
) -> APIStatusError:
    """The typed error for a non-2xx ``response``."""
    status = response.status_code
    secrets = tuple(secrets)
    message, fields, code = _parse_redacted(response.content, secrets)
    body = redact(_plain_text(response.content), secrets)
    if not message:
        try:
            message = HTTPStatus(status).phrase
        except ValueError:
            message = f"HTTP {status}"
    headers = response.headers
    if status == 406:  # the community server's one status for every business error
        cls406 = class_for_406(message)
        if cls406 is ConflictError:
            cls406 = conflict_class(message)
        return cls406(message, headers=headers, http_status=406, body=body)
    cls = _status_class(status)
    if cls is ConflictError:
        cls = conflict_class(message)
    # A class found by its status has that status as its default: only the others need it.
    if cls is BadRequestError:
        return BadRequestError(message, headers=headers, body=body, field_errors=fields, code=code)
    if cls is RateLimitError:
        return RateLimitError(
            message,
            headers=headers,
            body=body,
            code=code,
            retry_after=parse_retry_after(headers, now),
            limit=header_int(headers, "x-ratelimit-limit"),
            remaining=header_int(headers, "x-ratelimit-remaining"),
            reset_at=_utc(reset_epoch(headers, server_now(headers, now))),
        )
    return cls(message, status, headers=headers, body=body, code=code)
