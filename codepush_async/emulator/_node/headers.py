"""Response headers that are valid HTTP whatever names they carry.

The official server means to build ``Location`` with ``encodeURIComponent`` over each name (its
``urlEncode`` template tag; called as a plain function, it sends names raw, and answers 500 after
storing a name outside Latin-1). ``location`` does what it means, so any name the server
accepts (spaces at either end, ``%``, ``#``, quotes, any script) gives a header every HTTP/1.1
peer accepts.
``invalid_header`` is the check the emulator applies to every answer before it leaves, so
the in-process transport refuses what h11 would refuse on a port.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote

_URI_COMPONENT_SAFE = "!'()*"
"""Beyond ASCII letters, digits and ``-_.~`` (always kept by ``quote``): what
``encodeURIComponent`` leaves as it is."""

_TOKEN = re.compile(rb"[-!#$%&'*+.^_`|~0-9A-Za-z]+")
_FIELD_VALUE = re.compile(rb"(?:[\x21-\x7e\x80-\xff](?:[ \t]*[\x21-\x7e\x80-\xff])*)?")
"""RFC 9110 field-value: visible characters (and obs-text), inner spaces or tabs, no space or
tab at either end (h11 refuses those)."""


def encode_uri_component(value: str) -> str:
    """``encodeURIComponent(value)``: UTF-8 percent-escapes for all but ``A-Za-z0-9-_.!~*'()``.

    A lone surrogate (a JSON body may carry one) is escaped as its UTF-8-style bytes rather
    than raising, so building a header never fails.
    """
    return quote(value, safe=_URI_COMPONENT_SAFE, errors="surrogatepass")


def location(*segments: str) -> str:
    """A ``Location`` path from its segments, each percent-encoded on its own:
    ``location("apps", name, "deployments", deployment)``."""
    return "".join("/" + encode_uri_component(segment) for segment in segments)


def invalid_header(name: bytes, value: bytes) -> str | None:
    """Why ``name: value`` is not a valid HTTP/1.1 header field, or None when it is."""
    if not _TOKEN.fullmatch(name):
        return f"illegal header name {name!r}"
    if not _FIELD_VALUE.fullmatch(value):
        return f"illegal value for header {name.decode('latin-1')!r}: {value!r}"
    return None


def first_invalid_header(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The problem with the first invalid header field of ``headers``, or None."""
    for name, value in headers:
        problem = invalid_header(name, value)
        if problem is not None:
            return problem
    return None


def encoded_headers(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    """``headers`` as ASGI header pairs (lower-case names); ValueError naming the first header
    that cannot be sent (not Latin-1, or not valid HTTP)."""
    pairs: list[tuple[bytes, bytes]] = []
    for name, value in headers.items():
        try:
            pair = (name.lower().encode("latin-1"), value.encode("latin-1"))
        except UnicodeEncodeError:
            raise ValueError(f"header {name!r} is not Latin-1 text: {value!r}") from None
        problem = invalid_header(*pair)
        if problem is not None:
            raise ValueError(problem)
        pairs.append(pair)
    return pairs
