"""Fixtures for the tests against a real community CodePush server (``CODEPUSH_COMMUNITY=1``)."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import AsyncIterator, Callable, Iterator

import attrs
import pytest

from .community_server import ADMIN_PASSWORD, CommunityServer, community_server
from .raw_wire import Raw, unique

ENABLED = os.environ.get("CODEPUSH_COMMUNITY") == "1"
SKIP_REASON = (
    "needs a real community server (npm code-push-server 5.7.1 + MariaDB, started on "
    "127.0.0.1): set CODEPUSH_COMMUNITY=1 to run"
)


@attrs.frozen
class Account:
    """A second registered account and an access key of its own."""

    email: str
    access_key: str


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _say_to_terminal(config: pytest.Config) -> Callable[[str], None]:
    """Print past pytest's output capture, so the installs are not a minute of silence."""
    capture = config.pluginmanager.getplugin("capturemanager")

    def say(message: str) -> None:
        if capture is None:
            print(message, file=sys.stderr, flush=True)
            return
        with capture.global_and_fixture_disabled():
            print(message, file=sys.stderr, flush=True)

    return say


@pytest.fixture(scope="session")
def community(pytestconfig: pytest.Config) -> Iterator[CommunityServer]:
    """One server for the whole session; every test uses names of its own."""
    if not ENABLED:
        pytest.skip(SKIP_REASON)
    with community_server(say=_say_to_terminal(pytestconfig)) as server:
        yield server


@pytest.fixture(scope="session")
def friend(community: CommunityServer) -> Account:
    """Another account, to collaborate with, transfer to and act as a non-owner."""
    email = f"friend-{secrets.token_hex(3)}@example.com"
    community.add_account(email)
    return Account(email, community.create_access_key(email, ADMIN_PASSWORD))


@pytest.fixture
async def raw(community: CommunityServer) -> AsyncIterator[Raw]:
    wire = Raw(community)
    try:
        yield wire
    finally:
        await wire.aclose()


@pytest.fixture
async def app(raw: Raw) -> str:
    """A fresh iOS React-Native app with Production and Staging."""
    name = unique("app")
    await raw.create_app(name)
    return name
