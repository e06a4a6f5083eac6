"""The pure wire layer: operation + parameters -> request bytes, response bytes -> value.

Nothing here does I/O, so every rule about paths, headers, bodies and envelopes
can be tested alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from json.scanner import py_make_scanner  # type: ignore[attr-defined]
from typing import Any, Protocol
from urllib.parse import quote, urlencode

import attrs

from .._exceptions import ResponseDecodeError, UnsupportedOperationError
from .._models.secret import Secret, redact
from .dialects import WHOLE_BODY, Dialect, Route
from .validate import check_path_segment

__all__ = [
    "JSON_CONTENT_TYPE",
    "MISSING",
    "StreamingContent",
    "WireRequest",
    "WireResponse",
    "build_request",
    "encode_json",
    "parse_json",
    "route_for",
    "unwrap_response",
]

JSON_CONTENT_TYPE = "application/json;charset=UTF-8"


class _Missing:
    """A success answer without the documented envelope (``ok``, ``{"msg": ...}``, empty)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class StreamingContent(Protocol):
    """A request body sent in chunks, with its exact length known up front."""

    @property
    def content_type(self) -> str: ...

    @property
    def length(self) -> int: ...

    def stream(self) -> AsyncIterator[bytes]: ...


@attrs.frozen
class WireRequest:
    """A request ready to send: ``path`` is percent-encoded and relative to the server URL.

    ``content`` is bytes, or a body streamed in chunks (an upload) that can be re-read.
    """

    operation: str
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    content: bytes | StreamingContent = attrs.field(default=b"", repr=False)


@attrs.frozen
class WireResponse:
    """What came back; header names are lower-case. Its repr leaves the body out: a body
    may carry a new key's secret, or an access key the server echoes."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes = attrs.field(repr=False)


def encode_json(body: Any) -> bytes:
    """Compact UTF-8 JSON, the bytes the server receives."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class _SecretDecoder(json.JSONDecoder):
    """Reads every string value as a ``Secret`` (object keys stay plain), so an answer that
    carries a secret never holds it in a plain ``str``, not even in the parser's frames."""

    parse_string: Callable[[str, int, bool], tuple[str, int]]
    scan_once: Callable[[str, int], tuple[Any, int]]

    def __init__(self) -> None:
        super().__init__()
        plain = self.parse_string
        self.parse_string = lambda text, end, strict: _secret_at(*plain(text, end, strict))
        self.scan_once = py_make_scanner(self)  # the C scanner reads strings its own way


def _secret_at(text: str, end: int) -> tuple[str, int]:
    return Secret(text), end


def parse_json(content: bytes | str, *, secret: bool = False) -> Any:
    """``json.loads`` that fails only with ``ValueError`` (also for nesting too deep to parse).

    ``secret``: every string value is read as a ``Secret`` (an answer carrying a new key).
    """
    try:
        return json.loads(content, cls=_SecretDecoder if secret else None)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def route_for(dialect: Dialect, operation: str) -> Route:
    """The route of ``operation`` or ``UnsupportedOperationError`` (before any request)."""
    route = dialect.route(operation)
    if route is None:
        raise UnsupportedOperationError(
            f"{operation} is not supported by the {dialect.name!r} dialect"
        )
    return route


_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")  # what ``quote`` leaves as it is


def _fill_path(template: str, params: Mapping[str, str]) -> str:
    """``template`` with each ``{name}`` replaced by one percent-encoded path segment.

    The one place parameters enter a path: what cannot stay a single segment
    (empty, ``.``, ``..``) is refused here, so no name can redirect an operation.
    """
    encoded = {}
    for name, value in params.items():
        if not isinstance(value, str):
            raise ValueError(f"{name} must be a string, got {type(value).__name__}")
        try:
            segment = check_path_segment(value, name)
            encoded[name] = segment if _UNRESERVED.fullmatch(segment) else quote(segment, safe="")
        except UnicodeEncodeError:  # a lone surrogate has no UTF-8 form
            raise ValueError(f"{name} must be valid Unicode text") from None
    try:
        return template.format_map(encoded)
    except KeyError as exc:  # a programming error in a resource module, not user input
        raise AssertionError(f"missing path parameter {exc} for {template}") from None


def build_request(
    dialect: Dialect,
    operation: str,
    params: Mapping[str, str | None] | None = None,
    body: Mapping[str, Any] | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    stream: StreamingContent | None = None,
) -> WireRequest:
    """Build the request for ``operation``; ``None`` parameters and body fields are not sent.

    ``stream`` is a streamed body (a multipart upload) sent instead of JSON.
    """
    route = route_for(dialect, operation)
    present: dict[str, str] = {k: v for k, v in (params or {}).items() if v is not None}
    payload = _payload(route, present, body)  # takes the body's parameters out of present
    query = _query(route, present)  # takes the query's parameters out of present
    all_headers = dict(headers or {})
    content: bytes | StreamingContent = b""
    if stream is not None:
        if payload is not None:
            raise AssertionError(f"{operation}: a streamed body cannot also carry JSON")
        content = stream
        all_headers["Content-Type"] = stream.content_type
        all_headers["Content-Length"] = str(stream.length)
    elif payload is not None:
        content = encode_json(payload)
        all_headers["Content-Type"] = JSON_CONTENT_TYPE
    return WireRequest(
        operation=operation,
        method=route.method,
        path=dialect.base_path + _fill_path(route.path, present) + query,
        headers=tuple(all_headers.items()),
        content=content,
    )


def _payload(
    route: Route, present: dict[str, str], body: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    """The JSON body: ``body`` with the route's body parameters (moved out of ``present``)
    and defaults, wrapped in its ``body_key``; ``None`` when nothing is sent."""
    payload: dict[str, Any] | None = None if body is None else dict(body)
    names = route.wire_names
    moved = {names.get(k, k): present.pop(k) for k in route.body_params if k in present}
    if moved or route.body_defaults:
        payload = {**moved, **route.body_defaults, **(payload or {})}
    if route.body_key is not None:
        payload = {route.body_key: payload or {}}
    return payload


def _query(route: Route, present: dict[str, str]) -> str:
    """``?name=value&...`` of the route's query parameters (moved out of ``present``), in
    the route's order, percent-encoded; empty when none is given."""
    names = route.wire_names
    pairs = [(names.get(k, k), present.pop(k)) for k in route.query_params if k in present]
    return "?" + urlencode(pairs, quote_via=quote) if pairs else ""


def unwrap_response(route: Route, response: WireResponse) -> Any:
    """The value inside a success envelope.

    ``None`` for an answer that carries none by design (204, ``Created``); ``MISSING``
    when a value was expected but the body has no envelope (the caller decides whether
    to read the result back or fail). Call only for a 2xx response.
    """
    if route.unwrap is None or response.status_code == 204:
        return None
    try:
        payload = parse_json(response.content, secret=route.secret_answer)
    except ValueError:
        return MISSING
    if route.unwrap == WHOLE_BODY:
        return payload
    if not isinstance(payload, dict) or route.unwrap not in payload:
        return MISSING
    return payload[route.unwrap]


def missing_value_error(
    where: str, status_code: int, content: bytes, secrets: Iterable[str] = ()
) -> ResponseDecodeError:
    """The error for a success answer that lacks its documented value; its body, quoted,
    without ``secrets`` (an access key the server echoed)."""
    text = redact(content.decode("utf-8", errors="replace"), secrets).strip()
    preview = text if len(text) <= 80 else text[:80] + "..."
    return ResponseDecodeError(
        f"Unexpected response from the server: required field missing at {where} "
        f"(the body was {preview!r})",
        status_code,
        field=where,
    )
