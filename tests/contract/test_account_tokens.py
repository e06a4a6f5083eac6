"""Scenarios 1-3: the account, access keys and login sessions."""

from __future__ import annotations

import contextlib
import time
from datetime import timedelta

import pytest

from codepush_async import (
    AsyncCodePush,
    ConflictError,
    NotFoundError,
    Session,
    UnauthorizedError,
)

from .conftest import Target

pytestmark = pytest.mark.anyio

HOUR_MS = 3_600_000
CLOCK_SLACK_S = 120  # a real server's clock may differ from ours a little


async def _discard_key(client: AsyncCodePush, name: str) -> None:
    with contextlib.suppress(NotFoundError):
        await client.tokens.remove(name)


async def test_account_and_authentication(target: Target) -> None:
    """The key's account is reported, and a well-formed but unknown key is refused."""
    account = await target.client.account.get()
    assert account.email == target.owner_email
    assert await target.client.account.is_authenticated() is True
    if target.emulator is not None:  # the headers the official SDK sends, on every request
        for request in target.emulator.requests:
            assert request.headers["accept"] == "application/vnd.code-push.v2+json"
            assert request.headers["x-codepush-sdk-version"]
            assert request.headers["authorization"].startswith("Bearer ")

    bogus = await target.connect("x" * 40)
    with pytest.raises(UnauthorizedError) as caught:
        await bogus.apps.list()
    assert caught.value.status_code == 401
    assert "is invalid" in caught.value.message
    assert await bogus.account.is_authenticated() is False

    for malformed in ("short", "not*a*valid*key*at*all"):  # refused without a lookup
        refused = await target.connect(malformed)
        with pytest.raises(UnauthorizedError):
            await refused.account.get()
        assert await refused.account.is_authenticated() is False


async def test_access_key_lifecycle(target: Target) -> None:
    """Create (secret shown once and usable), list/get (no secret), update, conflict, remove."""
    cp = target.client
    first, second, taken = target.name("key"), target.name("key renamed"), target.name("key")
    try:
        created = await cp.tokens.create(first, ttl=HOUR_MS)
        assert created.name == first
        assert created.key is not None
        assert 10 <= len(created.key) <= 100
        assert created.created_time is not None
        assert created.expires is not None
        assert created.expires - created.created_time == timedelta(hours=1)

        holder = await target.connect(created.key)
        assert (await holder.account.get()).email == target.owner_email
        assert isinstance(await holder.apps.list(), list)

        listed = {k.name: k for k in await cp.tokens.list()}
        assert first in listed
        assert all(k.key is None for k in listed.values()), "a listed key carried its secret"
        assert listed[first].expires == created.expires
        assert listed[first].is_session is False

        fetched = await cp.tokens.get(first)
        assert (fetched.name, fetched.key, fetched.expires) == (first, None, created.expires)

        with pytest.raises(ConflictError) as conflict:
            await cp.tokens.create(first, ttl=HOUR_MS)
        assert conflict.value.message == f'The access key "{first}" already exists.'

        updated = await cp.tokens.update(first, friendly_name=second, ttl=2 * HOUR_MS)
        assert updated.name == second
        assert updated.key is None
        assert updated.expires is not None
        assert abs(updated.expires.timestamp() - (time.time() + 7200)) < CLOCK_SLACK_S
        assert (await cp.tokens.get(second)).expires == updated.expires
        with pytest.raises(NotFoundError):
            await cp.tokens.get(first)
        assert (await holder.account.get()).email == target.owner_email  # still the same key

        await cp.tokens.create(taken, ttl=HOUR_MS)
        with pytest.raises(ConflictError):
            await cp.tokens.update(second, friendly_name=taken)

        await cp.tokens.remove(second)
        with pytest.raises(NotFoundError) as missing:
            await cp.tokens.get(second)
        assert missing.value.message == f'Access key "{second}" does not exist.'
        with pytest.raises(NotFoundError):
            await cp.tokens.remove(second)
        with pytest.raises(NotFoundError):
            await cp.tokens.update(second, ttl=HOUR_MS)
        with pytest.raises(UnauthorizedError):
            await holder.apps.list()
        assert second not in {k.name for k in await cp.tokens.list()}
    finally:
        for name in (first, second, taken):
            await _discard_key(cp, name)


async def test_access_key_ttl_zero_expires_it(target: Target) -> None:
    """``ttl=0`` on update expires the key at once: its holder gets 401 "has expired"."""
    cp = target.client
    name = target.name("key")
    try:
        created = await cp.tokens.create(name, ttl=HOUR_MS)
        assert created.key is not None
        holder = await target.connect(created.key)
        assert await holder.account.is_authenticated() is True

        expired = await cp.tokens.update(name, ttl=0)
        assert expired.expires is not None
        assert abs(expired.expires.timestamp() - time.time()) < CLOCK_SLACK_S

        with pytest.raises(UnauthorizedError) as caught:
            await holder.apps.list()
        assert "has expired" in caught.value.message
        assert await holder.account.is_authenticated() is False
    finally:
        await _discard_key(cp, name)


async def test_sessions(target: Target) -> None:
    """Login sessions: listed by machine, hidden from the key list, removed per machine."""
    cp = target.client
    if not target.traits.test_hooks:  # sessions come from logins, which only the emulator fakes
        assert await cp.tokens.sessions() == []
        with pytest.raises(NotFoundError) as none:
            await cp.tokens.remove_session("build-mac")
        assert none.value.message == 'There are no sessions associated with "build-mac."'
        return
    emu = target.require_emulator("create_session")
    emu.create_session(target.owner_email, "build-mac")
    emu.create_session(target.owner_email, "build-mac")
    emu.create_session(target.owner_email, "ci linux")

    sessions = sorted(await cp.tokens.sessions(), key=lambda s: s.machine_name)
    assert [s.machine_name for s in sessions] == ["build-mac", "ci linux"]
    assert all(isinstance(s, Session) and s.logged_in_time is not None for s in sessions)

    plain = await cp.tokens.list()
    assert all(not k.is_session for k in plain)
    everything = await cp.tokens.list(include_sessions=True)
    session_keys = [k for k in everything if k.is_session]
    assert sorted(k.created_by or "" for k in session_keys) == [
        "build-mac",
        "build-mac",
        "ci linux",
    ]
    assert len(everything) == len(plain) + 3
    assert all(k.key is None for k in everything)

    await cp.tokens.remove_session("build-mac")
    assert [s.machine_name for s in await cp.tokens.sessions()] == ["ci linux"]
    with pytest.raises(NotFoundError) as caught:
        await cp.tokens.remove_session("build-mac")
    assert caught.value.message == 'There are no sessions associated with "build-mac."'
    await cp.tokens.remove_session("ci linux")
    assert await cp.tokens.sessions() == []
    assert len(await cp.tokens.list(include_sessions=True)) == len(plain)


async def test_session_keys_have_unique_friendly_names(target: Target) -> None:
    """Friendly names are the handles of get/remove, unique per account (a duplicate is a
    409 on create), so sessions opened in the same millisecond must not share one."""
    if target.traits.test_hooks:
        emu = target.require_emulator("create_session")
        for machine in ("build-mac", "build-mac", "ci linux"):
            emu.create_session(target.owner_email, machine)

    keys = await target.client.tokens.list(include_sessions=True)
    names = [k.name for k in keys]
    assert len(set(names)) == len(names), f"duplicate friendly names: {sorted(names)}"
