"""Express-style path matching: case-insensitive literals, an optional trailing slash, and
``:param`` segments decoded like ``decodeURIComponent`` (a ``%2F`` stays inside its segment)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import unquote

H = TypeVar("H")

_BAD_ESCAPE = re.compile(r"%(?![0-9a-fA-F]{2})")


class BadParam(ValueError):
    """A path parameter is not valid percent-encoded UTF-8 (express answers 400)."""

    def __init__(self, raw: str) -> None:
        super().__init__(f"Failed to decode param '{raw}'")
        self.raw = raw


def decode_segment(raw: str) -> str:
    """Decode one path segment strictly, as ``decodeURIComponent`` does."""
    if _BAD_ESCAPE.search(raw):
        raise BadParam(raw)
    try:
        return unquote(raw, errors="strict")
    except UnicodeDecodeError:
        raise BadParam(raw) from None


@dataclass(frozen=True)
class Route(Generic[H]):
    """One route: ``pattern`` like ``/apps/:appName/rollback/:label?``."""

    method: str
    pattern: str
    handler: H

    def match(self, segments: Sequence[str]) -> dict[str, str] | None:
        parts = self.pattern.strip("/").split("/")
        optional_last = parts[-1].startswith(":") and parts[-1].endswith("?")
        if len(segments) == len(parts) - 1 and optional_last:
            parts = parts[:-1]
        if len(segments) != len(parts):
            return None
        params: dict[str, str] = {}
        for part, segment in zip(parts, segments, strict=True):
            if part.startswith(":"):
                if not segment:
                    return None
                params[part[1:].rstrip("?")] = segment
            elif part.lower() != segment.lower():
                return None
        return {name: decode_segment(value) for name, value in params.items()}


class Router(Generic[H]):
    """First route whose method and pattern match wins; HEAD is served by GET routes."""

    def __init__(self, routes: Sequence[Route[H]]) -> None:
        self.routes = list(routes)

    def match(self, method: str, raw_path: str) -> tuple[Route[H], dict[str, str]] | None:
        """Match a raw (still percent-encoded) path; raises BadParam for undecodable params."""
        if not raw_path.startswith("/"):
            return None
        body = raw_path[1:]
        if body.endswith("/"):
            body = body[:-1]
        segments = body.split("/") if body else []
        wanted = "GET" if method == "HEAD" else method
        for route in self.routes:
            if route.method != wanted:
                continue
            params = route.match(segments)
            if params is not None:
                return route, params
        return None
