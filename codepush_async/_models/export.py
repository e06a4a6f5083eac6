"""``to_dict()`` for every model: the models' converter, with the unstructure side changed.

Built on first use, one converter per (names, mode), so the wire format stays its own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any, Literal

import attrs
import cattrs
from cattrs.gen import make_dict_unstructure_fn, override

from .converter import make_converter, to_camel

__all__ = ["Mode", "check_mode", "to_dict", "unstructure"]

Mode = Literal["python", "json"]
_MODES = ("python", "json")


def check_mode(mode: Any, by_alias: Any) -> None:
    if mode not in _MODES:
        raise ValueError(f"mode must be 'python' or 'json', got {mode!r}")
    if not isinstance(by_alias, bool):
        raise ValueError(f"by_alias must be a bool, got {type(by_alias).__name__}")


def _same(name: str) -> str:
    return name


@cache
def _exporter(by_alias: bool, mode: Mode) -> cattrs.Converter:
    conv = make_converter()
    rename: Callable[[str], str] = to_camel if by_alias else _same

    def attrs_factory(cls: type) -> Callable[..., Any]:
        renames = {f.name: override(rename=rename(f.name)) for f in attrs.fields(cls)}
        return make_dict_unstructure_fn(cls, conv, **renames)  # type: ignore[arg-type]

    conv.register_unstructure_hook_factory(attrs.has, attrs_factory)
    if mode == "json":
        conv.register_unstructure_hook(datetime, datetime.isoformat)
        conv.register_unstructure_hook_func(  # e.g. a failed bulk item's error
            lambda tp: isinstance(tp, type) and issubclass(tp, BaseException),
            lambda error: f"{type(error).__name__}: {error}",
        )
        conv.register_unstructure_hook_func(
            lambda tp: tp is tuple or getattr(tp, "__origin__", None) is tuple,
            lambda value: [conv.unstructure(item) for item in value],
        )
    else:
        conv.register_unstructure_hook(datetime, _same_value)
    return conv


def _same_value(value: Any) -> Any:
    return value


def unstructure(value: Any, *, by_alias: bool = False, mode: Mode = "python") -> Any:
    """Models (and lists or dicts of them) as plain dicts, lists and scalars."""
    check_mode(mode, by_alias)
    return _exporter(by_alias, mode).unstructure(value)


def to_dict(model: Any, *, by_alias: bool = False, mode: Mode = "python") -> dict[str, Any]:
    """One model as a dict (see ``_Model.to_dict``)."""
    result: dict[str, Any] = unstructure(model, by_alias=by_alias, mode=mode)
    return result
