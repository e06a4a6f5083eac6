"""Request bodies of the ``/api/v1`` dialect: strict JSON objects, validated field by field.

Malformed or non-object JSON is a 400 naming ``body`` (the classic dialect treats it as ``{}``).
Field rules are the shared classic validators, plus the few fields only v1 has.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from starlette.requests import Request

from .._classic.validation import Validator, validate
from .._node.body_parser import read_limited
from .._store import COLLABORATOR
from .errors import V1Error, invalid_parameter, raise_field_errors

JSON_BODY_LIMIT = 100 * 1024
MAX_TTL_MS = 100 * 365 * 24 * 60 * 60 * 1000
"""A century: token expiry must stay an ISO-8601 date (year <= 9999)."""
_JSON_TYPES = ("application/json", "")


async def json_body(request: Request) -> dict[str, Any]:
    """The body as a JSON object (``{}`` when empty); 400 when it is not one, 413 when large."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await read_limited(request, JSON_BODY_LIMIT)
    if raw is None:
        raise V1Error(413, f"The request body is larger than {JSON_BODY_LIMIT} bytes.")
    if not raw.strip():
        return {}
    if content_type not in _JSON_TYPES and not content_type.endswith("+json"):
        raise invalid_parameter("body", "The request body must be JSON (application/json).")
    try:
        parsed = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except ValueError:
        raise invalid_parameter("body", "The request body is not valid JSON.") from None
    if not isinstance(parsed, dict):
        raise invalid_parameter("body", "The request body must be a JSON object.")
    return parsed


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def check(
    body: Mapping[str, object],
    validators: Sequence[tuple[str, Validator]],
    required: Collection[str] = (),
) -> None:
    """Validate fields in order; the first failure becomes the 400 answer."""
    raise_field_errors(validate(body, validators, required))


def is_text(value: object) -> bool:
    """A non-empty string of at most 1000 characters (platforms, e-mail addresses)."""
    return isinstance(value, str) and 0 < len(value) <= 1000


def is_collaborator_permission(value: object) -> bool:
    """Only ``Collaborator`` can be granted (ownership moves by transfer, not supported in v1)."""
    return value == COLLABORATOR


def is_token_ttl(value: object) -> bool:
    """A whole number of milliseconds, at least 1 and at most :data:`MAX_TTL_MS`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        return False
    return 0 < value <= MAX_TTL_MS
