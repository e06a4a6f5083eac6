"""Tests that need the official server as it really behaves (``nox -s official``).

They run only where ``CODEPUSH_OFFICIAL_URL`` names a microsoft/code-push-server started
WITHOUT the ``OFFICIAL_UNIQUE_TEMPFILE`` switch (``CODEPUSH_OFFICIAL_KEY`` its access key);
elsewhere they are not collected, so no run shows them as skipped.
"""

from __future__ import annotations

import os

ENV_URL = "CODEPUSH_OFFICIAL_URL"
ENV_KEY = "CODEPUSH_OFFICIAL_KEY"

collect_ignore_glob = [] if os.environ.get(ENV_URL) else ["test_*.py"]
