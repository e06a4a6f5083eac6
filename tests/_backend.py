"""The HTTP library the suite runs on: ``CODEPUSH_TEST_BACKEND=httpx`` (default) or ``httpx2``.

Tests import ``httpx`` from here, so one suite checks both backends (``nox -s tests``).
"""

from __future__ import annotations

import importlib
import os
from typing import Any

BACKEND = os.environ.get("CODEPUSH_TEST_BACKEND", "httpx")
httpx: Any = importlib.import_module(BACKEND)
