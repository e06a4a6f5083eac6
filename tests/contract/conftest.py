"""The ``target`` fixture: the same scenarios against three servers.

``inprocess`` talks to a fresh emulator through its httpx transport, ``served`` to the same
emulator on a loopback port (uvicorn in a thread), ``real`` to the server named by
``CODEPUSH_TEST_SERVER_URL`` with ``CODEPUSH_TEST_ACCESS_KEY`` (skipped when unset; the
optional ``CODEPUSH_TEST_OTHER_EMAIL`` / ``CODEPUSH_TEST_OTHER_ACCESS_KEY`` name a second
registered account for the collaborator and transfer scenarios).

What a server does differently is declared once, as its ``Traits``
(``CODEPUSH_TEST_SERVER_TRAITS`` names them for a real server; ``nox -s official``
sets ``official-json``, and ``official-redis`` for its server with Redis and blob URLs), and
each scenario asserts that server's real behaviour. The device scenarios tally the answers
they compare per target (``tally``); the run's summary prints the counts.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import uuid4

import httpx
import pytest

from codepush_async import AsyncCodePush, NotFoundError
from codepush_async.emulator import CodePushEmulator

OWNER_EMAIL = "owner@example.com"
OTHER_EMAIL = "other@example.com"
EMULATOR_URL = "http://emulator"

ENV_URL = "CODEPUSH_TEST_SERVER_URL"
ENV_KEY = "CODEPUSH_TEST_ACCESS_KEY"
ENV_OTHER_EMAIL = "CODEPUSH_TEST_OTHER_EMAIL"
ENV_OTHER_KEY = "CODEPUSH_TEST_OTHER_ACCESS_KEY"
ENV_TRAITS = "CODEPUSH_TEST_SERVER_TRAITS"

# The official server's texts that classic-api.md quotes verbatim.
MSG_OWNER_ONLY = "This action requires Owner permissions on the app!"
MSG_IDENTICAL_RELEASE = (
    "The uploaded package was not released because it is identical to the contents of the "
    "specified deployment's current release."
)
MSG_FINISH_ROLLOUT = (
    "Please update the previous release to 100% rollout before releasing a new package."
)
MSG_NO_PROMOTABLE = "Cannot promote from a deployment with no enabled releases."
MSG_LABEL_NOT_FOUND = "Release not found for given label."


def unique_name(suffix: str = "App") -> str:
    """A name no other run uses (with a space, as real app names often have)."""
    return f"ct-{uuid4().hex[:8]} {suffix}"


def unregistered_email() -> str:
    """An e-mail address no server has an account for."""
    return f"ct-nobody-{uuid4().hex[:12]}@example.com"


async def discard_apps(client: AsyncCodePush, *names: str) -> None:
    """Remove apps a scenario created; already gone is fine (cleanup must not mask failures)."""
    for name in names:
        with contextlib.suppress(NotFoundError):
            await client.apps.remove(name)


@dataclass(frozen=True)
class Traits:
    """How a server under test differs from the official server on Azure storage + Redis."""

    name: str
    test_hooks: bool = False
    """The emulator's hooks (record metrics, open login sessions) are available."""
    metrics_need_redis: bool = False
    """No Redis: metrics are always ``{}``, even for an unknown deployment."""
    records_released_by: bool = True
    """Packages carry ``releasedBy`` (JSON storage leaves it out)."""
    serves_blobs: bool = True
    """``blobUrl`` downloads the package (JSON storage answers ``[object Object]/<id>``)."""
    latin1_names_only: bool = False
    """Creates, releases, promotes and rollbacks with a name outside Latin-1 are stored,
    then answered 500 (an invalid ``Location`` header)."""
    new_owner_can_remove: bool = True
    """The new owner of a transferred app can remove it (JSON storage answers 500)."""


EMULATOR_TRAITS = Traits("emulator", test_hooks=True)
REAL_TRAITS = {
    "official": Traits("official"),
    # microsoft/code-push-server with the JsonStorage its own tests use, and no Redis.
    "official-json": Traits(
        "official-json",
        metrics_need_redis=True,
        records_released_by=False,
        serves_blobs=False,
        latin1_names_only=True,
        new_owner_can_remove=False,
    ),
}
# The same server with Redis (metrics from device reports, the answer cache) and working
# blob URLs (OFFICIAL_REDIS=1 OFFICIAL_BLOB_URLS=1): the device scenarios' server.
REAL_TRAITS["official-redis"] = replace(
    REAL_TRAITS["official-json"], name="official-redis", metrics_need_redis=False,
    serves_blobs=True,
)


@dataclass
class Target:
    """One server under test and what the scenarios need to drive it."""

    kind: str
    client: AsyncCodePush
    emulator: CodePushEmulator | None
    server_url: str
    owner_email: str
    other_email: str | None
    other_key: str | None
    transport: httpx.AsyncBaseTransport | None
    stack: AsyncExitStack = field(repr=False)
    traits: Traits = EMULATOR_TRAITS
    access_key: str = field(default="", repr=False)
    """The owner's key, for scenarios that need a client of their own."""

    def released_by(self, email: str) -> str | None:
        """The ``releasedBy`` this server shows for a release made by ``email``."""
        return email if self.traits.records_released_by else None

    def name(self, suffix: str = "App") -> str:
        """A unique app (or key) name for this run."""
        return unique_name(suffix)

    def require_emulator(self, why: str) -> CodePushEmulator:
        """The emulator, or skip: ``why`` needs the emulator's test hooks."""
        if self.emulator is None:
            pytest.skip(f"needs the emulator's test hooks ({why}); not available on a real server")
        return self.emulator

    def require_other_email(self) -> str:
        """The second account's e-mail, or skip with the variables to set."""
        if self.other_email is None or self.other_key is None:
            pytest.skip(
                f"needs a second registered account on the real server: set {ENV_OTHER_EMAIL} "
                f"and {ENV_OTHER_KEY}"
            )
        return self.other_email

    async def connect(self, access_key: str, **options: Any) -> AsyncCodePush:
        """Another client on the same server (closed at teardown); retries off by default."""
        options.setdefault("retry", None)
        client = AsyncCodePush(access_key, self.server_url, transport=self.transport, **options)
        return await self.stack.enter_async_context(client)

    async def other_client(self) -> AsyncCodePush:
        """A client of the second account (skips on a real server without one)."""
        self.require_other_email()
        assert self.other_key is not None
        return await self.connect(self.other_key)

    async def download_if_served(self, blob_url: str | None) -> bytes | None:
        """The package at ``blob_url``; ``None`` where the server serves no blobs (checked)."""
        assert blob_url
        if self.traits.serves_blobs:
            return await self.download(blob_url)
        assert blob_url.startswith("[object Object]/")  # JSON storage's broken URL
        return None

    async def device_http(self) -> httpx.AsyncClient:
        """A plain HTTP client on this server, as a device has: no access key (closed at teardown)."""
        http = httpx.AsyncClient(
            base_url=self.server_url, transport=self.transport, trust_env=False, timeout=30
        )
        return await self.stack.enter_async_context(http)

    async def download(self, url: str) -> bytes:
        """Fetch a package's ``blob_url`` the way a device would."""
        async with httpx.AsyncClient(transport=self.transport, follow_redirects=True) as http:
            response = await http.get(url)
        response.raise_for_status()
        return response.content

    @asynccontextmanager
    async def app(self, *, manual: bool = False) -> AsyncIterator[str]:
        """Create a uniquely named app for one scenario and remove it in ``finally``."""
        name = self.name()
        await self.client.apps.create(name, manually_provision_deployments=manual)
        try:
            yield name
        finally:
            await discard_apps(self.client, name)


async def _emulator_target(kind: str, stack: AsyncExitStack) -> Target:
    emu = CodePushEmulator()
    key = emu.create_account(OWNER_EMAIL)
    other_key = emu.create_account(OTHER_EMAIL)
    transport: httpx.AsyncBaseTransport | None = None
    if kind == "inprocess":
        url, transport = EMULATOR_URL, emu.transport
    else:
        url = await stack.enter_async_context(emu.serving())
    client = await stack.enter_async_context(
        AsyncCodePush(key, url, transport=transport, retry=None)
    )
    return Target(kind, client, emu, url, OWNER_EMAIL, OTHER_EMAIL, other_key, transport, stack,
                  access_key=key)


async def _real_target(stack: AsyncExitStack) -> Target:
    url, key = os.environ.get(ENV_URL), os.environ.get(ENV_KEY)
    if not url or not key:
        pytest.skip(f"no real CodePush server configured: set {ENV_URL} and {ENV_KEY}")
    client = await stack.enter_async_context(AsyncCodePush(key, url, retry=None))
    email = (await client.account.get()).email
    assert email, "the real server's account has no e-mail"
    other_email = os.environ.get(ENV_OTHER_EMAIL) or None
    other_key = os.environ.get(ENV_OTHER_KEY) or None
    kind = os.environ.get(ENV_TRAITS) or "official"
    if kind not in REAL_TRAITS:
        raise pytest.UsageError(f"{ENV_TRAITS} must be one of {sorted(REAL_TRAITS)}, got {kind!r}")
    return Target(
        "real", client, None, url, email, other_email, other_key, None, stack, REAL_TRAITS[kind],
        access_key=key,
    )


# The real target is only collected when a server is named, so runs without one show
# no skipped tests; with one, every scenario also runs against it.
# ``CODEPUSH_TEST_TARGETS=real`` runs only the real one (the emulator's runs are elsewhere).
TARGETS = ["inprocess", "served"] + (["real"] if os.environ.get(ENV_URL) else [])
if os.environ.get("CODEPUSH_TEST_TARGETS"):
    TARGETS = [t for t in TARGETS if t in os.environ["CODEPUSH_TEST_TARGETS"].split(",")]


@pytest.fixture(params=TARGETS)
async def target(request: pytest.FixtureRequest) -> AsyncIterator[Target]:
    """The server under test: a fresh emulator (in-process or served) or a real server."""
    kind: str = request.param
    async with AsyncExitStack() as stack:
        if kind == "real":
            yield await _real_target(stack)
        else:
            yield await _emulator_target(kind, stack)


@dataclass
class Tally:
    """Answers a scenario compared with the expected ones, and how many differed."""

    compared: int = 0
    differences: int = 0


TALLIES: dict[str, Tally] = {}


def tally(target: Target) -> Tally:
    """The running count for ``target``'s kind (``real`` is named by its traits)."""
    kind = target.traits.name if target.kind == "real" else target.kind
    return TALLIES.setdefault(kind, Tally())


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line per target: the device answers compared with their expected values."""
    for kind, counts in sorted(TALLIES.items()):
        terminalreporter.write_line(
            f"device fidelity [{kind}]: {counts.compared} answers compared, "
            f"{counts.differences} differences"
        )
