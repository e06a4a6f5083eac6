"""Writes are reported done only when the server holds their effect, and resent only when
it provably does not: proven by identity (hash, method, label), never by time windows.

Each scenario meddles on the client's side of the wire (a transport wrapper refuses,
swaps or loses an answer, or lets another pipeline act between the server's work and its
answer), so it runs on every target, real servers included. The client runs on a fake
clock far from the server's, which used to make any recent write look like "ours".
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from codepush_async import (
    AsyncCodePush,
    OutcomeUnknownError,
    ReleaseMethod,
    RetryPolicy,
    ServerError,
    UnverifiedReleaseError,
)
from tests._backend import httpx
from tests.conftest import FakeClock

from .conftest import Target

pytestmark = pytest.mark.anyio

POLICY = RetryPolicy(max_attempts=3, initial_backoff=0.5, multiplier=2.0, jitter=0.0)
Action = Callable[[], Awaitable[Any]]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Rule:
    """What happens to the next request by ``method`` whose path ends with ``suffix``.

    ``fate``: ``"forward"`` (unchanged), ``"refuse"`` (answered ``status`` without reaching
    the server), ``"swap"`` (the server acts, the client gets ``status``), ``"lose"`` (the
    server acts, the answer is lost), ``"drop"`` (lost without reaching the server).
    ``meanwhile`` runs after the server acted and before the client learns anything.
    """

    method: str
    suffix: str
    fate: str
    status: int = 500
    meanwhile: Action | None = None


@dataclass
class Meddler(httpx.AsyncBaseTransport):  # type: ignore[misc]
    """Forwards requests to ``inner``, applying each armed rule once."""

    inner: Any
    rules: list[Rule] = field(default_factory=list)
    sent: list[tuple[str, str]] = field(default_factory=list)

    async def handle_async_request(self, request: Any) -> Any:
        self.sent.append((request.method, request.url.path))
        rule = self._take(request)
        if rule is None:
            return await self.inner.handle_async_request(request)
        if rule.fate == "refuse":
            return httpx.Response(rule.status, text="Internal Server Error")
        if rule.fate == "drop":
            raise httpx.ReadError("connection reset before the server read the request")
        response = await self.inner.handle_async_request(request)
        await response.aread()
        await response.aclose()
        if rule.meanwhile is not None:
            await rule.meanwhile()
        if rule.fate == "lose":
            raise httpx.ReadError("connection lost before the answer came")
        if rule.fate == "swap":
            return httpx.Response(rule.status, text="Service Unavailable")
        return response

    def _take(self, request: Any) -> Rule | None:
        for rule in self.rules:
            if request.method == rule.method and request.url.path.endswith(rule.suffix):
                self.rules.remove(rule)
                return rule
        return None

    async def aclose(self) -> None:
        await self.inner.aclose()


async def meddled(target: Target, *rules: Rule) -> tuple[AsyncCodePush, Meddler]:
    """A retrying client on a fake clock whose requests pass through a ``Meddler``."""
    inner = target.transport or httpx.AsyncHTTPTransport()
    meddler = Meddler(inner, list(rules))
    client = AsyncCodePush(target.access_key, target.server_url, transport=meddler,
                           retry=POLICY, clock=FakeClock())
    await target.stack.enter_async_context(client)
    if target.transport is None:
        target.stack.push_async_callback(inner.aclose)
    return client, meddler


def path(deployment: str, tail: str) -> str:
    return f"/deployments/{deployment}/{tail}"


def writes(meddler: Meddler, method: str = "POST") -> list[str]:
    return [p for m, p in meddler.sent if m == method]


async def entries(target: Target, app: str, deployment: str) -> list[tuple[str | None, Any]]:
    history = await target.client.releases.history(app, deployment)
    return [(p.package_hash, p.release_method) for p in history]


# --- a write the server did not perform is never reported done ----------------------


async def test_a_promote_answered_500_that_did_not_act_is_not_done(target: Target) -> None:
    """An earlier promote in the destination is not this call's effect."""
    async with target.app() as app:
        await target.client.releases.release(app, "Staging", b"one", "1.0.0")
        await target.client.releases.promote(app, "Staging", "Production")
        await target.client.releases.release(app, "Staging", b"two", "1.0.0")
        cp, _ = await meddled(target, Rule("POST", "/promote/Production", "refuse"))

        with pytest.raises(ServerError):
            await cp.releases.promote(app, "Staging", "Production")

        assert await entries(target, app, "Production") == [(sha256(b"one"), "Promote")]


async def test_a_rollback_answered_500_that_did_not_act_is_not_done(target: Target) -> None:
    """The rollback already in the history was someone else's (an earlier one)."""
    async with target.app() as app:
        for content in (b"one", b"two"):
            await target.client.releases.release(app, "Staging", content, "1.0.0")
        await target.client.releases.rollback(app, "Staging")
        cp, _ = await meddled(target, Rule("POST", path("Staging", "rollback"), "refuse"))

        with pytest.raises(ServerError):
            await cp.releases.rollback(app, "Staging")

        assert len(await entries(target, app, "Staging")) == 3


async def test_a_patch_answered_500_that_did_not_act_is_not_done(target: Target) -> None:
    async with target.app() as app:
        await target.client.releases.release(app, "Staging", b"one", "1.0.0")
        cp, _ = await meddled(target, Rule("PATCH", path("Staging", "release"), "refuse"))

        with pytest.raises(ServerError):
            await cp.releases.patch(app, "Staging", description="new")

        [package] = await target.client.releases.history(app, "Staging")
        assert package.description is None


# --- a write the server performed is done, once ---------------------------------------


async def test_a_patch_answered_500_after_acting_is_read_back(target: Target) -> None:
    async with target.app() as app:
        await target.client.releases.release(app, "Staging", b"one", "1.0.0")
        cp, meddler = await meddled(
            target, Rule("PATCH", path("Staging", "release"), "swap", status=500)
        )

        patched = await cp.releases.patch(app, "Staging", description="new")

        assert patched is not None
        assert (patched.label, patched.description) == ("v1", "new")
        assert len(writes(meddler, "PATCH")) == 1


@pytest.mark.parametrize("status", [500, 503])
async def test_a_rollback_that_acted_then_failed_is_done_once(
    target: Target, status: int
) -> None:
    """A 503 after acting used to be resent: the bad bundle shipped again."""
    async with target.app() as app:
        for content in (b"good", b"bad"):
            await target.client.releases.release(app, "Staging", content, "1.0.0")
        cp, meddler = await meddled(
            target, Rule("POST", path("Staging", "rollback"), "swap", status=status)
        )

        rolled = await cp.releases.rollback(app, "Staging")

        assert (rolled.package_hash, rolled.release_method) == (sha256(b"good"), "Rollback")
        assert len(writes(meddler)) == 1
        assert await entries(target, app, "Staging") == [
            (sha256(b"good"), "Upload"), (sha256(b"bad"), "Upload"), (sha256(b"good"), "Rollback"),
        ]


async def test_a_release_that_acted_then_answered_503_is_done_once(target: Target) -> None:
    """Resent, it used to fail as identical to itself."""
    async with target.app() as app:
        cp, meddler = await meddled(
            target, Rule("POST", path("Staging", "release"), "swap", status=503)
        )

        package = await cp.releases.release(app, "Staging", b"ours", "1.0.0")

        assert package.package_hash == sha256(b"ours")
        assert len(writes(meddler)) == 1
        assert await entries(target, app, "Staging") == [(sha256(b"ours"), "Upload")]


@pytest.mark.parametrize("fate", ["swap", "lose"])
async def test_a_promote_that_acted_then_failed_is_done_once(target: Target, fate: str) -> None:
    async with target.app() as app:
        await target.client.releases.release(app, "Staging", b"one", "1.0.0")
        cp, meddler = await meddled(
            target, Rule("POST", "/promote/Production", fate, status=503)
        )

        promoted = await cp.releases.promote(app, "Staging", "Production")

        assert (promoted.package_hash, promoted.release_method) == (sha256(b"one"), "Promote")
        assert len(writes(meddler)) == 1
        assert await entries(target, app, "Production") == [(sha256(b"one"), "Promote")]


async def test_a_release_lost_while_another_pipeline_released_is_not_sent_twice(
    target: Target,
) -> None:
    """Ours landed, theirs followed: ours is found in the history, not published again."""
    async with target.app() as app:
        async def theirs() -> None:
            await target.client.releases.release(app, "Staging", b"theirs", "1.0.0")

        cp, meddler = await meddled(
            target, Rule("POST", path("Staging", "release"), "lose", meanwhile=theirs)
        )

        package = await cp.releases.release(app, "Staging", b"ours", "1.0.0")

        assert (package.label, package.package_hash) == ("v1", sha256(b"ours"))
        assert len(writes(meddler)) == 1
        assert await entries(target, app, "Staging") == [
            (sha256(b"ours"), "Upload"), (sha256(b"theirs"), "Upload"),
        ]


# --- resent only when it provably did not land ---------------------------------------


async def test_a_release_lost_before_acting_is_resent_once(target: Target) -> None:
    async with target.app() as app:
        cp, meddler = await meddled(target, Rule("POST", path("Staging", "release"), "drop"))

        package = await cp.releases.release(app, "Staging", b"ours", "1.0.0")

        assert package.package_hash == sha256(b"ours")
        assert len(writes(meddler)) == 2
        assert await entries(target, app, "Staging") == [(sha256(b"ours"), "Upload")]


async def test_a_promote_lost_before_acting_is_outcome_unknown(target: Target) -> None:
    """Not in the history when read, but it may still land: never resent."""
    async with target.app() as app:
        await target.client.releases.release(app, "Staging", b"one", "1.0.0")
        cp, meddler = await meddled(target, Rule("POST", "/promote/Production", "drop"))

        with pytest.raises(OutcomeUnknownError, match="not in the deployment's history"):
            await cp.releases.promote(app, "Staging", "Production")

        assert len(writes(meddler)) == 1
        assert await entries(target, app, "Production") == []


async def test_a_rollback_answered_503_without_acting_is_resent(target: Target) -> None:
    async with target.app() as app:
        for content in (b"good", b"bad"):
            await target.client.releases.release(app, "Staging", content, "1.0.0")
        cp, meddler = await meddled(
            target, Rule("POST", path("Staging", "rollback"), "refuse", status=503)
        )

        rolled = await cp.releases.rollback(app, "Staging")

        assert rolled.package_hash == sha256(b"good")
        assert len(writes(meddler)) == 2
        assert len(await entries(target, app, "Staging")) == 3


# --- landed, but its check could not be completed -------------------------------------


async def test_a_promote_whose_source_check_failed_says_it_landed(target: Target) -> None:
    """The source changed under the promote, and reading it again failed."""
    async with target.app() as app:
        await target.client.releases.release(app, "Staging", b"one", "1.0.0")
        meddler: Meddler | None = None

        async def source_moves_on() -> None:
            await target.client.releases.release(app, "Staging", b"two", "1.0.0")

        async def promote_then_history_fails() -> None:
            assert meddler is not None
            meddler.rules.append(Rule("GET", path("Staging", "history"), "refuse"))

        cp, meddler = await meddled(target)
        meddler.rules.append(Rule("GET", path("Production", "history"), "forward",
                                  meanwhile=source_moves_on))
        meddler.rules.append(Rule("POST", "/promote/Production", "forward",
                                  meanwhile=promote_then_history_fails))

        with pytest.raises(UnverifiedReleaseError, match="landed as") as caught:
            await cp.releases.promote(app, "Staging", "Production")

        landed = caught.value.package
        assert landed.release_method == ReleaseMethod.PROMOTE
        assert landed.package_hash == sha256(b"two")
        assert isinstance(caught.value.__cause__, ServerError)
        assert await entries(target, app, "Production") == [(sha256(b"two"), "Promote")]


async def test_a_bulk_promote_answered_500_that_did_not_act_is_a_failed_item(
    target: Target,
) -> None:
    """The same false success, seen through cp.bulk: the item used to be ``done``."""
    async with target.app() as app:
        await target.client.releases.release(app, "Staging", b"one", "1.0.0")
        await target.client.releases.promote(app, "Staging", "Production")
        await target.client.releases.release(app, "Staging", b"two", "1.0.0")
        cp, meddler = await meddled(target, Rule("POST", "/promote/Production", "refuse"))

        [item] = await cp.bulk.promote([app], "Staging", "Production")

        assert item.status == "failed"
        assert isinstance(item.error, ServerError)
        assert len(writes(meddler)) == 1
        assert await entries(target, app, "Production") == [(sha256(b"one"), "Promote")]
