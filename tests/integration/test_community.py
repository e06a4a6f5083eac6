"""The SDK against a real community server (npm ``code-push-server@5.7.1``), end to end.

Every test asserts the SDK's documented behaviour, which must hide this server's quirks:
406 for every business error, ``{"msg": "succeed"}`` / ``ok`` / empty success bodies,
snake_case rows, newest-first history and missing endpoints. Setup and checks around the
call under test go over the raw wire, so a failure names the SDK call at fault.
Skipped unless ``CODEPUSH_COMMUNITY=1``.
"""

from __future__ import annotations

import io
import json
import secrets
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from codepush_async import (
    AccessKey,
    App,
    AsyncCodePush,
    BadRequestError,
    ConflictError,
    Deployment,
    ForbiddenError,
    NotFoundError,
    Package,
    UnauthorizedError,
    UnsupportedOperationError,
    UpdateMetrics,
)
from codepush_async._release.hashing import package_hash
from codepush_async._release.integrity import community_package_hash
from codepush_async._release.package import ReleaseContents

from .community_server import CommunityServer
from .conftest import ENABLED, SKIP_REASON, Account
from .raw_wire import Raw, bundle_zip, unique

pytestmark = [pytest.mark.anyio, pytest.mark.skipif(not ENABLED, reason=SKIP_REASON)]

HOUR_MS = 3_600_000


def client(server: CommunityServer, key: str | None = None) -> AsyncCodePush:
    """The SDK client under test, pointed at the community server."""
    return AsyncCodePush(key or server.access_key, server.url, retry=None)


@pytest.fixture(autouse=True)
def _server_alive(community: CommunityServer) -> None:
    """Fail fast, with the server's last words, once an earlier input has crashed it."""
    if not community.is_alive():
        pytest.fail(f"the community server died earlier in this session:\n{community.server_log()}")


def release_directory(root: Path, text: str) -> Path:
    """A release directory named ``CodePush``, as the official CLI's ``release-react`` makes.

    This server renames the first folder of every nested file to ``CodePush`` in its
    manifest; any other name makes its background diff of the next release (same app
    version) hit a missing file and kill the whole server process about a second later.
    """
    bundle = root / "CodePush"
    (bundle / "assets").mkdir(parents=True)
    (bundle / "main.jsbundle").write_text(f"console.log({json.dumps(text)});")
    (bundle / "assets" / "logo.png").write_bytes(b"\x89PNG fake")
    return bundle


@pytest.fixture
async def cp(community: CommunityServer) -> AsyncIterator[AsyncCodePush]:
    async with client(community) as sdk:
        yield sdk


# --- account and authentication ---------------------------------------------------------


async def test_account_get(cp: AsyncCodePush, community: CommunityServer) -> None:
    account = await cp.account.get()
    assert account.email == community.admin_email
    assert account.name == "admin"


async def test_is_authenticated(cp: AsyncCodePush) -> None:
    assert await cp.account.is_authenticated() is True


async def test_unknown_key_is_unauthorized(community: CommunityServer) -> None:
    async with client(community, "Unknown0Key0That0Is0Long0Enough0xyz") as stranger:
        with pytest.raises(UnauthorizedError):
            await stranger.apps.list()
        assert await stranger.account.is_authenticated() is False


# --- access keys ---------------------------------------------------------------------------


async def test_tokens_create_list_remove(
    cp: AsyncCodePush, raw: Raw, community: CommunityServer
) -> None:
    name = unique("key")
    created = await cp.tokens.create(name, ttl=HOUR_MS)
    assert isinstance(created, AccessKey)
    assert created.name == name
    assert created.key
    assert created.created_time is not None
    assert created.expires is not None
    assert abs((created.expires - created.created_time).total_seconds() - 3600) < 5
    async with client(community, created.key) as holder:
        assert (await holder.account.get()).email == community.admin_email

    listed = {k.name: k for k in await cp.tokens.list()}
    assert name in listed
    assert listed[name].key is None  # the server hides secrets in lists

    await cp.tokens.remove(name)
    assert name not in await raw.key_names()


async def test_tokens_create_duplicate_is_conflict(cp: AsyncCodePush) -> None:
    name = unique("key")
    await cp.tokens.create(name, ttl=HOUR_MS)
    with pytest.raises(ConflictError):
        await cp.tokens.create(name, ttl=HOUR_MS)


async def test_tokens_get(cp: AsyncCodePush) -> None:
    name = unique("key")
    await cp.tokens.create(name, ttl=HOUR_MS, created_by="tests")
    key = await cp.tokens.get(name)
    assert key.name == name
    assert key.key is None
    assert key.created_by == "tests"


async def test_tokens_get_unknown_is_not_found(cp: AsyncCodePush) -> None:
    with pytest.raises(NotFoundError):
        await cp.tokens.get(unique("no-such-key"))


async def test_tokens_update_is_unsupported(cp: AsyncCodePush) -> None:
    name = unique("key")
    await cp.tokens.create(name, ttl=HOUR_MS)
    with pytest.raises(UnsupportedOperationError):
        await cp.tokens.update(name, friendly_name=unique("renamed"))
    with pytest.raises(UnsupportedOperationError):
        await cp.tokens.update(name, ttl=2 * HOUR_MS)


async def test_tokens_remove_unknown_is_not_found(cp: AsyncCodePush) -> None:
    with pytest.raises(NotFoundError):
        await cp.tokens.remove(unique("no-such-key"))


async def test_remove_session_is_unsupported(cp: AsyncCodePush) -> None:
    with pytest.raises(UnsupportedOperationError):
        await cp.tokens.remove_session("some-machine")


# --- apps ----------------------------------------------------------------------------------


async def test_apps_create_and_list(cp: AsyncCodePush, community: CommunityServer) -> None:
    name = unique("app")
    created = await cp.apps.create(name, os="iOS", platform="React-Native")
    assert isinstance(created, App)
    assert created.name == name
    assert created.collaborators[community.admin_email].permission == "Owner"

    listed = {a.name: a for a in await cp.apps.list()}
    assert listed[name].os == "iOS"
    assert listed[name].platform == "React-Native"
    assert listed[name].deployments == ("Production", "Staging")
    assert listed[name].collaborators[community.admin_email].is_current_account is True


async def test_apps_create_without_os_and_platform_is_bad_request(cp: AsyncCodePush) -> None:
    # This server insists on both (the official one ignores them).
    with pytest.raises(BadRequestError):
        await cp.apps.create(unique("app"))


async def test_apps_create_duplicate_is_conflict(cp: AsyncCodePush, app: str) -> None:
    with pytest.raises(ConflictError):
        await cp.apps.create(app, os="iOS", platform="React-Native")


async def test_apps_get(cp: AsyncCodePush, app: str, community: CommunityServer) -> None:
    got = await cp.apps.get(app)
    assert got.name == app
    assert got.deployments == ("Production", "Staging")
    assert community.admin_email in got.collaborators


async def test_apps_get_unknown_is_not_found(cp: AsyncCodePush) -> None:
    with pytest.raises(NotFoundError):
        await cp.apps.get(unique("no-such-app"))


async def test_apps_rename(cp: AsyncCodePush, raw: Raw, app: str) -> None:
    new_name = unique("renamed")
    renamed = await cp.apps.rename(app, new_name)
    assert isinstance(renamed, App)
    assert renamed.name == new_name
    names = await raw.app_names()
    assert new_name in names
    assert app not in names


async def test_apps_rename_to_existing_is_conflict(cp: AsyncCodePush, raw: Raw, app: str) -> None:
    other = unique("app")
    await raw.create_app(other)
    with pytest.raises(ConflictError):
        await cp.apps.rename(app, other)


async def test_apps_rename_unknown_is_not_found(cp: AsyncCodePush) -> None:
    with pytest.raises(NotFoundError):
        await cp.apps.rename(unique("no-such-app"), unique("renamed"))


async def test_apps_remove(cp: AsyncCodePush, raw: Raw, app: str) -> None:
    await cp.apps.remove(app)
    assert app not in await raw.app_names()


async def test_apps_remove_unknown_is_not_found(cp: AsyncCodePush) -> None:
    with pytest.raises(NotFoundError):
        await cp.apps.remove(unique("no-such-app"))


async def test_apps_transfer(
    cp: AsyncCodePush, app: str, friend: Account, community: CommunityServer
) -> None:
    await cp.apps.transfer(app, friend.email)
    async with client(community, friend.access_key) as new_owner:
        collaborators = await new_owner.collaborators.list(app)
        assert collaborators[friend.email].permission == "Owner"
        await new_owner.apps.remove(app)


async def test_apps_transfer_to_unknown_account_is_not_found(cp: AsyncCodePush, app: str) -> None:
    with pytest.raises(NotFoundError):
        await cp.apps.transfer(app, f"{unique('ghost')}@example.com")


async def test_apps_transfer_to_self_is_conflict(
    cp: AsyncCodePush, app: str, community: CommunityServer
) -> None:
    with pytest.raises(ConflictError):
        await cp.apps.transfer(app, community.admin_email)


async def test_collaborator_cannot_remove_app(
    raw: Raw, app: str, friend: Account, community: CommunityServer
) -> None:
    await raw.add_collaborator(app, friend.email)
    async with client(community, friend.access_key) as collaborator:
        with pytest.raises(ForbiddenError):
            await collaborator.apps.remove(app)
    assert app in await raw.app_names()


@pytest.mark.parametrize("prefix", ["My App", "a#b", "100%", "Äpp ☃", "x/y"])
async def test_names_are_percent_encoded(cp: AsyncCodePush, raw: Raw, prefix: str) -> None:
    name = f"{prefix} {secrets.token_hex(3)}"
    assert (await cp.apps.create(name, os="iOS", platform="React-Native")).name == name
    assert [d.name for d in await cp.deployments.list(name)] == ["Production", "Staging"]
    assert await cp.collaborators.list(name)
    await cp.apps.remove(name)
    assert name not in await raw.app_names()


# --- collaborators -------------------------------------------------------------------------


async def test_collaborators_add_list_remove(
    cp: AsyncCodePush, raw: Raw, app: str, friend: Account, community: CommunityServer
) -> None:
    await cp.collaborators.add(app, friend.email)
    listed = await cp.collaborators.list(app)
    assert listed[friend.email].permission == "Collaborator"
    assert listed[friend.email].is_current_account is False
    assert listed[community.admin_email].permission == "Owner"
    assert listed[community.admin_email].is_current_account is True

    await cp.collaborators.remove(app, friend.email)
    assert friend.email not in await raw.collaborators(app)


async def test_collaborators_add_twice_is_conflict(
    cp: AsyncCodePush, raw: Raw, app: str, friend: Account
) -> None:
    await raw.add_collaborator(app, friend.email)
    with pytest.raises(ConflictError):
        await cp.collaborators.add(app, friend.email)


async def test_collaborators_add_unknown_account_is_not_found(cp: AsyncCodePush, app: str) -> None:
    with pytest.raises(NotFoundError):
        await cp.collaborators.add(app, f"{unique('ghost')}@example.com")


async def test_collaborators_remove_non_collaborator_is_not_found(
    cp: AsyncCodePush, app: str, friend: Account
) -> None:
    with pytest.raises(NotFoundError):
        await cp.collaborators.remove(app, friend.email)


# --- deployments ---------------------------------------------------------------------------


async def test_deployments_list(cp: AsyncCodePush, app: str) -> None:
    deployments = await cp.deployments.list(app)
    assert [d.name for d in deployments] == ["Production", "Staging"]
    assert all(isinstance(d, Deployment) and d.key and d.package is None for d in deployments)


async def test_deployments_list_is_sorted_by_name(cp: AsyncCodePush, raw: Raw, app: str) -> None:
    await raw.create_deployment(app, "Alpha")
    names = [d.name for d in await cp.deployments.list(app)]
    assert names == ["Alpha", "Production", "Staging"]


async def test_deployments_list_of_unknown_app_is_not_found(cp: AsyncCodePush) -> None:
    with pytest.raises(NotFoundError):
        await cp.deployments.list(unique("no-such-app"))


async def test_deployments_create_rename_remove(cp: AsyncCodePush, raw: Raw, app: str) -> None:
    created = await cp.deployments.create(app, "Beta")
    assert created.name == "Beta"
    assert created.key

    renamed = await cp.deployments.rename(app, "Beta", "Gamma")
    assert renamed.name == "Gamma"
    deployments = await raw.deployments(app)
    assert "Beta" not in deployments
    assert deployments["Gamma"]["key"] == created.key  # a rename keeps the key

    await cp.deployments.remove(app, "Gamma")
    assert set(await raw.deployments(app)) == {"Production", "Staging"}


async def test_deployments_create_duplicate_is_conflict(cp: AsyncCodePush, app: str) -> None:
    with pytest.raises(ConflictError):
        await cp.deployments.create(app, "Staging")


async def test_deployments_rename_to_existing_is_conflict(cp: AsyncCodePush, app: str) -> None:
    with pytest.raises(ConflictError):
        await cp.deployments.rename(app, "Staging", "Production")


async def test_deployments_rename_unknown_is_not_found(cp: AsyncCodePush, app: str) -> None:
    with pytest.raises(NotFoundError):
        await cp.deployments.rename(app, "Nope", "Other")


async def test_deployments_get(cp: AsyncCodePush, raw: Raw, app: str) -> None:
    await raw.release(app, "Staging", bundle_zip(unique("get")))
    key = (await raw.deployments(app))["Staging"]["key"]
    deployment = await cp.deployments.get(app, "Staging")
    assert deployment.name == "Staging"
    assert deployment.key == key
    assert deployment.package is not None
    assert deployment.package.label == "v1"
    assert deployment.package.package_hash == await raw.release_hash(app, "Staging", "v1")


async def test_deployments_get_before_release_has_no_package(cp: AsyncCodePush, app: str) -> None:
    deployment = await cp.deployments.get(app, "Production")
    assert deployment.name == "Production"
    assert deployment.key
    assert deployment.package is None


async def test_deployments_get_unknown_is_not_found(cp: AsyncCodePush, app: str) -> None:
    with pytest.raises(NotFoundError):
        await cp.deployments.get(app, "Nope")


async def test_deployments_remove_unknown_is_not_found(cp: AsyncCodePush, app: str) -> None:
    with pytest.raises(NotFoundError):
        await cp.deployments.remove(app, "Nope")


async def test_metrics(cp: AsyncCodePush, raw: Raw, app: str) -> None:
    assert await cp.deployments.metrics(app, "Staging") == {}
    await raw.release(app, "Staging", bundle_zip(unique("metrics")))
    metrics = await cp.deployments.metrics(app, "Staging")
    assert metrics == {"v1": UpdateMetrics(active=0, downloaded=0, installed=0, failed=0)}


async def test_metrics_of_unknown_deployment_is_not_found(cp: AsyncCodePush, app: str) -> None:
    with pytest.raises(NotFoundError):
        await cp.deployments.metrics(app, "Nope")


# --- release -------------------------------------------------------------------------------


def _check_upload(package: Package, label: str, app_version: str = "1.0.0") -> None:
    assert isinstance(package, Package)
    assert package.label == label
    assert package.app_version == app_version
    assert package.package_hash
    assert package.size
    assert package.release_method == "Upload"
    assert package.upload_time is not None


async def test_release_zip_bytes(
    cp: AsyncCodePush, raw: Raw, app: str, community: CommunityServer
) -> None:
    package = await cp.releases.release(
        app,
        "Staging",
        bundle_zip(unique("bytes")),
        "1.0.0",
        description="from bytes",
        is_mandatory=True,
    )
    assert package is not None
    _check_upload(package, "v1")
    assert package.description == "from bytes"
    assert package.is_mandatory is True
    assert package.released_by == community.admin_email
    assert package.package_hash == await raw.release_hash(app, "Staging", "v1")


async def test_release_zip_file(cp: AsyncCodePush, app: str, tmp_path: Path) -> None:
    archive = tmp_path / "release.zip"
    archive.write_bytes(bundle_zip(unique("file")))
    package = await cp.releases.release(app, "Staging", archive, "^1.0.0")
    assert package is not None
    _check_upload(package, "v1", "^1.0.0")


async def test_release_directory(cp: AsyncCodePush, raw: Raw, app: str, tmp_path: Path) -> None:
    await raw.release(app, "Staging", bundle_zip(unique("first")))
    bundle = release_directory(tmp_path, unique("dir"))
    package = await cp.releases.release(app, "Staging", bundle, "1.0.0", description="dir")
    assert package is not None
    _check_upload(package, "v2")
    assert package.description == "dir"


async def test_release_with_rollout(cp: AsyncCodePush, app: str) -> None:
    # This server keeps no rollout rules; the release itself must still come back.
    content = bundle_zip(unique("rollout"))
    package = await cp.releases.release(app, "Staging", content, "1.0.0", rollout=50)
    assert package is not None
    _check_upload(package, "v1")


async def test_release_identical_is_conflict(cp: AsyncCodePush, raw: Raw, app: str) -> None:
    content = bundle_zip(unique("same"))
    await raw.release(app, "Staging", content)
    with pytest.raises(ConflictError, match="identical"):
        await cp.releases.release(app, "Staging", content, "1.0.0")
    skipped = await cp.releases.release(
        app, "Staging", content, "1.0.0", no_duplicate_release_error=True
    )
    assert skipped is None


async def test_release_to_unknown_app_is_not_found(cp: AsyncCodePush) -> None:
    with pytest.raises(NotFoundError):
        await cp.releases.release(unique("no-such-app"), "Staging", bundle_zip("x"), "1.0.0")


async def test_release_to_unknown_deployment_is_not_found(cp: AsyncCodePush, app: str) -> None:
    with pytest.raises(NotFoundError):
        await cp.releases.release(app, "Nope", bundle_zip(unique("x")), "1.0.0")


async def test_release_app_version_the_server_rejects_is_bad_request(
    cp: AsyncCodePush, app: str
) -> None:
    # "1.0.x" is a semver range, but this server only takes *, 1.2.3, 1.2, 1.2.*, ~, ^, ranges.
    with pytest.raises(BadRequestError):
        await cp.releases.release(app, "Staging", bundle_zip(unique("x")), "1.0.x")


async def test_release_invalid_app_version_is_refused_before_sending(
    cp: AsyncCodePush, app: str
) -> None:
    with pytest.raises(ValueError, match="target_binary_version"):
        await cp.releases.release(app, "Staging", bundle_zip(unique("x")), "latest")


async def test_release_for_another_platform_is_bad_request(cp: AsyncCodePush, app: str) -> None:
    android = bundle_zip(unique("android"), entry="index.android.bundle")
    with pytest.raises(BadRequestError):
        await cp.releases.release(app, "Staging", android, "1.0.0")


# --- patch ---------------------------------------------------------------------------------


async def test_patch_latest(cp: AsyncCodePush, raw: Raw, app: str) -> None:
    await raw.release(app, "Staging", bundle_zip(unique("p")))
    patched = await cp.releases.patch(app, "Staging", description="patched", is_mandatory=True)
    assert isinstance(patched, Package)
    assert patched.label == "v1"
    assert patched.description == "patched"
    assert patched.is_mandatory is True
    latest = (await raw.history(app, "Staging"))[0]
    assert latest["description"] == "patched"
    assert latest["isMandatory"] is True


async def test_patch_app_version(cp: AsyncCodePush, raw: Raw, app: str) -> None:
    await raw.release(app, "Staging", bundle_zip(unique("p")))
    patched = await cp.releases.patch(app, "Staging", app_version="^1.0.0")
    assert isinstance(patched, Package)
    assert patched.app_version == "^1.0.0"
    assert (await raw.history(app, "Staging"))[0]["appVersion"] == "^1.0.0"


async def test_patch_by_label(cp: AsyncCodePush, raw: Raw, app: str) -> None:
    await raw.release(app, "Staging", bundle_zip(unique("one")))
    await raw.release(app, "Staging", bundle_zip(unique("two")))
    patched = await cp.releases.patch(app, "Staging", "v1", description="the first")
    assert isinstance(patched, Package)
    assert patched.label == "v1"
    by_label = {e["label"]: e for e in await raw.history(app, "Staging")}
    assert by_label["v1"]["description"] == "the first"
    assert by_label["v2"]["description"] == ""


async def test_patch_unknown_label_is_not_found(cp: AsyncCodePush, raw: Raw, app: str) -> None:
    await raw.release(app, "Staging", bundle_zip(unique("p")))
    with pytest.raises(NotFoundError):
        await cp.releases.patch(app, "Staging", "v99", description="x")


async def test_patch_without_releases_is_not_found(cp: AsyncCodePush, app: str) -> None:
    with pytest.raises(NotFoundError):
        await cp.releases.patch(app, "Staging", description="x")


async def test_patch_app_version_the_server_rejects_is_bad_request(
    cp: AsyncCodePush, raw: Raw, app: str
) -> None:
    await raw.release(app, "Staging", bundle_zip(unique("p")))
    with pytest.raises(BadRequestError):
        await cp.releases.patch(app, "Staging", app_version="1.0.x")


# --- promote -------------------------------------------------------------------------------


async def test_promote(cp: AsyncCodePush, raw: Raw, app: str) -> None:
    await raw.release(app, "Staging", bundle_zip(unique("promote")))
    source_hash = await raw.release_hash(app, "Staging", "v1")
    promoted = await cp.releases.promote(app, "Staging", "Production")
    assert isinstance(promoted, Package)
    assert promoted.label == "v1"
    assert promoted.package_hash == source_hash
    assert promoted.app_version == "1.0.0"
    assert promoted.release_method == "Promote"
    assert promoted.original_label == "v1"
    assert promoted.original_deployment == "Staging"
    assert await raw.release_hash(app, "Production", "v1") == source_hash


async def test_promote_label_with_overrides(cp: AsyncCodePush, raw: Raw, app: str) -> None:
    await raw.release(app, "Staging", bundle_zip(unique("one")))
    await raw.release(app, "Staging", bundle_zip(unique("two")))
    promoted = await cp.releases.promote(
        app, "Staging", "Production", label="v1", description="promoted", is_mandatory=True
    )
    assert promoted.package_hash == await raw.release_hash(app, "Staging", "v1")
    assert promoted.original_label == "v1"
    assert promoted.description == "promoted"
    assert promoted.is_mandatory is True


async def test_promote_identical_is_conflict(cp: AsyncCodePush, raw: Raw, app: str) -> None:
    content = bundle_zip(unique("same"))
    await raw.release(app, "Staging", content)
    await raw.release(app, "Production", content)
    with pytest.raises(ConflictError, match="identical"):
        await cp.releases.promote(app, "Staging", "Production")


async def test_promote_from_empty_deployment_is_not_found(cp: AsyncCodePush, app: str) -> None:
    with pytest.raises(NotFoundError):
        await cp.releases.promote(app, "Staging", "Production")


async def test_promote_to_unknown_deployment_is_not_found(
    cp: AsyncCodePush, raw: Raw, app: str
) -> None:
    await raw.release(app, "Staging", bundle_zip(unique("x")))
    with pytest.raises(NotFoundError):
        await cp.releases.promote(app, "Staging", "Nope")


# --- rollback ------------------------------------------------------------------------------


async def test_rollback(cp: AsyncCodePush, raw: Raw, app: str) -> None:
    await raw.release(app, "Staging", bundle_zip(unique("one")))
    await raw.release(app, "Staging", bundle_zip(unique("two")))
    rolled = await cp.releases.rollback(app, "Staging")
    assert isinstance(rolled, Package)
    assert rolled.package_hash == await raw.release_hash(app, "Staging", "v1")
    assert rolled.release_method == "Rollback"
    assert rolled.label in (None, "v3")  # the official server leaves the label out here
    assert (await raw.history(app, "Staging"))[0]["label"] == "v3"


async def test_rollback_to_label(cp: AsyncCodePush, raw: Raw, app: str) -> None:
    for text in ("one", "two", "three"):
        await raw.release(app, "Staging", bundle_zip(unique(text)))
    rolled = await cp.releases.rollback(app, "Staging", "v1")
    assert rolled.package_hash == await raw.release_hash(app, "Staging", "v1")
    assert rolled.release_method == "Rollback"


async def test_rollback_without_releases_is_not_found(cp: AsyncCodePush, app: str) -> None:
    with pytest.raises(NotFoundError):
        await cp.releases.rollback(app, "Staging")


async def test_rollback_without_prior_release_is_not_found(
    cp: AsyncCodePush, raw: Raw, app: str
) -> None:
    await raw.release(app, "Staging", bundle_zip(unique("only")))
    with pytest.raises(NotFoundError):
        await cp.releases.rollback(app, "Staging")


async def test_rollback_to_unknown_label_is_not_found(
    cp: AsyncCodePush, raw: Raw, app: str
) -> None:
    await raw.release(app, "Staging", bundle_zip(unique("one")))
    await raw.release(app, "Staging", bundle_zip(unique("two")))
    with pytest.raises(NotFoundError):
        await cp.releases.rollback(app, "Staging", "v99")


async def test_rollback_of_unknown_deployment_is_not_found(cp: AsyncCodePush, app: str) -> None:
    with pytest.raises(NotFoundError):
        await cp.releases.rollback(app, "Nope")


# --- history -------------------------------------------------------------------------------


async def test_history_is_oldest_first(
    cp: AsyncCodePush, raw: Raw, app: str, community: CommunityServer
) -> None:
    assert await cp.releases.history(app, "Staging") == []
    await raw.release(app, "Staging", bundle_zip(unique("one")))
    await raw.release(app, "Staging", bundle_zip(unique("two")), app_version="1.0")
    history = await cp.releases.history(app, "Staging")
    assert [p.label for p in history] == ["v1", "v2"]
    assert [p.app_version for p in history] == ["1.0.0", "1.0"]
    assert all(p.release_method == "Upload" for p in history)
    assert all(p.released_by == community.admin_email for p in history)
    assert history[0].package_hash == await raw.release_hash(app, "Staging", "v1")


async def test_history_of_unknown_deployment_is_not_found(cp: AsyncCodePush, app: str) -> None:
    with pytest.raises(NotFoundError):
        await cp.releases.history(app, "Nope")


async def test_clear_history(cp: AsyncCodePush, raw: Raw, app: str) -> None:
    await raw.release(app, "Staging", bundle_zip(unique("one")))
    await raw.release(app, "Staging", bundle_zip(unique("two")))
    await cp.releases.clear_history(app, "Staging")
    assert await raw.history(app, "Staging") == []
    await raw.release(app, "Staging", bundle_zip(unique("three")))
    assert [e["label"] for e in await raw.history(app, "Staging")] == ["v1"]  # labels restart


async def test_clear_history_of_unknown_deployment_is_not_found(
    cp: AsyncCodePush, app: str
) -> None:
    with pytest.raises(NotFoundError):
        await cp.releases.clear_history(app, "Nope")


# --- the whole scenario, through the SDK only ---------------------------------------------


async def test_round_trip(
    cp: AsyncCodePush, friend: Account, community: CommunityServer, tmp_path: Path
) -> None:
    name = unique("trip")
    assert (await cp.apps.create(name, os="iOS", platform="React-Native")).name == name
    assert [d.name for d in await cp.deployments.list(name)] == ["Production", "Staging"]

    beta = await cp.deployments.create(name, "Beta")
    assert (await cp.deployments.rename(name, "Beta", "Gamma")).name == "Gamma"
    assert (await cp.deployments.get(name, "Gamma")).key == beta.key
    await cp.deployments.remove(name, "Gamma")

    v1 = await cp.releases.release(name, "Staging", bundle_zip(unique("one")), "1.0.0")
    assert v1 is not None
    assert v1.label == "v1"
    bundle = release_directory(tmp_path, unique("two"))
    v2 = await cp.releases.release(name, "Staging", bundle, "1.0.0", description="dir")
    assert v2 is not None
    assert v2.label == "v2"

    patched = await cp.releases.patch(name, "Staging", description="patched", is_mandatory=True)
    assert patched is not None
    assert patched.description == "patched"

    promoted = await cp.releases.promote(name, "Staging", "Production")
    assert promoted.package_hash == v2.package_hash
    production = (await cp.deployments.get(name, "Production")).package
    assert production is not None
    assert production.package_hash == v2.package_hash

    rolled = await cp.releases.rollback(name, "Staging")
    assert rolled.package_hash == v1.package_hash
    history = await cp.releases.history(name, "Staging")
    assert [p.label for p in history] == ["v1", "v2", "v3"]
    assert history[-1].release_method == "Rollback"
    assert set(await cp.deployments.metrics(name, "Staging")) <= {"v1", "v2", "v3"}
    await cp.releases.clear_history(name, "Staging")
    assert await cp.releases.history(name, "Staging") == []

    await cp.collaborators.add(name, friend.email)
    assert friend.email in await cp.collaborators.list(name)
    await cp.collaborators.remove(name, friend.email)
    assert friend.email not in await cp.collaborators.list(name)

    key_name = unique("trip-key")
    assert (await cp.tokens.create(key_name, ttl=HOUR_MS)).key
    assert key_name in {k.name for k in await cp.tokens.list()}
    await cp.tokens.remove(key_name)
    assert key_name not in {k.name for k in await cp.tokens.list()}

    new_name = unique("trip-renamed")
    assert (await cp.apps.rename(name, new_name)).name == new_name
    assert (await cp.apps.get(new_name)).name == new_name
    await cp.apps.remove(new_name)
    assert new_name not in {a.name for a in await cp.apps.list()}
    with pytest.raises(NotFoundError):
        await cp.apps.get(new_name)


# --- release integrity: this server's own hashing, never a false alarm --------------------


def _zip_with(entries: dict[str, bytes | None]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            if data is None:
                archive.writestr(zipfile.ZipInfo(name), b"")  # a directory entry
            else:
                archive.writestr(name, data)
    return buffer.getvalue()


async def test_release_integrity_uses_this_servers_hashing(
    cp: AsyncCodePush, raw: Raw, app: str, tmp_path: Path
) -> None:
    """Layouts it hashes differently from the official server are checked, not refused.

    Each release has its own app version: this server's diff job (same app version, a top
    folder other than ``CodePush``) would crash it.
    """
    text = unique("layout")
    other_top = tmp_path / "bundle"
    (other_top / "assets").mkdir(parents=True)
    (other_top / "main.jsbundle").write_text(f"console.log({json.dumps(text)});")
    (other_top / "assets" / "logo.png").write_bytes(b"\x89PNG other top folder")
    zip_file = tmp_path / "layout.zip"
    zip_file.write_bytes(_zip_with({"main.jsbundle": f"{text} on disk".encode(),
                                    "assets/b.png": b"on disk"}))
    layouts: list[ReleaseContents] = [
        other_top,  # zipped as bundle/...: hashed as CodePush/...
        _zip_with({"main.jsbundle": text.encode(), "assets/a.png": b"root and nested"}),
        _zip_with({"CodePush/": None, "CodePush/main.jsbundle": f"{text} dirs".encode()}),
        _zip_with({"bundle\\main.jsbundle": f"{text} windows".encode(),
                   "bundle\\assets\\a.png": b"backslash names"}),
        zip_file,  # a zip on disk, read by this server's hashing as the bytes are
    ]
    for number, contents in enumerate(layouts, start=1):
        package = await cp.releases.release(app, "Staging", contents, f"1.{number}.0")
        assert package is not None
        assert package.label == f"v{number}"
        stored = await raw.release_hash(app, "Staging", f"v{number}")
        assert package.package_hash == stored
        source = contents if contents is not other_top else None
        if source is not None:
            assert community_package_hash(source) == stored
            assert package_hash(source) != stored  # the official algorithm would differ
