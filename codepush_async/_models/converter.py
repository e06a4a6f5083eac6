"""The one cattrs converter factory for every model: camelCase on the wire, snake_case in Python.

Unknown wire fields are ignored; a value that does not fit raises a cattrs error naming
the field, never a bare ``KeyError``/``TypeError``. The hooks particular to one model's
wire shape are added by ``_wire.decode``; ``export`` builds ``to_dict()`` on it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from datetime import datetime, timezone
from typing import Any, get_args, get_origin

import attrs
import cattrs
from cattrs.cols import (
    homogenous_tuple_structure_factory,
    is_mapping,
    list_structure_factory,
    mapping_structure_factory,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from .fastdecode import fast_structure_factory, optional_inner

__all__ = ["add_fast_structuring", "json_kind", "make_converter", "require_object", "to_camel"]


def to_camel(name: str) -> str:
    """``is_mandatory`` -> ``isMandatory``."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def json_kind(value: Any) -> str:
    """The JSON type an error message names: never the value, since an answer may carry
    a secret (a new access key) in any field, nor its redacting type."""
    if value is None:
        return "null"
    return "str" if isinstance(value, str) else type(value).__name__


def _structure_datetime(value: Any, _: type) -> datetime:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise TypeError(f"expected epoch milliseconds or ISO-8601, got {json_kind(value)}")
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
        raise TypeError(f"expected a string, got {json_kind(value)}")
    return value


def _structure_bool(value: Any, _: type) -> bool:
    if isinstance(value, bool):
        return value
    if value in (0, 1) and isinstance(value, int):
        return bool(value)
    raise TypeError(f"expected a boolean, got {json_kind(value)}")


def _structure_int(value: Any, _: type) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value != int(value)
    ):
        raise TypeError(f"expected an integer, got {json_kind(value)}")
    return int(value)


def require_object(value: Any) -> None:
    """A JSON object, or ``TypeError`` naming what came instead."""
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {json_kind(value)}")


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
                raise TypeError(f"expected a list, got {json_kind(value)}")
            return base(value, cls)

        return structure

    return factory


def _strict_mapping_factory(conv: cattrs.Converter) -> Callable[[Any], Callable[..., Any]]:
    """Dicts accept a JSON object only (a string or a list has no ``items()``)."""

    def factory(tp: Any) -> Callable[..., Any]:
        base = mapping_structure_factory(tp, conv)

        def structure(value: Any, cls: Any) -> Any:
            require_object(value)
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
                raise TypeError(f"expected a string, got {json_kind(value)}")

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
            require_object(value)
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


def make_converter(*, detailed: bool = True) -> cattrs.Converter:
    """A converter with the strict scalar, collection and camelCase model hooks.

    ``detailed=False`` drops cattrs' per-field error bookkeeping (a faster first try).
    """
    conv = cattrs.Converter(detailed_validation=detailed, forbid_extra_keys=False)
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
    conv.register_unstructure_hook_factory(attrs.has, _camel_unstructure_factory(conv))
    return conv


def add_fast_structuring(
    conv: cattrs.Converter,
    classes: Collection[Any],
    *,
    null_default: Mapping[type, Collection[str]],
) -> None:
    """Generated structuring for ``classes`` (see ``fastdecode``), with this module's hooks."""
    conv.register_structure_hook_factory(
        *fast_structure_factory(
            conv,
            classes,
            wire_name=to_camel,
            exact={str: _structure_str, int: _structure_int, bool: _structure_bool},
            datetime_hook=_structure_datetime,
            null_default=null_default,
        )
    )
