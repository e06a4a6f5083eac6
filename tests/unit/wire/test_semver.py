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


def _plain_id(value: str) -> str | None:
    """Non-ASCII values get an id without a backslash (mutmut collects the tests twice)."""
    return None if value.isascii() else ascii(value)[1:-1].replace("\\", "/")


@pytest.mark.parametrize("value", VALID)
def test_valid(value: str) -> None:
    assert is_valid_range(value)


@pytest.mark.parametrize("value", INVALID, ids=_plain_id)
def test_invalid(value: str) -> None:
    assert not is_valid_range(value)


# node-semver 7.8.6 (the official server's `semver.validRange`) refuses all of these;
# most come from a grammar fuzz comparing both over ~24,000 candidate ranges.
NODE_REFUSES = [
    " >*.123", " >=v1.0.X-X.01+10.beta.1", " X.1", " X.2.x-alpha", " x.123.123",
    " x.2.0-X.a", " ~>v1.X.2+0.0.X\t<x.X.2+01", "*.0", "*.0.10-beta.1",
    "*.1.2--.10  -  v1.*.X-0a.rc.01", "*.x.123--v1.2.1a", "0.10.123-01", "1.*.X-1-2.00",
    "1.2.3 - 1.2.3-01", "1.2.3-00", "1.2.3-01", "1.2.3-01 - 2", "1.2.3-a.00", "1.2.3-rc.01",
    "1.x.2", "1.\u0662.3", "10.0.*  *.*.10-1-2+rc.01.0a", "10.x.1-007", "123.123.10-007",
    "2.X.2", "<*.123", "<=x.10", "<X.123.x", "<X.2.2+1-2 =v0.2.0", "= =1.2.3",
    "=0.X.0-1.007+1", "==1.2.3", "==X.1", "=v1.X.0+10.rc.01", "=x.1", "> = 1.2",
    ">10.x.123+alpha.01", ">= 123.X.2-0a.01", ">= 2.x.10", ">=*.1.0--.01", ">=*.1.x-0",
    ">=*||>=X.0.1-a", ">=123.X.0-rc.0", "X.2", "v*.X.0+a", "v1.*.123", "v1.x.123",
    "v2.*.123+rc.01.x", "vX.123.X-x", "vx.2", "x.0.2", "x.1", "x.10",
    "x.123.*-rc.01.0+1-2.a", "\u0661.2.3",
]
# ... and accepts these, which must stay accepted.
NODE_ACCEPTS = [
    " >= X", " >=10", " ~v1.123.1-1.rc.0", "*", "*.x.X-1a.10", "1.2.3", "1.2.3 - 2.3.4 || 5",
    "1.2.3+00", "1.2.3+01.a", "1.2.3-0", "1.2.3-0a", "1.2.3-10", "1.2.3-a.0",
    "1.2.3-rc.1+b.01", "1.2.x", "1.2.x-a", "1.x.x-rc.1", "10.*", "10.1", "123  -  *",
    "<2.1.123+1-2.01", "<=v1.2", "<X", "= 1.2.3", "> 1 < 2", ">0.10.10", ">= 1.10.123",
    ">= 123.10.x", ">= 2 ^1.2.10 =v0.2", ">= 2.x.X", ">= x", ">=1.0.0 <2.0.0", ">=123  <=*",
    ">==1", ">=v1.*.x-beta.1", "^1.2.0", "^1.x.*", "^=1.2.3", "^X", "x.x.x-a", "~*.x.x",
    "~1.2.x-a", "~=1.2.3", "~>=1.2",
]


def test_semver_refuses_what_node_semver_refuses() -> None:
    wrongly_accepted = [r for r in NODE_REFUSES if is_valid_range(r)]
    assert wrongly_accepted == []
    wrongly_refused = [r for r in NODE_ACCEPTS if not is_valid_range(r)]
    assert wrongly_refused == []
