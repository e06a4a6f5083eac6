"""Writes answered 500 after they were stored come back as what was stored.

The official server stores creates, releases, promotes and rollbacks whose names are
outside Latin-1, then answers 500 (its ``Location`` header is invalid). The emulator shows
the same with ``fail_next(500, after_handler=True)``; a server that answers such names
normally must give the same results.
"""

from __future__ import annotations

import contextlib
import hashlib

import pytest

from codepush_async import NotFoundError, OutcomeUnknownError, ReleaseMethod

from .conftest import Target, discard_apps

pytestmark = pytest.mark.anyio


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def test_writes_answered_500_after_storing_return_what_was_stored(target: Target) -> None:
    cp = target.client

    def next_post_fails_after_storing() -> None:
        if target.emulator is not None:
            target.emulator.fail_next(500, after_handler=True, method="POST")

    name = target.name("Café ✓")
    try:
        next_post_fails_after_storing()
        app = await cp.apps.create(name)
        assert (app.name, app.deployments) == (name, ("Production", "Staging"))

        next_post_fails_after_storing()
        created = await cp.deployments.create(name, "日本語")
        assert created.name == "日本語"
        assert created.key == (await cp.deployments.get(name, "日本語")).key

        releases = []
        for content in (b"first", b"second"):
            next_post_fails_after_storing()
            releases.append(await cp.releases.release(name, "日本語", content, "1.0.0"))
        assert [(p.label, p.package_hash) for p in releases] == [
            ("v1", sha256(b"first")),
            ("v2", sha256(b"second")),
        ]

        next_post_fails_after_storing()
        rolled = await cp.releases.rollback(name, "日本語")
        assert rolled.release_method == ReleaseMethod.ROLLBACK
        assert rolled.package_hash == sha256(b"first")
        assert rolled.label in ("v3", None)  # read back it has its label; answered, not

        next_post_fails_after_storing()
        promoted = await cp.releases.promote(name, "日本語", "Production")
        assert promoted.release_method == ReleaseMethod.PROMOTE
        assert promoted.package_hash == sha256(b"first")

        # Each write was stored exactly once: nothing was sent twice.
        assert [(p.label, p.package_hash) for p in await cp.releases.history(name, "日本語")] == [
            ("v1", sha256(b"first")),
            ("v2", sha256(b"second")),
            ("v3", sha256(b"first")),
        ]
        assert [p.label for p in await cp.releases.history(name, "Production")] == ["v1"]
        if target.emulator is not None:
            assert target.emulator.faults == []  # every write was answered 500
    finally:
        await discard_apps(cp, name)


async def test_access_key_answered_500_after_storing(target: Target) -> None:
    """Its secret was only in the lost answer: the SDK says so instead of a ServerError."""
    cp = target.client
    fails = target.emulator is not None or target.traits.latin1_names_only
    friendly = target.name("kéy ✓")
    if target.emulator is not None:
        target.emulator.fail_next(500, after_handler=True, method="POST")
    try:
        if fails:
            with pytest.raises(OutcomeUnknownError, match="was created") as caught:
                await cp.tokens.create(friendly)
            assert friendly in caught.value.message
        else:
            assert (await cp.tokens.create(friendly)).key
        assert (await cp.tokens.get(friendly)).name == friendly
    finally:
        with contextlib.suppress(NotFoundError):
            await cp.tokens.remove(friendly)
