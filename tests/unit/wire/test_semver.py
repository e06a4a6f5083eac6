"""The app-version grammar the server accepts (node-semver ranges)."""

from __future__ import annotations

import pytest

from codepush_async._wire.semver import is_valid_range

VALID = ["*", "1.2.3", "1.2", "1", "1.2.*", "1.x", "1.X.x", "x", "~1.2.3", "~>1.2", "^1.2",
         "^0.0.1", "1.2.3 - 2.3", ">=1.0.0 <2.0.0", ">= 1.0", "<1.0.0-rc.1", "1.2.3-beta.1",
         "1.2.3+build.5", "v1.2.3", "=1.2.3", "1.0.0 || 2.x", " 1.2.3 "]
INVALID = ["", "   ", "abc", "latest", "1.2.3.4", "1..2", ">=", "1.2.3 -", "01.2.3", "1.2.3-",
           ">1.0 <", ",1.0", "1.0;rm -rf", "1.2.3 ||", "|| 1.0",
           # node-semver trims these spaces away; the SDK refuses any non-ASCII range instead
           "1.2.3\u3000", "\u00a01.2.3", ">=1\u00a0<2"]


@pytest.mark.parametrize("value", VALID)
def test_valid(value: str) -> None:
    assert is_valid_range(value)


@pytest.mark.parametrize("value", INVALID)
def test_invalid(value: str) -> None:
    assert not is_valid_range(value)
