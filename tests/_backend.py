"""The HTTP library the suite runs on: ``CODEPUSH_TEST_BACKEND=httpx`` (default), ``httpx2``
or ``aiohttp``.

Clients built without a transport (served emulators, proxies, real sockets) run on
``BACKEND``: the suite's fixtures make ``backend="auto"`` pick it. Tests that script replies
or reach the in-process emulator need an httpx-style transport: they import ``httpx`` from
here, which is ``BACKEND`` itself, or httpx when the backend is aiohttp (it has none).
"""

from __future__ import annotations

import importlib
import os
from typing import Any

BACKEND = os.environ.get("CODEPUSH_TEST_BACKEND", "httpx")
TRANSPORT_BACKEND = "httpx" if BACKEND == "aiohttp" else BACKEND
httpx: Any = importlib.import_module(TRANSPORT_BACKEND)
