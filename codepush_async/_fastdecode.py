"""Generated structuring functions for the models that come in long lists (history, apps).

The fast converter uses them; they accept a subset of what the detailed converter accepts and
build the same values, so ``decode`` can try them first and let the detailed converter name
the field whenever they refuse. Each field's hook comes from the converter (looked up once,
when the function is generated); a value of exactly ``str``, ``int`` or ``bool`` skips its
hook, but only while the converter's hook for that type is the given strict one.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from types import UnionType
from typing import Any, Union, get_args, get_origin

import attrs
import cattrs

__all__ = ["fast_structure_factory", "optional_inner"]

_ABSENT = object()


def optional_inner(tp: Any) -> Any:
    """``X`` for ``X | None``, else ``None``."""
    if get_origin(tp) not in (Union, UnionType):
        return None
    args = get_args(tp)
    if len(args) != 2 or type(None) not in args:
        return None
    return args[0] if args[1] is type(None) else args[1]


def _generate(
    cls: type, conv: cattrs.Converter, wire_name: Callable[[str], str], exact: Mapping[type, Any]
) -> Callable[..., Any]:
    attrs.resolve_types(cls)
    # Types whose hook returns a value of exactly that type unchanged: checked inline.
    inline = {tp for tp, hook in exact.items() if conv.get_structure_hook(tp) is hook}
    namespace: dict[str, Any] = {"cls": cls, "M": _ABSENT}
    lines = ["def structure(o, _=None):", "    if type(o) is not dict: raise TypeError"]
    args = []
    for i, field in enumerate(attrs.fields(cls)):
        default = field.default
        factory = isinstance(default, attrs.Factory)  # type: ignore[arg-type]
        if not field.init or (factory and default.takes_self):
            raise TypeError(f"{cls.__name__}.{field.name}: no generated structuring for it")
        key, v = repr(wire_name(field.name)), f"v{i}"
        args.append(f"{field.alias or field.name}={v}")
        inner = optional_inner(field.type)
        tp = inner or field.type
        namespace[f"h{i}"], namespace[f"t{i}"] = conv.get_structure_hook(tp), tp
        convert = f"{v} = h{i}({v}, t{i})"
        if tp in inline:
            namespace[f"x{i}"] = tp
            convert = f"if type({v}) is not x{i}: {convert}"
        if default is attrs.NOTHING:
            lines += [f"    {v} = o[{key}]", f"    {convert}"]
        elif default is None and inner is not None:
            lines += [f"    {v} = o.get({key})", f"    if {v} is not None:", f"        {convert}"]
        else:  # absent: the default, never passed through the hook
            namespace[f"d{i}"] = default
            fill = f"d{i}.factory()" if factory else f"d{i}"
            lines += [f"    {v} = o.get({key}, M)", f"    if {v} is M: {v} = {fill}"]
            lines += ["    else:", f"        {convert}"]
    lines.append(f"    return cls({', '.join(args)})")
    code = compile("\n".join(lines), f"<codepush_async fast structure {cls.__name__}>", "exec")
    exec(code, namespace)  # noqa: S102 - our own source, built from the class's fields
    function: Callable[..., Any] = namespace["structure"]
    return function


def _mapping(tp: Any, conv: cattrs.Converter) -> Callable[..., Any]:
    """``dict[str, V]``: a JSON object of ``V``s, ``V``'s hook looked up once."""
    key_tp, value_tp = get_args(tp)
    if key_tp is not str:
        raise TypeError(f"{tp}: only string keys have a generated structuring")
    hook = conv.get_structure_hook(value_tp)

    def structure(o: Any, _: Any = None) -> Any:
        if type(o) is not dict:
            raise TypeError
        result = {}
        for k, v in o.items():  # a plain loop: no comprehension frame per (usually tiny) map
            if type(k) is not str:
                raise TypeError
            result[k] = hook(v, value_tp)
        return result

    return structure


def fast_structure_factory(
    conv: cattrs.Converter,
    classes: Collection[Any],
    *,
    wire_name: Callable[[str], str],
    exact: Mapping[type, Any],
) -> tuple[Callable[[Any], bool], Callable[[Any], Callable[..., Any]]]:
    """The (predicate, factory) pair to register on ``conv`` for ``classes``.

    ``classes`` holds attrs classes and ``dict[str, V]`` types (never one with a hook of its own).
    """

    def predicate(tp: Any) -> bool:
        return tp in classes

    def factory(tp: Any) -> Callable[..., Any]:
        if get_origin(tp) is dict:
            return _mapping(tp, conv)
        return _generate(tp, conv, wire_name, exact)

    return predicate, factory
