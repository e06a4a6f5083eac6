"""Community-server answers, scripted on the wire: how the SDK recognises and adapts to them.

(The same behaviour runs against a real community server in tests/integration.)
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import AsyncIterator

import pytest

from codepush_async import (
    AlreadyExistsError,
    AsyncCodePush,
    BadRequestError,
    CodePushError,
    ConflictError,
    ForbiddenError,
    IdenticalReleaseError,
    NotFoundError,
    ReleaseIntegrityError,
    UnsupportedOperationError,
)
from codepush_async._release.integrity import community_package_hash
from tests._backend import httpx
from tests.conftest import ACCESS_KEY, SERVER, FakeClock, Recorder

pytestmark = pytest.mark.anyio

UPLOAD_S = 1_795_432_524_000  # the community server keeps whole seconds


def row(label: str, method: str = "Upload", upload_time: int = UPLOAD_S) -> dict[str, object]:
    return {"label": label, "appVersion": "1.0.0", "packageHash": f"hash-{label}",
            "releaseMethod": method, "uploadTime": upload_time, "rollout": 100,
            "isDisabled": False, "originalLabel": "", "originalDeployment": ""}


@pytest.fixture
async def auto(recorder: Recorder, clock: FakeClock) -> AsyncIterator[AsyncCodePush]:
    """A client that has to find out which server it talks to."""
    async with AsyncCodePush(ACCESS_KEY, SERVER, transport=httpx.MockTransport(recorder),
                             retry=None, clock=clock) as client:
        yield client


def paths(recorder: Recorder) -> list[str]:
    return [f"{r.method} {r.url.raw_path.decode()}" for r in recorder.requests]


@pytest.mark.parametrize(
    ("text", "cls"),
    [
        ("MyApp Exist!", AlreadyExistsError),
        ('The access key "k1"  already exists.', AlreadyExistsError),
        ("Beta name does Exist!", AlreadyExistsError),
        ("user already is Collaborator.", AlreadyExistsError),
        ("The uploaded package is identical to the contents of the specified deployment's "
         "current release.", IdenticalReleaseError),
        ("You can't transfer to yourself!", AlreadyExistsError),
        ("can't delete yourself!", ConflictError),
        ("App MyApp not exists.", NotFoundError),
        ('does not find the deployment "X"', NotFoundError),
        ("x@y.z does not exist.", NotFoundError),
        ("user is not a Collaborator", NotFoundError),
        pytest.param("您之前还没有发布过版本", NotFoundError, id="never-released-NotFoundError"),
        pytest.param("没有可供回滚的版本", NotFoundError, id="nothing-to-roll-back-NotFoundError"),
        ("Permission Deny, You are not owner!", ForbiddenError),
        ("Please input os [iOS|Android|Windows]!", BadRequestError),
        ("targetBinaryVersion 1.0.x not support.", BadRequestError),
        ("upload file type is invalidate", BadRequestError),
    ],
)
async def test_406_maps_to_the_class_its_message_means(
    auto: AsyncCodePush, recorder: Recorder, text: str, cls: type[CodePushError]
) -> None:
    recorder.reply(406, text=text)

    with pytest.raises(cls) as caught:
        await auto.apps.create("MyApp", os="iOS", platform="React-Native")

    error = caught.value
    assert type(error) is cls
    assert error.message == text
    assert error.status_code == cls.default_status_code
    assert error.http_status == 406
    assert auto.flavor == "community"


async def test_missing_get_endpoint_falls_back_to_the_list(
    auto: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(404, text="Not Found")
    recorder.reply(200, json_body={"apps": [{"name": "Other"}, {"name": "MyApp", "id": 3}]})
    recorder.reply(200, json_body={"apps": [{"name": "Other"}]})

    app = await auto.apps.get("MyApp")
    with pytest.raises(NotFoundError, match=r'App "Gone" does not exist\.'):
        await auto.apps.get("Gone")

    assert app.name == "MyApp"
    assert auto.flavor == "community"
    assert paths(recorder) == ["GET /apps/MyApp", "GET /apps", "GET /apps"]


async def test_an_official_server_is_never_second_guessed(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(404, text="Not Found")
    with pytest.raises(NotFoundError):
        await cp.apps.get("MyApp")
    assert len(recorder.requests) == 1


async def test_empty_404_is_not_a_missing_endpoint(auto: AsyncCodePush, recorder: Recorder) -> None:
    recorder.reply(404, text="")
    with pytest.raises(NotFoundError):
        await auto.apps.get("MyApp")
    assert len(recorder.requests) == 1
    assert auto.flavor is None


async def test_broken_deployment_placeholder_is_replaced_from_the_list(
    auto: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(200, json_body={"deployment": {"isFulfilled": False, "isRejected": False}})
    recorder.reply(200, json_body={"deployments": [{"name": "Staging", "key": "k",
                                                    "package": None}]})

    deployment = await auto.deployments.get("MyApp", "Staging")

    assert (deployment.name, deployment.key) == ("Staging", "k")


async def test_release_answered_succeed_is_read_back_newest_of_equal_seconds(
    auto: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply_history([row("v1")])
    recorder.reply(200, text='{"msg": "succeed"}')
    recorder.reply_history([row("v3"), row("v2"), row("v1")])

    package = await auto.releases.release("MyApp", "Staging", b"PK\x03\x04zip", "1.0.0")

    assert package.label == "v3"  # of the two new since the call began, the newest
    assert paths(recorder) == ["GET /apps/MyApp/deployments/Staging/history",
                               "POST /apps/MyApp/deployments/Staging/release",
                               "GET /apps/MyApp/deployments/Staging/history"]


async def test_history_comes_oldest_first(auto: AsyncCodePush, recorder: Recorder) -> None:
    recorder.reply(200, json_body={"history": [row("v10"), row("v9"), row("v2", upload_time=1)]})
    history = await auto.releases.history("MyApp", "Staging")
    assert [p.label for p in history] == ["v2", "v9", "v10"]


async def test_patch_sends_app_version_key_and_reads_the_release_back(
    auto: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply_history([row("v2"), row("v1")])  # read before the patch
    recorder.reply(404, text="Not Found")  # the flavor probe: GET /accessKeys/<probe>
    recorder.reply(200, text="")
    recorder.reply_history([row("v2"), {**row("v1"), "description": "new"}])

    package = await auto.releases.patch("MyApp", "Staging", "v1", description="new")

    before, probe, patch, after = recorder.requests
    assert before.url.raw_path == after.url.raw_path == b"/apps/MyApp/deployments/Staging/history"
    assert probe.url.raw_path == b"/accessKeys/codepush-async-flavor-probe"
    assert json.loads(patch.content) == {
        "packageInfo": {"label": "v1", "description": "new", "appVersion": None}
    }
    assert package is not None
    assert (package.label, package.description) == ("v1", "new")


async def test_promote_row_is_read_back_from_the_destination(
    auto: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply_history([row("v9")])  # the source: same package hash
    recorder.reply_history()  # the destination, before
    recorder.reply(200, json_body={"package": {"id": 18, "package_hash": "h", "label": "v9",
                                               "release_method": "Promote"}})
    # as a real one stores it (tests/integration): the original label names what it copied
    recorder.reply_history([{**row("v9", "Promote"), "originalLabel": "v9",
                             "originalDeployment": "Staging"}])

    package = await auto.releases.promote("MyApp", "Staging", "Production")

    assert (package.label, package.package_hash) == ("v9", "hash-v9")
    assert paths(recorder) == [
        "GET /apps/MyApp/deployments/Staging/history",
        "GET /apps/MyApp/deployments/Production/history",
        "POST /apps/MyApp/deployments/Staging/promote/Production",
        "GET /apps/MyApp/deployments/Production/history",
    ]


async def test_missing_endpoints_raise_unsupported(
    auto: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(404, text="Not Found")
    with pytest.raises(UnsupportedOperationError, match="Updating an access key"):
        await auto.tokens.update("ci", friendly_name="ci2")
    with pytest.raises(UnsupportedOperationError, match="Removing a session"):
        await auto.tokens.remove_session("mac")
    assert len(recorder.requests) == 1  # the second is refused before any request


async def test_key_created_with_the_default_ttl(auto: AsyncCodePush, recorder: Recorder) -> None:
    recorder.reply(404, text="Not Found")  # probe
    recorder.reply(200, json_body={"accessKey": {"name": "SECRET_0123456789", "friendlyName": "ci"}})

    key = await auto.tokens.create("ci")

    assert key.key == "SECRET_0123456789"
    assert json.loads(recorder.last.content) == {"friendlyName": "ci", "ttl": 5_184_000_000}


async def test_metrics_null_means_none_or_an_unknown_deployment(
    auto: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(200, json_body={"metrics": None})
    recorder.reply(200, json_body={"deployments": [{"name": "Staging", "key": "k"}]})
    recorder.reply(200, json_body={"metrics": None})
    recorder.reply(200, json_body={"deployments": [{"name": "Staging", "key": "k"}]})

    assert await auto.deployments.metrics("MyApp", "Staging") == {}
    with pytest.raises(NotFoundError, match=r'Deployment "Nope" does not exist\.'):
        await auto.deployments.metrics("MyApp", "Nope")


async def test_a_release_read_back_after_someone_elses_is_found_in_the_history(
    auto: AsyncCodePush, recorder: Recorder
) -> None:
    """Its release answer has no package: the latest one may be a release made just after."""
    ours = io.BytesIO()
    with zipfile.ZipFile(ours, "w") as archive:
        archive.writestr("main.jsbundle", "ours")
    ours_hash = community_package_hash(ours.getvalue())
    mine = {**row("v1"), "packageHash": ours_hash}
    recorder.reply_history()
    recorder.reply(200, json_body={"msg": "succeed"})
    recorder.reply_history([row("v2"), mine])  # newest first

    package = await auto.releases.release("MyApp", "Staging", ours.getvalue(), "1.0.0")

    assert (package.label, package.package_hash) == ("v1", ours_hash)

    # The same content again: the server answers done, but the only new entry is not ours
    # (the v1 holding our hash was there before the call).
    recorder.reply_history([row("v2"), mine])
    recorder.reply(200, json_body={"msg": "succeed"})
    recorder.reply_history([row("v3"), row("v2"), mine])
    with pytest.raises(ReleaseIntegrityError) as caught:  # ours is not there: swapped
        await auto.releases.release("MyApp", "Staging", ours.getvalue(), "1.0.0")
    assert (caught.value.label, caught.value.actual_hash) == ("v3", "hash-v3")
