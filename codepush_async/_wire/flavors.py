"""Server flavours of the classic dialect, and how to recognise the community server.

The community ``code-push-server`` (npm) answers every business error with 406 and a
plain-text message, lacks a few endpoints (404 ``Not Found``) and often answers writes
without the documented value. These helpers tell its answers apart; the official
server never sends any of them, so nothing here changes how it is handled.
"""

from __future__ import annotations

import re
from typing import Literal

from .._exceptions import (
    APIStatusError,
    BadRequestError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
)

__all__ = ["COMMUNITY", "FLAVORS", "OFFICIAL", "Flavor", "class_for_406", "is_missing_route"]

Flavor = Literal["official", "community"]
OFFICIAL: Flavor = "official"
COMMUNITY: Flavor = "community"
FLAVORS = ("auto", OFFICIAL, COMMUNITY)

# The community server's 406 texts, by meaning (first match wins).
_RULES_406: tuple[tuple[re.Pattern[str], type[APIStatusError]], ...] = (
    (re.compile(r"permission deny", re.I), ForbiddenError),
    (re.compile(r"identical|already exists?\b|already is|\bexist!|does exist|"
                r"transfer to yourself|can't delete yourself", re.I), ConflictError),
    (re.compile(r"not exists?\b|does not exist|does not find|not found|is not a collaborator|"
                # "no release yet", "no version to roll back to"
                r"您之前还没有发布过版本|没有可供回滚的版本", re.I), NotFoundError),
)


def class_for_406(message: str) -> type[APIStatusError]:
    """The error class a community 406 stands for; unrecognised ones are bad requests."""
    for pattern, cls in _RULES_406:
        if pattern.search(message):
            return cls
    return BadRequestError


def is_missing_route(error: Exception) -> bool:
    """A bare ``404 Not Found``: the server has no such endpoint (not "no such resource")."""
    return isinstance(error, NotFoundError) and error.http_status == 404 and (
        error.body.strip() == "Not Found"
    )
