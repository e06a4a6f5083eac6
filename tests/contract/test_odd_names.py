"""Odd names through every write that names something: each answer (its ``Location`` header
above all) must reach the client on a port as it does in-process.

Names are built around a unique token so the scenarios also run on a real server. Names outside
Latin-1 run there too: the official server stores the write, then answers 500 when Node refuses
the raw name in ``Location``, and the SDK reads back what was stored (an access key's secret
is lost with that answer: ``OutcomeUnknownError``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from uuid import uuid4

import pytest

from codepush_async import (
    BadRequestError,
    ConflictError,
    NotFoundError,
    OutcomeUnknownError,
    Permission,
)

from .conftest import Target, discard_apps

pytestmark = pytest.mark.anyio

NameOf = Callable[[str], str]
"""Builds an odd name from a unique token."""

APP_NAME_LIMIT = 1000
"""The server's longest app or deployment name (UTF-16 code units)."""
KEY_NAME_LIMIT = 10000
"""The server's longest access-key friendly name."""


def _padded(limit: int) -> NameOf:
    return lambda token: token + "x" * (limit - len(token))


# App and deployment names: anything but \ / ? : and control characters.
NAMES: dict[str, NameOf] = {
    "trailing space": lambda t: f"{t} ",
    "leading space": lambda t: f" {t}",
    "inner spaces": lambda t: f"{t}   three",
    "latin-1": lambda t: f"Café {t}",
    "check mark": lambda t: f"Café ✓ {t}",
    "japanese": lambda t: f"日本語 {t}",
    "astral emoji": lambda t: f"{t} 🚀",
    "percent": lambda t: f"{t} 100%",
    "escaped slash": lambda t: f"{t}%2Fnot-a-slash",
    "escaped space": lambda t: f"{t}%20",
    "plus": lambda t: f"{t}+a+b",
    "hash": lambda t: f"{t}#top",
    "double quotes": lambda t: f'{t} "quoted"',
    "apostrophe": lambda t: f"{t} it's",
    "markup": lambda t: f"{t} <b>&amp;<i>",
    "uri marks": lambda t: f"{t}~!*()'@$&,;=[]",
    "longest": _padded(APP_NAME_LIMIT),
}

# Friendly names of access keys accept any text, the reserved URL characters included.
KEY_NAMES: dict[str, NameOf] = {
    **NAMES,
    "slash": lambda t: f"{t}/a/b",
    "question mark": lambda t: f"{t}?q=1",
    "colon": lambda t: f"owner:{t}",
    "backslash": lambda t: f"{t}\\path",
    "longest": _padded(KEY_NAME_LIMIT),
}

EMAILS: dict[str, NameOf] = {
    "plus and apostrophe": lambda t: f"o'brien+{t}@example.com",
    "percent and hash": lambda t: f"100%#{t}@example.com",
    "slash": lambda t: f"a/b{t}@example.com",
    "unicode": lambda t: f"zoë.{t}@exämple.com",
    "quotes": lambda t: f'"{t}"@example.com',
}


def token() -> str:
    return f"ct-{uuid4().hex[:8]}"


def odd(target: Target, make: NameOf) -> str:
    """The odd name for this run."""
    return make(token())


def answered_500(target: Target, name: str) -> bool:
    """Whether this server answers a create naming ``name`` 500 after storing it."""
    return target.traits.latin1_names_only and any(ord(ch) > 0xFF for ch in name)


@pytest.mark.parametrize("make", NAMES.values(), ids=NAMES.keys())
async def test_odd_app_names(target: Target, make: NameOf) -> None:
    """Create, get, list, rename to another odd name and remove an app."""
    cp = target.client
    name = odd(target, make)
    renamed = odd(target, make)
    try:
        created = await cp.apps.create(name)
        assert created.name == name
        assert (await cp.apps.get(name)).name == name
        assert name in {app.name for app in await cp.apps.list()}
        with pytest.raises(ConflictError):
            await cp.apps.create(name)
        assert (await cp.apps.rename(name, renamed)).name == renamed
        with pytest.raises(NotFoundError):
            await cp.apps.get(name)
        assert (await cp.apps.get(renamed)).deployments == ("Production", "Staging")
        await cp.apps.remove(renamed)
        with pytest.raises(NotFoundError):
            await cp.apps.get(renamed)
    finally:
        await discard_apps(cp, name, renamed)


@pytest.mark.parametrize("make", NAMES.values(), ids=NAMES.keys())
async def test_odd_deployment_names_through_releases(target: Target, make: NameOf) -> None:
    """Deployments with odd names (in an app with one) through release, download, patch,
    promote, rollback, history, metrics, rename, clear and remove."""
    cp = target.client
    app = odd(target, make)
    source, dest, renamed = odd(target, make), odd(target, make), odd(target, make)
    try:
        await cp.apps.create(app, manually_provision_deployments=True)
        created = await cp.deployments.create(app, source)
        assert created.name == source
        await cp.deployments.create(app, dest)
        assert (await cp.deployments.get(app, source)).package is None

        first = await cp.releases.release(app, source, b"first bundle", "1.0.0")
        assert await target.download_if_served(first.blob_url) in (b"first bundle", None)
        second = await cp.releases.release(app, source, b"second bundle", "1.0.0")
        assert (first.label, second.label) == ("v1", "v2")
        patched = await cp.releases.patch(app, source, "v1", description="patched")
        assert patched is not None
        assert patched.description == "patched"

        promoted = await cp.releases.promote(app, source, dest, label="v1")
        assert promoted.original_deployment == source
        assert await target.download_if_served(promoted.blob_url) in (b"first bundle", None)
        rolled = await cp.releases.rollback(app, source)
        assert rolled.original_label == "v1"
        assert await target.download_if_served(rolled.blob_url) in (b"first bundle", None)
        rolled_to = await cp.releases.rollback(app, source, "v2")
        assert rolled_to.original_label == "v2"
        history = await cp.releases.history(app, source)
        assert [p.label for p in history] == ["v1", "v2", "v3", "v4"]
        assert await cp.deployments.metrics(app, source) == {}

        moved = await cp.deployments.rename(app, dest, renamed)
        assert moved.name == renamed
        assert (await cp.deployments.get(app, renamed)).package is not None
        assert sorted(d.name for d in await cp.deployments.list(app)) == sorted([source, renamed])
        await cp.releases.clear_history(app, source)
        assert await cp.releases.history(app, source) == []
        await cp.deployments.remove(app, renamed)
        with pytest.raises(NotFoundError):
            await cp.deployments.get(app, renamed)
    finally:
        await discard_apps(cp, app)


@pytest.mark.parametrize("make", KEY_NAMES.values(), ids=KEY_NAMES.keys())
async def test_odd_access_key_names(target: Target, make: NameOf) -> None:
    """Create, get, list, rename and remove an access key with an odd friendly name (the
    server trims spaces at either end, as JavaScript's ``trim``)."""
    cp = target.client
    name, renamed = odd(target, make), odd(target, make)
    stored, stored_renamed = name.strip(" "), renamed.strip(" ")
    try:
        if answered_500(target, name):  # stored, but its secret was in the failed answer
            with pytest.raises(OutcomeUnknownError, match="was created"):
                await cp.tokens.create(name, ttl=3_600_000)
        else:
            created = await cp.tokens.create(name, ttl=3_600_000)
            assert created.name == stored
            assert created.key
        assert (await cp.tokens.get(stored)).name == stored
        assert stored in {key.name for key in await cp.tokens.list()}
        with pytest.raises(ConflictError):
            await cp.tokens.create(name)
        updated = await cp.tokens.update(stored, friendly_name=renamed)
        assert updated.name == stored_renamed
        with pytest.raises(NotFoundError):
            await cp.tokens.get(stored)
        await cp.tokens.remove(stored_renamed)
        with pytest.raises(NotFoundError):
            await cp.tokens.get(stored_renamed)
    finally:
        for leftover in (stored, stored_renamed):
            with contextlib.suppress(NotFoundError):
                await cp.tokens.remove(leftover)


@pytest.mark.parametrize("make", EMAILS.values(), ids=EMAILS.keys())
async def test_odd_collaborator_emails(target: Target, make: NameOf) -> None:
    """Add, list and remove a collaborator whose e-mail needs escaping in a path."""
    email = odd(target, make)
    cp = target.client
    if not target.traits.test_hooks:  # no account can be registered there: a clean 404
        async with target.app() as app:
            with pytest.raises(NotFoundError):
                await cp.collaborators.add(app, email)
            assert email not in await cp.collaborators.list(app)
        return
    emu = target.require_emulator("registering an account with an odd e-mail")
    emu.create_account(email)
    async with target.app() as app:
        await cp.collaborators.add(app, email)
        members = await cp.collaborators.list(app)
        assert members[email].permission == Permission.COLLABORATOR
        with pytest.raises(ConflictError):
            await cp.collaborators.add(app, email)
        await cp.collaborators.remove(app, email)
        assert email not in await cp.collaborators.list(app)


ODD_LABELS = ["v1 ", " v1", "v1#2", "v1?x=1", "v1/2", "v1%", "v1+", 'v"1"', "v१", "v" + "9" * 500]


@pytest.mark.parametrize("label", ODD_LABELS, ids=range(len(ODD_LABELS)))
async def test_odd_labels_are_clean_errors(target: Target, label: str) -> None:
    """A label that names no release is a 404 for rollback and a 400 or 404 for patch and
    promote, answered (not dropped) whatever it holds."""
    cp = target.client
    async with target.app() as app:
        await cp.releases.release(app, "Staging", b"one", "1.0.0")
        await cp.releases.release(app, "Staging", b"two", "1.0.0")
        with pytest.raises(NotFoundError):
            await cp.releases.rollback(app, "Staging", label)
        with pytest.raises((BadRequestError, NotFoundError)):
            await cp.releases.patch(app, "Staging", label, description="x")
        with pytest.raises((BadRequestError, NotFoundError)):
            await cp.releases.promote(app, "Staging", "Production", label=label)
        assert [p.label for p in await cp.releases.history(app, "Staging")] == ["v1", "v2"]
