"""Scenarios 4-6: apps, collaborators and ownership transfer."""

from __future__ import annotations

import contextlib

import pytest

from codepush_async import (
    BadRequestError,
    CollaboratorProperties,
    ConflictError,
    FieldError,
    ForbiddenError,
    NotFoundError,
    PayloadTooLargeError,
    Permission,
    ServerError,
)

from .conftest import MSG_OWNER_ONLY, Target, discard_apps, unregistered_email

pytestmark = pytest.mark.anyio

DEFAULT_DEPLOYMENTS = ("Production", "Staging")


async def test_app_lifecycle(target: Target) -> None:
    """Create (default and manual deployments), conflict, get, list, rename, remove."""
    cp = target.client
    name, manual, renamed = target.name(), target.name("Manual"), target.name("Renamed")
    try:
        created = await cp.apps.create(name)
        assert created.name == name
        assert created.deployments == DEFAULT_DEPLOYMENTS
        assert created.collaborators[target.owner_email].permission == Permission.OWNER
        assert sorted(d.name for d in await cp.deployments.list(name)) == list(DEFAULT_DEPLOYMENTS)

        bare = await cp.apps.create(manual, manually_provision_deployments=True)
        assert bare.deployments is None
        assert await cp.deployments.list(manual) == []

        with pytest.raises(ConflictError) as conflict:
            await cp.apps.create(name)
        assert conflict.value.message == f"An app named '{name}' already exists."

        fetched = await cp.apps.get(name)
        assert fetched.name == name
        assert fetched.deployments == DEFAULT_DEPLOYMENTS
        assert fetched.collaborators == {
            target.owner_email: CollaboratorProperties(Permission.OWNER, True)
        }
        assert {name, manual} <= {a.name for a in await cp.apps.list()}

        with pytest.raises(ConflictError):
            await cp.apps.rename(name, manual)
        moved = await cp.apps.rename(name, renamed)
        assert moved.name == renamed
        assert moved.deployments == DEFAULT_DEPLOYMENTS
        with pytest.raises(NotFoundError) as missing:
            await cp.apps.get(name)
        assert missing.value.message == f'App "{name}" does not exist.'
        with pytest.raises(NotFoundError):
            await cp.apps.rename(name, target.name("Again"))
        assert (await cp.apps.get(renamed)).name == renamed
        names = {a.name for a in await cp.apps.list()}
        assert renamed in names
        assert name not in names

        await cp.apps.remove(renamed)
        with pytest.raises(NotFoundError):
            await cp.apps.get(renamed)
        with pytest.raises(NotFoundError) as again:
            await cp.apps.remove(renamed)
        assert again.value.message == f'App "{renamed}" does not exist.'
        assert renamed not in {a.name for a in await cp.apps.list()}
        with pytest.raises(NotFoundError):
            await cp.collaborators.list(renamed)
    finally:
        await discard_apps(cp, name, manual, renamed)


@pytest.mark.parametrize(
    "suffix",
    [
        pytest.param("My App", id="space"),
        pytest.param("a#b %2F&x=1", id="hash-and-escapes"),
        pytest.param("Äpp ✓ 日本語 🚀", id="unicode"),
    ],
)
async def test_app_names_round_trip(target: Target, suffix: str) -> None:
    """Names with spaces, ``#``, percent signs and non-ASCII reach the server intact."""
    cp = target.client
    name = target.name(suffix)
    try:
        assert (await cp.apps.create(name)).name == name
        assert (await cp.apps.get(name)).name == name
        assert name in {a.name for a in await cp.apps.list()}
        deployment = await cp.deployments.get(name, "Staging")
        assert deployment.name == "Staging"
        package = await cp.releases.release(name, "Staging", b"round trip", "1.0.0")
        assert package.label == "v1"
        assert [p.label for p in await cp.releases.history(name, "Staging")] == ["v1"]
        await cp.apps.remove(name)
        with pytest.raises(NotFoundError):
            await cp.apps.get(name)
    finally:
        await discard_apps(cp, name)


async def test_collaborators(target: Target) -> None:
    """Add/list/remove collaborators; what a collaborator may and may not do."""
    other_email = target.require_other_email()
    other = await target.other_client()
    cp = target.client
    async with target.app() as app:
        await cp.collaborators.add(app, other_email)
        assert await cp.collaborators.list(app) == {
            target.owner_email: CollaboratorProperties(Permission.OWNER, True),
            other_email: CollaboratorProperties(Permission.COLLABORATOR, False),
        }
        seen_by_other = await other.collaborators.list(app)
        assert seen_by_other[other_email].is_current_account is True
        assert not seen_by_other[target.owner_email].is_current_account

        with pytest.raises(ConflictError):
            await cp.collaborators.add(app, other_email)
        with pytest.raises(NotFoundError):
            await cp.collaborators.add(app, unregistered_email())

        assert app in {a.name for a in await other.apps.list()}
        shared = await other.apps.get(app)
        assert shared.collaborators[other_email].permission == Permission.COLLABORATOR
        package = await other.releases.release(app, "Staging", b"by a collaborator", "1.0.0")
        assert (package.label, package.released_by) == ("v1", target.released_by(other_email))
        promoted = await other.releases.promote(app, "Staging", "Production")
        assert (promoted.label, promoted.released_by) == ("v1", target.released_by(other_email))
        assert await other.deployments.metrics(app, "Production") == {}
        with pytest.raises(ForbiddenError):
            await other.releases.clear_history(app, "Staging")
        with pytest.raises(ForbiddenError):
            await other.deployments.create(app, "Collab")
        with pytest.raises(ForbiddenError):
            await other.deployments.remove(app, "Staging")

        with pytest.raises(ForbiddenError) as forbidden:
            await other.apps.remove(app)
        assert forbidden.value.status_code == 403
        assert forbidden.value.message == MSG_OWNER_ONLY
        with pytest.raises(ForbiddenError):
            await other.apps.rename(app, target.name())
        with pytest.raises(ForbiddenError):
            await other.collaborators.add(app, target.owner_email)

        with pytest.raises(ConflictError):
            await cp.collaborators.remove(app, target.owner_email)

        await cp.collaborators.remove(app, other_email)
        assert await cp.collaborators.list(app) == {
            target.owner_email: CollaboratorProperties(Permission.OWNER, True)
        }
        with pytest.raises(NotFoundError):
            await cp.collaborators.remove(app, other_email)
        with pytest.raises(NotFoundError):
            await other.apps.get(app)
        assert app not in {a.name for a in await other.apps.list()}


async def test_collaborator_may_remove_themself(target: Target) -> None:
    """A collaborator can leave an app (the one removal that does not need the owner)."""
    other_email = target.require_other_email()
    other = await target.other_client()
    async with target.app() as app:
        await target.client.collaborators.add(app, other_email)
        await other.collaborators.remove(app, other_email)
        assert other_email not in await target.client.collaborators.list(app)


async def test_transfer(target: Target) -> None:
    """Transfer makes the other account Owner and the first a Collaborator."""
    other_email = target.require_other_email()
    other = await target.other_client()
    cp = target.client
    name = target.name()
    await cp.apps.create(name)
    try:
        with pytest.raises(NotFoundError):
            await cp.apps.transfer(name, unregistered_email())
        with pytest.raises(ConflictError):
            await cp.apps.transfer(name, target.owner_email)

        await cp.apps.transfer(name, other_email)

        expected = {
            other_email: Permission.OWNER,
            target.owner_email: Permission.COLLABORATOR,
        }
        as_owner = await other.collaborators.list(name)
        assert {e: p.permission for e, p in as_owner.items()} == expected
        assert as_owner[other_email].is_current_account is True
        as_collaborator = await cp.collaborators.list(name)
        assert {e: p.permission for e, p in as_collaborator.items()} == expected
        assert as_collaborator[target.owner_email].is_current_account is True

        with pytest.raises(ForbiddenError):
            await cp.apps.remove(name)
        with pytest.raises(ForbiddenError):
            await cp.apps.transfer(name, target.owner_email)
        if not target.traits.new_owner_can_remove:
            with pytest.raises(ServerError):  # JSON storage fails to remove it
                await other.apps.remove(name)
            assert (await other.apps.get(name)).name == name
            return
        await other.apps.remove(name)
        with pytest.raises(NotFoundError):
            await cp.apps.get(name)
    finally:
        if target.traits.new_owner_can_remove:
            await discard_apps(other, name)
            await discard_apps(cp, name)
        else:  # nobody can remove it once transferred; each run is a fresh server
            with contextlib.suppress(ForbiddenError, ServerError):
                await discard_apps(cp, name)


async def test_shared_app_with_a_clashing_name(target: Target) -> None:
    """An app shared under a name the account already uses shows as ``owner:Name``."""
    other_email = target.require_other_email()
    other = await target.other_client()
    cp = target.client
    name = target.name()
    qualified = f"{other_email}:{name}"
    await cp.apps.create(name)
    try:
        await other.apps.create(name)
        await other.collaborators.add(name, target.owner_email)

        names = [a.name for a in await cp.apps.list()]
        assert names.count(name) == 1
        assert qualified in names
        shared = await cp.apps.get(qualified)
        assert shared.name == qualified
        assert shared.collaborators[other_email].permission == Permission.OWNER
        package = await cp.releases.release(qualified, "Staging", b"into the shared one", "1.0.0")
        assert package.label == "v1"
        assert [p.label for p in await other.releases.history(name, "Staging")] == ["v1"]
        assert await cp.releases.history(name, "Staging") == []
    finally:
        await discard_apps(other, name)
        await discard_apps(cp, name)


async def test_bad_requests(target: Target) -> None:
    """Server-side validation: 400 with the field errors, 413 over the 10 kB JSON cap."""
    cp = target.client
    invalid_name = [FieldError("name", "Field is invalid")]
    with pytest.raises(BadRequestError) as bad_name:
        await cp.apps.create(target.name("a/b"))
    assert bad_name.value.status_code == 400
    assert bad_name.value.field_errors == tuple(invalid_name)

    with pytest.raises(PayloadTooLargeError) as too_large:
        await cp.apps.create("x" * 11_000)
    assert too_large.value.status_code == 413

    async with target.app() as app:
        with pytest.raises(BadRequestError) as bad_rename:
            await cp.apps.rename(app, "with/slash")
        assert bad_rename.value.field_errors == tuple(invalid_name)
        with pytest.raises(BadRequestError) as bad_key:
            await cp.deployments.create(app, "Keyed", key="short")
        assert bad_key.value.field_errors == (FieldError("key", "Field is invalid"),)
        assert [d.name for d in await cp.deployments.list(app)] == ["Production", "Staging"]
