"""Request validation of the classic dialect: the server's field rules and error objects."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence

from .._node import semver as _semver
from .._node.coercion import js_len, js_string

FieldError = dict[str, str]
Validator = Callable[[object], bool]

_KEY_CHARS = re.compile(r"^[a-zA-Z0-9_-]+\Z")
_NAME_FORBIDDEN = re.compile(r"[\\/?:\x00-\x1f\x7f-\x9f]")
_LABEL = re.compile(r"^v[1-9][0-9]*$")
_ROLLOUT = re.compile(r"^(100|[1-9][0-9]|[1-9])$")


def _string(max_length: int, min_length: int = 0) -> Validator:
    def check(value: object) -> bool:
        if not isinstance(value, str):
            return False
        length = js_len(value)
        return length <= max_length and length >= min_length

    return check


def is_valid_key(value: object) -> bool:
    """Access keys and deployment keys: 10-100 characters of ``[A-Za-z0-9_-]``."""
    return _string(100, 10)(value) and bool(_KEY_CHARS.match(str(value)))


def is_valid_name(value: object) -> bool:
    """App and deployment names: 1-1000 characters, no ``\\ / ? :`` or control characters."""
    return _string(1000, 1)(value) and not _NAME_FORBIDDEN.search(str(value))


is_valid_friendly_name = _string(10000, 1)
is_valid_description = _string(10000)


def is_valid_bool(value: object) -> bool:
    return isinstance(value, bool)


def is_valid_label(value: object) -> bool:
    return isinstance(value, str) and bool(_LABEL.match(value))


def is_valid_rollout(value: object) -> bool:
    """1-100 after ``String()`` coercion, as the server's regular expression tests it."""
    return bool(_ROLLOUT.match(js_string(value)))


def rollout_value(value: object) -> int:
    """The integer of a rollout that passed ``is_valid_rollout``."""
    return int(js_string(value))


def is_valid_app_version_range(value: object) -> bool:
    return _semver.valid_range(value) is not None


def _ttl(allow_zero: bool) -> Validator:
    def check(value: object) -> bool:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return False
        if isinstance(value, float) and math.isnan(value):
            return False
        return value >= 0 and (value != 0 or allow_zero)

    return check


def validate(
    obj: Mapping[str, object],
    validators: Sequence[tuple[str, Validator]],
    required: Collection[str] = (),
) -> list[FieldError]:
    """Check fields in order: a defined (non-null) field must pass, a required one must exist."""
    errors: list[FieldError] = []
    for name, check in validators:
        value = obj.get(name)
        if value is not None:
            if not check(value):
                errors.append({"field": name, "message": "Field is invalid"})
        elif name in required:
            errors.append({"field": name, "message": "Field is required"})
    return errors


def validate_access_key_request(request: Mapping[str, object], is_update: bool) -> list[FieldError]:
    validators: list[tuple[str, Validator]] = [
        ("friendlyName", is_valid_friendly_name),
        ("ttl", _ttl(allow_zero=is_update)),
    ]
    required: list[str] = []
    if not is_update:
        validators.append(("name", is_valid_key))
        required = ["name", "friendlyName"]
    return validate(request, validators, required)


def validate_app(app: Mapping[str, object], is_update: bool) -> list[FieldError]:
    return validate(app, [("name", is_valid_name)], () if is_update else ("name",))


def validate_deployment(deployment: Mapping[str, object], is_update: bool) -> list[FieldError]:
    return validate(
        deployment,
        [("name", is_valid_name), ("key", is_valid_key)],
        () if is_update else ("name",),
    )


def validate_package_info(info: Mapping[str, object], all_optional: bool) -> list[FieldError]:
    return validate(
        info,
        [
            ("appVersion", is_valid_app_version_range),
            ("description", is_valid_description),
            ("label", is_valid_label),
            ("isDisabled", is_valid_bool),
            ("isMandatory", is_valid_bool),
            ("rollout", is_valid_rollout),
        ],
        () if all_optional else ("appVersion",),
    )
