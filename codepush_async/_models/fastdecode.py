"""Generated structuring functions for the models that come in long lists (history, apps).

The fast converter uses them; they accept a subset of what the detailed converter accepts and
build the same values, so ``decode`` can try them first and let the detailed converter name
the field whenever they refuse. Each field's hook comes from the converter (looked up once,
when the function is generated); a value of exactly ``str``, ``int`` or ``bool`` skips its
hook, an ``int`` datetime (epoch milliseconds) is built inline and a ``tuple[str, ...]`` is
one loop over a JSON array of strings, but only while the converter's hook for ``str`` or
``datetime`` is the given one. A ``list`` of such a model is one loop with
each item built inline, through the slots when the attrs ``__init__`` would only store them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime, timezone
from types import MemberDescriptorType, UnionType
from typing import Any, Union, get_args, get_origin

import attrs
import cattrs

__all__ = ["fast_structure_factory", "optional_inner"]

_ABSENT = object()


@attrs.frozen
class _Options:
    wire_name: Callable[[str], str]
    exact: Mapping[type, Any]
    datetime_hook: Any
    null_default: Mapping[type, Collection[str]]
    classes: Collection[Any]


def optional_inner(tp: Any) -> Any:
    """``X`` for ``X | None``, else ``None``."""
    if get_origin(tp) not in (Union, UnionType):
        return None
    args = get_args(tp)
    if len(args) != 2 or type(None) not in args:
        return None
    return args[0] if args[1] is type(None) else args[1]


def _body(
    cls: type,
    conv: cattrs.Converter,
    options: _Options,
    namespace: dict[str, Any],
    indent: str,
    p: str = "",
) -> list[str]:
    """Lines that structure the dict ``{p}o`` into an instance ``{p}r`` of ``cls``; the names
    they use (all starting with ``p``) are added to ``namespace``."""
    attrs.resolve_types(cls)
    # Types whose hook returns a value of exactly that type unchanged: checked inline.
    inline = {tp for tp, hook in options.exact.items() if conv.get_structure_hook(tp) is hook}
    epoch_ms = conv.get_structure_hook(datetime) is options.datetime_hook
    null_default = options.null_default.get(cls, ())
    o, get = f"{p}o", f"{p}get"
    lines = [f"{indent}if type({o}) is not dict: raise TypeError", f"{indent}{get} = {o}.get"]
    values = []
    for i, field in enumerate(attrs.fields(cls)):
        default = field.default
        factory = isinstance(default, attrs.Factory)  # type: ignore[arg-type]
        if not field.init or (factory and default.takes_self):
            raise TypeError(f"{cls.__name__}.{field.name}: no generated structuring for it")
        key, v, h, t = repr(options.wire_name(field.name)), f"{p}v{i}", f"{p}h{i}", f"{p}t{i}"
        values.append(v)
        inner = optional_inner(field.type)
        tp = inner or field.type
        namespace[h], namespace[t] = conv.get_structure_hook(tp), tp
        convert, check = f"{v} = {h}({v}, {t})", ""  # check: when ``convert`` is needed
        if tp in inline:
            namespace[f"{p}x{i}"] = tp
            check = f"type({v}) is not {p}x{i}"
        elif tp is datetime and epoch_ms:  # epoch milliseconds, as the hook reads them
            convert = f"{v} = fromtimestamp({v} / 1000, utc) if type({v}) is int else {h}({v}, {t})"
        elif tp == tuple[str, ...] and str in inline:
            convert = f"{v} = str_tuple({v})"
        if default is None and inner is not None and _inline_map(tp, options):
            lines += [f"{indent}{v} = {get}({key})", f"{indent}if {v} is not None:"]
            lines += _map_body(v, get_args(tp)[1], conv, options, namespace, indent + "    ", p)
        elif default is attrs.NOTHING:
            lines.append(f"{indent}{v} = {o}[{key}]")
            lines.append(f"{indent}if {check}: {convert}" if check else f"{indent}{convert}")
        elif default is None and inner is not None:
            lines.append(f"{indent}{v} = {get}({key})")
            checks = " and ".join(filter(None, [f"{v} is not None", check]))
            lines.append(f"{indent}if {checks}: {convert}")
        else:  # absent (or null, where null means the default): never passed through the hook
            namespace[f"{p}d{i}"] = default
            fill = f"{p}d{i}.factory()" if factory else f"{p}d{i}"
            if field.name in null_default:
                lines.append(f"{indent}{v} = {get}({key})")
                lines.append(f"{indent}if {v} is None: {v} = {fill}")
            else:
                lines.append(f"{indent}{v} = {get}({key}, M)")
                lines.append(f"{indent}if {v} is M: {v} = {fill}")
            otherwise = f"elif {check}:" if check else "else:"
            lines.append(f"{indent}{otherwise} {convert}")
    namespace[f"{p}cls"] = cls
    return lines + _construct(cls, values, namespace, indent, p)


def _inline_map(tp: Any, options: _Options) -> bool:
    """``dict[str, X]`` of a generated model ``X``: built inline, in the loop of its owner."""
    if get_origin(tp) is not dict or tp not in options.classes:
        return False
    key_tp, value_tp = get_args(tp)
    return key_tp is str and value_tp in options.classes and attrs.has(value_tp)


def _map_body(
    v: str,
    value_cls: type,
    conv: cattrs.Converter,
    options: _Options,
    namespace: dict[str, Any],
    indent: str,
    p: str,
) -> list[str]:
    """Lines that replace the JSON object ``v`` by a dict of ``value_cls`` built from it."""
    q = f"{p}m_"  # the names of the values' fields
    return [
        f"{indent}if type({v}) is not dict: raise TypeError",
        f"{indent}{q}map = {{}}",
        f"{indent}for {q}key, {q}o in {v}.items():",
        f"{indent}    if type({q}key) is not str: raise TypeError",
        *_body(value_cls, conv, options, namespace, indent + "    ", q),
        f"{indent}    {q}map[{q}key] = {q}r",
        f"{indent}{v} = {q}map",
    ]




def _construct(
    cls: type, values: list[str], namespace: dict[str, Any], indent: str, p: str
) -> list[str]:
    """``r = cls(v0, v1, ...)``, positionally; or, when the attrs ``__init__`` would only store
    the values (slotted, no validators, converters or init hooks), the same stores, done
    directly through the slots (a frozen class's ``__init__`` goes through ``__setattr__``)."""
    fields = attrs.fields(cls)
    init = getattr(cls.__dict__.get("__init__"), "__code__", None)
    plain = (
        init is not None
        and init.co_filename.startswith("<attrs generated")
        and not any(f.validator or f.converter for f in fields)
        and not hasattr(cls, "__attrs_pre_init__")
        and not hasattr(cls, "__attrs_post_init__")
        and all(isinstance(cls.__dict__.get(f.name), MemberDescriptorType) for f in fields)
    )
    if not plain:
        args = [f"{f.alias}={v}" if f.kw_only else v for f, v in zip(fields, values, strict=True)]
        return [f"{indent}{p}r = {p}cls({', '.join(args)})"]
    lines = [f"{indent}{p}r = new({p}cls)"]
    for i, (field, v) in enumerate(zip(fields, values, strict=True)):
        namespace[f"{p}s{i}"] = cls.__dict__[field.name].__set__
        lines.append(f"{indent}{p}s{i}({p}r, {v})")
    return lines


def _compile(name: str, lines: list[str], namespace: dict[str, Any]) -> Callable[..., Any]:
    code = compile("\n".join(lines), f"<codepush_async fast structure {name}>", "exec")
    exec(code, namespace)  # noqa: S102 - our own source, built from the class's fields
    function: Callable[..., Any] = namespace["structure"]
    return function


def _generate(cls: type, conv: cattrs.Converter, options: _Options) -> Callable[..., Any]:
    namespace = _namespace()
    lines = ["def structure(o, _=None):", *_body(cls, conv, options, namespace, "    ")]
    return _compile(cls.__name__, [*lines, "    return r"], namespace)


def _generate_list(item: type, conv: cattrs.Converter, options: _Options) -> Callable[..., Any]:
    """``list[item]``: a JSON array of objects, each built inline (no call per item)."""
    namespace = _namespace()
    lines = [
        "def structure(items, _=None):",
        "    if type(items) is not list: raise TypeError",
        "    out = []",
        "    append = out.append",
        "    for o in items:",
        *_body(item, conv, options, namespace, "        "),
        "        append(r)",
        "    return out",
    ]
    return _compile(f"list[{item.__name__}]", lines, namespace)


def _str_tuple(value: Any) -> tuple[str, ...]:
    """A JSON array of strings as a tuple; anything else is refused (the detailed path names
    it)."""
    if type(value) is not list:
        raise TypeError
    for item in value:
        if type(item) is not str:
            raise TypeError
    return tuple(value)


def _namespace() -> dict[str, Any]:
    return {"M": _ABSENT, "new": object.__new__, "fromtimestamp": datetime.fromtimestamp,
            "utc": timezone.utc, "str_tuple": _str_tuple}


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
    datetime_hook: Any,
    null_default: Mapping[type, Collection[str]],
) -> tuple[Callable[[Any], bool], Callable[[Any], Callable[..., Any]]]:
    """The (predicate, factory) pair to register on ``conv`` for ``classes`` and lists of them.

    ``classes`` holds attrs classes and ``dict[str, V]`` types (never one with a hook of its
    own); ``null_default`` names, per class, the fields for which null means the default.
    """
    options = _Options(wire_name, exact, datetime_hook, null_default, classes)

    def predicate(tp: Any) -> bool:
        if get_origin(tp) is list:
            (item,) = get_args(tp)
            return item in classes and attrs.has(item)
        return tp in classes

    def factory(tp: Any) -> Callable[..., Any]:
        if get_origin(tp) is dict:
            return _mapping(tp, conv)
        if get_origin(tp) is list:
            return _generate_list(get_args(tp)[0], conv, options)
        return _generate(tp, conv, options)

    return predicate, factory
