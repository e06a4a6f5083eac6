"""One cattrs converter for every model: camelCase on the wire, snake_case in Python.

Unknown wire fields are ignored; a body that does not fit raises ``ResponseDecodeError``
naming the field, never a bare ``KeyError``/``TypeError``.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, TypeVar, get_args, get_origin

import attrs
import cattrs
from cattrs.cols import (
    homogenous_tuple_structure_factory,
    is_mapping,
    list_structure_factory,
    mapping_structure_factory,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from .._exceptions import ResponseDecodeError
from .entities import AccessKey, App, CollaboratorProperties, Deployment, DiffPackage, Package
from .fastdecode import fast_structure_factory, optional_inner

__all__ = ["converter", "decode", "encode_package_info", "to_camel"]

T = TypeVar("T")

_HIDDEN_KEY = "(hidden)"


def to_camel(name: str) -> str:
    """``is_mandatory`` -> ``isMandatory``."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


# Messages name the expected type and the JSON type received, never the value: an
# answer may carry a secret (a new access key) in any field.
def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _structure_datetime(value: Any, _: type) -> datetime:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise TypeError(f"expected epoch milliseconds or ISO-8601, got {_kind(value)}")
    try:
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
        return datetime.fromtimestamp(value / 1000, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise ValueError("expected epoch milliseconds or ISO-8601 in range") from None


def _unstructure_datetime(value: datetime) -> int:
    return round(value.timestamp() * 1000)


def _structure_str(value: Any, _: type) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {_kind(value)}")
    return value


def _structure_bool(value: Any, _: type) -> bool:
    if isinstance(value, bool):
        return value
    if value in (0, 1) and isinstance(value, int):
        return bool(value)
    raise TypeError(f"expected a boolean, got {_kind(value)}")


def _structure_int(value: Any, _: type) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value != int(value)
    ):
        raise TypeError(f"expected an integer, got {_kind(value)}")
    return int(value)


def _require_object(value: Any) -> None:
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {_kind(value)}")


def _is_homogeneous_sequence(tp: Any) -> bool:
    origin = get_origin(tp)
    return origin is list or (origin is tuple and get_args(tp)[1:] == (...,))


def _strict_sequence_factory(conv: cattrs.Converter) -> Callable[[Any], Callable[..., Any]]:
    """Lists and tuples accept a JSON array only (a string is not a list of letters)."""

    def factory(tp: Any) -> Callable[..., Any]:
        if get_origin(tp) is tuple:
            base = homogenous_tuple_structure_factory(tp, conv)
        else:
            base = list_structure_factory(tp, conv)

        def structure(value: Any, cls: Any) -> Any:
            if not isinstance(value, list):
                raise TypeError(f"expected a list, got {_kind(value)}")
            return base(value, cls)

        return structure

    return factory


def _strict_mapping_factory(conv: cattrs.Converter) -> Callable[[Any], Callable[..., Any]]:
    """Dicts accept a JSON object only (a string or a list has no ``items()``)."""

    def factory(tp: Any) -> Callable[..., Any]:
        base = mapping_structure_factory(tp, conv)

        def structure(value: Any, cls: Any) -> Any:
            _require_object(value)
            return base(value, cls)

        return structure

    return factory


def _optional_factory(conv: cattrs.Converter) -> Callable[[Any], Callable[..., Any]]:
    """``X | None`` with ``X``'s hook looked up once, not on every value (the hot path)."""

    def factory(tp: Any) -> Callable[..., Any]:
        inner_tp = optional_inner(tp)
        if inner_tp is str:

            def structure_str(value: Any, _: Any) -> Any:
                if value is None or isinstance(value, str):
                    return value
                raise TypeError(f"expected a string, got {_kind(value)}")

            return structure_str
        inner = conv.get_structure_hook(inner_tp)

        def structure(value: Any, _: Any) -> Any:
            return None if value is None else inner(value, inner_tp)

        return structure

    return factory


def _camel_structure_factory(conv: cattrs.Converter) -> Callable[[type], Callable[..., Any]]:
    """Models accept a JSON object only: ``"x"`` or ``[]`` is not an all-default model."""

    def factory(cls: type) -> Callable[..., Any]:
        renames = {f.name: override(rename=to_camel(f.name)) for f in attrs.fields(cls)}
        base: Callable[..., Any] = make_dict_structure_fn(
            cls, conv, **renames  # type: ignore[arg-type]
        )

        def structure(value: Any, tp: type) -> Any:
            _require_object(value)
            return base(value, tp)

        return structure

    return factory


def _camel_unstructure_factory(conv: cattrs.Converter) -> Callable[[type], Callable[..., Any]]:
    def factory(cls: type) -> Callable[..., Any]:
        renames = {
            f.name: override(rename=to_camel(f.name), omit_if_default=True)
            for f in attrs.fields(cls)
        }
        return make_dict_unstructure_fn(cls, conv, **renames)  # type: ignore[arg-type]

    return factory


def _access_key_from_wire(conv: cattrs.Converter) -> Callable[[Any, type], AccessKey]:
    # On the wire ``name`` is the secret (or "(hidden)") and ``friendlyName`` the handle.
    base = make_dict_structure_fn(
        AccessKey,
        conv,
        name=override(rename="friendlyName"),
        key=override(rename="name"),
        created_time=override(rename="createdTime"),
        created_by=override(rename="createdBy"),
        is_session=override(rename="isSession"),
    )

    def structure(value: Any, cls: type) -> AccessKey:
        _require_object(value)
        data = dict(value)
        if "accessToken" in data:  # the /api/v1 spelling of the secret
            data["name"] = data.pop("accessToken")
        if data.get("name") == _HIDDEN_KEY:
            del data["name"]
        if data.get("friendlyName") is None and isinstance(data.get("description"), str):
            data["friendlyName"] = data["description"]
        if data.get("isSession") is None:
            data.pop("isSession", None)
        return base(data, cls)

    return structure


def _collaborators_from_wire(conv: cattrs.Converter) -> Callable[[Any, type], Any]:
    """E-mail -> properties, from the classic map or the /api/v1 list of ``{email, ...}``."""
    base = conv.get_structure_hook(dict[str, CollaboratorProperties])

    def structure(value: Any, cls: type) -> Any:
        if isinstance(value, list):
            for index, item in enumerate(value):  # a malformed entry fails, never vanishes
                _require_object(item)
                if not isinstance(item.get("email"), str):
                    raise TypeError(
                        f"expected a string email in entry {index}, got {_kind(item.get('email'))}"
                    )
            value = {
                item["email"]: {k: v for k, v in item.items() if k != "email"} for item in value
            }
        return base(value, cls)

    return structure


def _package_from_wire(conv: cattrs.Converter) -> Callable[[Any, type], Package]:
    """A null ``rollout`` is the server's spelling of 100 (a complete rollout)."""
    base = conv.get_structure_hook(Package)

    def structure(value: Any, cls: type) -> Package:
        if isinstance(value, dict) and "rollout" in value and value["rollout"] is None:
            value = {k: v for k, v in value.items() if k != "rollout"}
        return base(value, cls)  # type: ignore[no-any-return]

    return structure


def _make_converter(*, fast: bool = False) -> cattrs.Converter:
    """The converter; ``fast``: the same hooks without per-field error bookkeeping, plus
    generated structuring for the models that come in lists (see ``_fastdecode``)."""
    conv = cattrs.Converter(detailed_validation=not fast, forbid_extra_keys=False)
    conv.register_structure_hook(datetime, _structure_datetime)
    conv.register_unstructure_hook(datetime, _unstructure_datetime)
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(bool, _structure_bool)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook_factory(_is_homogeneous_sequence, _strict_sequence_factory(conv))
    conv.register_structure_hook_factory(is_mapping, _strict_mapping_factory(conv))
    conv.register_structure_hook_factory(
        lambda tp: optional_inner(tp) is not None, _optional_factory(conv)
    )
    conv.register_structure_hook_factory(attrs.has, _camel_structure_factory(conv))
    if fast:  # before the hooks below, which wrap what it generates
        conv.register_structure_hook_factory(
            *fast_structure_factory(
                conv,
                (App, CollaboratorProperties, Deployment, DiffPackage, Package,
                 dict[str, DiffPackage]),
                wire_name=to_camel,
                exact={str: _structure_str, int: _structure_int, bool: _structure_bool},
                datetime_hook=_structure_datetime,
                null_default={Package: ("rollout",)},  # what _package_from_wire does
            )
        )
    conv.register_unstructure_hook_factory(attrs.has, _camel_unstructure_factory(conv))
    conv.register_structure_hook(AccessKey, _access_key_from_wire(conv))
    collaborators = dict[str, CollaboratorProperties]
    conv.register_structure_hook_func(
        lambda tp: tp == collaborators, _collaborators_from_wire(conv)
    )
    if not fast:  # the generated hooks read a null rollout as 100 themselves
        conv.register_structure_hook(Package, _package_from_wire(conv))
    return conv


converter = _make_converter()


@functools.cache
def _fast_converter() -> cattrs.Converter:
    """Tried first by ``decode``; on any failure the detailed converter runs again to name the
    field (or, should it accept, to answer). Built on first use, not at import."""
    return _make_converter(fast=True)


def decode(payload: Any, tp: type[T], *, where: str, status_code: int) -> T:
    """Structure ``payload`` (found at ``where`` in the body) into ``tp`` or raise."""
    with contextlib.suppress(Exception):  # any failure is reported by the detailed path
        return _fast_converter().structure(payload, tp)
    try:
        return converter.structure(payload, tp)
    except (cattrs.BaseValidationError, KeyError, TypeError, ValueError) as exc:
        detail = cattrs.transform_error(exc, path=where) if isinstance(
            exc, cattrs.BaseValidationError
        ) else [f"{exc} @ {where}"]
        first = detail[0] if detail else f"invalid value @ {where}"
        reason, _, field = first.rpartition(" @ ")
        raise ResponseDecodeError(
            f"Unexpected response from the server: {reason or first} at {field or where}",
            status_code,
            field=field or where,
        ) from None


def encode_package_info(**fields: Any) -> dict[str, Any]:
    """The camelCase ``packageInfo`` object, leaving out every field that is ``None``."""
    return {to_camel(name): value for name, value in fields.items() if value is not None}
