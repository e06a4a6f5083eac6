"""``CODEPUSH_LOG=debug|info``: the SDK's logger gets a stderr handler (off by default).

As in openai-python and stripe: an environment switch for a notebook or a CI job, with no
code change. Only the ``codepush_async`` logger is touched, never the root logger, and the
access key is never in what it logs.
"""

from __future__ import annotations

import logging
import os
import warnings

__all__ = ["ENV_VAR", "setup_logging"]

ENV_VAR = "CODEPUSH_LOG"
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
FORMAT = "[%(asctime)s %(name)s %(levelname)s] %(message)s"


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler ``CODEPUSH_LOG`` adds (a class of its own, so it is added only once)."""


def setup_logging(value: str | None = None) -> None:
    """Turn on the ``codepush_async`` logger at the level ``CODEPUSH_LOG`` names."""
    value = os.environ.get(ENV_VAR) if value is None else value
    if not value:
        return
    level = LEVELS.get(value.strip().lower())
    if level is None:
        warnings.warn(
            f"{ENV_VAR}={value!r} is not one of {', '.join(LEVELS)}: SDK logging stays off",
            RuntimeWarning,
            stacklevel=2,
        )
        return
    logger = logging.getLogger("codepush_async")
    logger.setLevel(level)
    if not any(isinstance(h, _Handler) for h in logger.handlers):
        handler = _Handler()
        handler.setFormatter(logging.Formatter(FORMAT))
        logger.addHandler(handler)
