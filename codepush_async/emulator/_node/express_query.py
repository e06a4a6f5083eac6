"""``req.query`` as Express 4 builds it (the "extended" parser: qs 6.13 with its defaults --
repeated names combine into arrays, ``a[]``/``a[0]`` make arrays, ``a[b]`` objects, at most
1000 parameters), reduced to what the acquisition routes read from it: ``String(value)`` and
its truthiness. Objects are kept opaque (``String({...})`` is ``"[object Object]"``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Union

from .coercion import js_trim
from .express_routing import BadParam, decode_segment

PARAMETER_LIMIT = 1000
ARRAY_LIMIT = 20
DEPTH = 5
_BRACKETS = re.compile(r"\[[^\[\]]*\]")
_OPEN = re.compile("%5B", re.IGNORECASE)
_CLOSE = re.compile("%5D", re.IGNORECASE)


@dataclass
class JsObject:
    """A plain object qs built (its keys, for merging; only ``[object Object]`` is ever read)."""

    keys: dict[str, object] = field(default_factory=dict)


class JsTypeError(TypeError):
    """What the server's JavaScript throws on a value of the wrong type (Express answers 500)."""


class _Hole:
    """An array slot qs never filled (``utils.compact`` removes them)."""


HOLE = _Hole()
QueryValue = Union[str, list["QueryValue"], JsObject]  # noqa: UP007 - a runtime alias


def _decode(text: str) -> str:
    """qs's decoder: ``+`` is a space, then ``decodeURIComponent`` (the text as it is when
    that throws)."""
    spaced = text.replace("+", " ")
    try:
        return decode_segment(spaced)
    except BadParam:
        return spaced


def _split_part(part: str) -> tuple[str, str]:
    bracket_equals = part.find("]=")
    pos = part.find("=") if bracket_equals == -1 else bracket_equals + 1
    if pos == -1:
        return _decode(part), ""
    return _decode(part[:pos]), _decode(part[pos + 1 :])


def _combine(a: object, b: object) -> list[object]:
    """``[].concat(a, b)``."""
    return [*(a if isinstance(a, list) else [a]), *(b if isinstance(b, list) else [b])]


def _chain(key: str) -> list[str]:
    """qs's ``parseKeys``: the parent then up to ``DEPTH`` bracket segments, the rest as one."""
    first = _BRACKETS.search(key)
    if first is None:
        return [key]
    chain = [key[: first.start()]] if first.start() else []
    for depth, segment in enumerate(_BRACKETS.finditer(key)):
        if depth == DEPTH:
            chain.append("[" + key[segment.start() :] + "]")
            return chain
        chain.append(segment.group())
    return chain


def _array_index(root: str) -> int | None:
    clean = root[1:-1] if root.startswith("[") and root.endswith("]") else root
    if root == clean or not clean.isascii() or not clean.isdigit() or str(int(clean)) != clean:
        return None
    index = int(clean)
    return index if index <= ARRAY_LIMIT else None


def _build(chain: list[str], leaf: object) -> object:
    """qs's ``parseObject``: the value ``chain`` names, built from its leaf outwards."""
    for root in reversed(chain):
        if root == "[]":
            leaf = leaf if isinstance(leaf, list) else [leaf]
            continue
        index = _array_index(root)
        if index is not None:
            leaf = [*([HOLE] * index), leaf]
            continue
        clean = root[1:-1] if root.startswith("[") and root.endswith("]") else root
        leaf = JsObject({} if clean == "__proto__" else {clean: leaf})
    return leaf


def _merge_lists(target: list[object], source: list[object]) -> list[object]:
    for i, item in enumerate(source):
        if item is HOLE:
            continue
        if i < len(target) and target[i] is not HOLE:
            current = target[i]
            if isinstance(current, (list, JsObject)) and isinstance(item, (list, JsObject)):
                target[i] = merge(current, item)
            else:
                target.append(item)
        else:
            target.extend([HOLE] * (i + 1 - len(target)))
            target[i] = item
    return target


def _array_to_object(items: list[object]) -> JsObject:
    return JsObject({str(i): item for i, item in enumerate(items) if item is not HOLE})


def merge(target: object, source: object) -> object:
    """qs's ``utils.merge`` for the shapes a query makes."""
    if not isinstance(source, (list, JsObject)):
        if isinstance(target, list):
            target.append(source)
            return target
        if isinstance(target, JsObject):
            target.keys.setdefault(str(source), "true")
            return target
        return [target, source]
    if not isinstance(target, (list, JsObject)):
        return _combine(target, source)
    if isinstance(target, list) and isinstance(source, list):
        return _merge_lists(target, source)
    merged = target if isinstance(target, JsObject) else _array_to_object(target)
    items: dict[str, object] = (
        source.keys if isinstance(source, JsObject) else _array_to_object(source).keys
    )
    for key, item in items.items():
        merged.keys[key] = merge(merged.keys[key], item) if key in merged.keys else item
    return merged


def _compact(value: object) -> object:
    if isinstance(value, list):
        return [_compact(item) for item in value if item is not HOLE]
    if isinstance(value, JsObject):
        return JsObject({k: _compact(v) for k, v in value.keys.items()})
    return value


def _merge_into(query: dict[str, object], name: str, item: object) -> None:
    query[name] = merge(query[name], item) if name in query else item


def _add_parameter(query: dict[str, object], chain: list[str], value: object) -> None:
    """Merge one parameter into ``req.query`` (a key starting with a bracket has no parent:
    ``[a]=1`` names ``a``, ``[]=1`` names ``0``)."""
    if not chain[0].startswith("["):
        _merge_into(query, chain[0], _build(chain[1:], value))
        return
    built = _build(chain, value)
    if isinstance(built, list):
        built = _array_to_object(built)
    if isinstance(built, JsObject):
        for name, item in built.keys.items():
            _merge_into(query, name, item)


def parse_query(raw: str) -> dict[str, object]:
    """``req.query`` of a raw (still percent-encoded) query string."""
    clean = _CLOSE.sub("]", _OPEN.sub("[", raw))
    values: dict[str, object] = {}
    for part in clean.split("&", PARAMETER_LIMIT)[:PARAMETER_LIMIT]:
        key, text = _split_part(part)
        values[key] = _combine(values[key], text) if key in values else text
    query: dict[str, object] = {}
    for key, value in values.items():
        if key:
            _add_parameter(query, _chain(key), value)
    return {name: _compact(item) for name, item in query.items()}


def form_body(raw: str) -> dict[str, object]:
    """``req.body`` of a URL-encoded form, as body-parser's ``urlencoded({extended: true})``
    reads it (qs, like the query; body-parser lets qs nest deeper and index longer arrays,
    which no device sends): objects as JSON would give them."""
    return {name: _plain(value) for name, value in parse_query(raw).items()}


def _plain(value: object) -> object:
    if isinstance(value, JsObject):
        return {name: _plain(item) for name, item in value.keys.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def first_truthy(query: dict[str, object], *names: str) -> object:
    """``query.a || query.b``: the first truthy value (JS truthiness), else the last one."""
    value: object = None
    for name in names:
        value = query.get(name)
        if value != "" and value is not None:
            return value
    return value


def sanitized_deployment_key(query: dict[str, object]) -> object:
    """The server's ``InputSanitizer``: ``deploymentKey`` becomes the trimmed
    ``deploymentKey || deployment_key``; raises JsTypeError (a 500) when that is not a string."""
    value = first_truthy(query, "deploymentKey", "deployment_key")
    if value is None or value == "":
        return value
    if not isinstance(value, str):
        raise JsTypeError("text.trim is not a function")
    return js_trim(value)


def js_query_string(value: object) -> str:
    """``String(value)`` of a ``req.query`` value (``undefined`` when absent)."""
    if value is None:
        return "undefined"
    return _string_of(value)


def _string_of(value: object) -> str:
    if isinstance(value, JsObject):
        return "[object Object]"
    if isinstance(value, list):
        return ",".join(_string_of(item) for item in value)
    return str(value)
