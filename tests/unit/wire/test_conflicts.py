"""Conflicts by cause: each server text maps to its ``ConflictError`` subclass.

The 409 texts are the official server's (the emulator sends the same); the 406 texts are
the community server's. A text the SDK does not know keeps the plain ``ConflictError``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from codepush_async import (
    AlreadyExistsError,
    AsyncCodePush,
    ConflictError,
    IdenticalReleaseError,
    RolloutInProgressError,
    RolloutUpdateError,
)
from tests._backend import httpx
from tests.conftest import ACCESS_KEY, SERVER, FakeClock, Recorder
from tests.payloads import PACKAGE_WIRE

pytestmark = pytest.mark.anyio

OFFICIAL_409 = [
    ("The uploaded package was not released because it is identical to the contents of the "
     "specified deployment's current release.", IdenticalReleaseError),
    ("The uploaded package was not promoted because it is identical to the contents of the "
     "targeted deployment's current release.", IdenticalReleaseError),
    ("Please update the previous release to 100% rollout before releasing a new package.",
     RolloutInProgressError),
    ("Cannot promote to an unfinished rollout release unless it is already disabled.",
     RolloutInProgressError),
    ("Cannot update rollout value for a completed rollout release.", RolloutUpdateError),
    ('Rollout value must be greater than "50", the existing value.', RolloutUpdateError),
    ('The access key "ci-key" already exists.', AlreadyExistsError),
    ("An app named 'My App' already exists.", AlreadyExistsError),
    ("A deployment named 'Beta' already exists.", AlreadyExistsError),
    ("The specified entity already exists.", AlreadyExistsError),
    ("The given account is already a collaborator for this app.", AlreadyExistsError),
    ("The given account already owns the app.", AlreadyExistsError),
    ('Cannot transfer ownership. An app with name "My App" already exists for the given '
     "collaborator.", AlreadyExistsError),
    ("Cannot perform rollback because the target release (v3) is already the latest release.",
     ConflictError),
    ("Cannot perform rollback to a different app version. Please perform a new release with "
     "the desired replacement package.", ConflictError),
    ("Cannot remove the owner of the app from collaborator list.", ConflictError),
    ("Conflict", ConflictError),
    ("Something new the server says", ConflictError),
]

COMMUNITY_406 = [
    ("The uploaded package is identical to the contents of the specified deployment's "
     "current release.", IdenticalReleaseError),
    ("MyApp Exist!", AlreadyExistsError),
    ("Beta name does Exist!", AlreadyExistsError),
    ("user already is Collaborator.", AlreadyExistsError),
    ('The access key "k1"  already exists.', AlreadyExistsError),
    ("1.2.0 already exist.", AlreadyExistsError),
    ("You can't transfer to yourself!", AlreadyExistsError),
    ("can't delete yourself!", ConflictError),
]


@pytest.mark.parametrize(("text", "cls"), OFFICIAL_409)
async def test_official_409_text_names_its_cause(
    cp: AsyncCodePush, recorder: Recorder, text: str, cls: type[ConflictError]
) -> None:
    recorder.reply(409, text=text)

    with pytest.raises(ConflictError) as caught:
        await cp.apps.create("My App")

    assert type(caught.value) is cls
    assert (caught.value.message, caught.value.status_code) == (text, 409)


@pytest.mark.parametrize(("text", "cls"), COMMUNITY_406)
async def test_community_406_text_names_its_cause(
    recorder: Recorder, clock: FakeClock, text: str, cls: type[ConflictError]
) -> None:
    recorder.reply(406, text=text)
    async with AsyncCodePush(ACCESS_KEY, SERVER, transport=httpx.MockTransport(recorder),
                             retry=None, clock=clock, flavor="community") as client:
        with pytest.raises(ConflictError) as caught:
            await client.apps.create("MyApp", os="iOS", platform="React-Native")

    assert type(caught.value) is cls
    assert (caught.value.status_code, caught.value.http_status) == (409, 406)


@pytest.mark.parametrize(("text", "cls"), OFFICIAL_409[:8])
async def test_v1_envelope_message_names_its_cause(
    recorder: Recorder, clock: FakeClock, text: str, cls: type[ConflictError]
) -> None:
    recorder.reply(409, json_body={"error": {"code": "Conflict", "message": text, "details": {}}})
    async with AsyncCodePush(ACCESS_KEY, SERVER, transport=httpx.MockTransport(recorder),
                             retry=None, clock=clock, dialect="v1") as client:
        with pytest.raises(ConflictError) as caught:
            await client.apps.create("My App")

    assert type(caught.value) is cls
    assert caught.value.code == "Conflict"


def test_subclasses_are_conflicts() -> None:
    for cls in (IdenticalReleaseError, RolloutInProgressError, RolloutUpdateError,
                AlreadyExistsError):
        assert issubclass(cls, ConflictError)
        assert cls.default_status_code == 409


@pytest.fixture
async def official(recorder: Recorder, clock: FakeClock) -> AsyncIterator[AsyncCodePush]:
    async with AsyncCodePush(ACCESS_KEY, SERVER, transport=httpx.MockTransport(recorder),
                             retry=None, clock=clock, flavor="official") as client:
        yield client


@pytest.mark.parametrize(("text", "cls"), OFFICIAL_409[:6])
async def test_no_duplicate_release_error_swallows_only_identical_releases(
    official: AsyncCodePush, recorder: Recorder, text: str, cls: type[ConflictError]
) -> None:
    recorder.reply_history()
    recorder.reply(409, text=text)

    if cls is IdenticalReleaseError:
        assert await official.releases.release(
            "A", "Staging", b"x", "1.0.0", no_duplicate_release_error=True
        ) is None
    else:
        with pytest.raises(cls):
            await official.releases.release(
                "A", "Staging", b"x", "1.0.0", no_duplicate_release_error=True
            )
    assert [r.method for r in recorder.requests] == ["GET", "POST"]  # the history, the release


@pytest.mark.parametrize(("text", "cls"), OFFICIAL_409[:6])
async def test_no_duplicate_release_error_swallows_only_identical_promotes(
    official: AsyncCodePush, recorder: Recorder, text: str, cls: type[ConflictError]
) -> None:
    recorder.reply_history([PACKAGE_WIRE])  # the source's
    recorder.reply_history([PACKAGE_WIRE])  # the destination's
    recorder.reply(409, text=text)

    if cls is IdenticalReleaseError:
        assert await official.releases.promote(
            "A", "Staging", "Production", no_duplicate_release_error=True
        ) is None
    else:
        with pytest.raises(cls):
            await official.releases.promote(
                "A", "Staging", "Production", no_duplicate_release_error=True
            )
    assert [(r.method, r.url.raw_path) for r in recorder.requests] == [
        ("GET", b"/apps/A/deployments/Staging/history"),
        ("GET", b"/apps/A/deployments/Production/history"),
        ("POST", b"/apps/A/deployments/Staging/promote/Production"),
    ]
    assert json.loads(recorder.last.content) == {"packageInfo": {}}


async def test_promote_raises_identical_without_the_flag(
    official: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply_history([PACKAGE_WIRE])
    recorder.reply_history([PACKAGE_WIRE])
    recorder.reply(409, text=OFFICIAL_409[1][0])

    with pytest.raises(IdenticalReleaseError):
        await official.releases.promote("A", "Staging", "Production")
    assert recorder.last.method == "POST"  # the server's answer, not a read's


async def test_no_duplicate_release_error_must_be_a_bool(official: AsyncCodePush) -> None:
    with pytest.raises(ValueError, match="no_duplicate_release_error"):
        await official.releases.promote(
            "A", "Staging", "Production", no_duplicate_release_error="yes"  # type: ignore[call-overload]
        )
