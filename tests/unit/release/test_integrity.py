"""Release integrity on the wire: the stored hash is checked, 5xx writes are read back."""

from __future__ import annotations

import hashlib
import io
import logging
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import anyio.lowlevel
import pytest

from codepush_async import (
    AsyncCodePush,
    CodePushError,
    NotFoundError,
    OutcomeUnknownError,
    PackageChangedError,
    ReleaseIntegrityError,
    ResponseDecodeError,
    ServerError,
)
from codepush_async._release import integrity as _integrity
from codepush_async._release.integrity import community_package_hash
from codepush_async.emulator import CodePushEmulator
from tests._backend import httpx
from tests.conftest import ACCESS_KEY, SERVER, FakeClock, Recorder
from tests.payloads import PACKAGE_WIRE

pytestmark = pytest.mark.anyio


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def paths(recorder: Recorder) -> list[str]:
    return [f"{r.method} {r.url.raw_path.decode()}" for r in recorder.requests]


async def test_a_swapped_bundle_is_never_a_success(cp: AsyncCodePush, recorder: Recorder) -> None:
    recorder.reply_history()
    recorder.reply(201, json_body={"package": {**PACKAGE_WIRE, "packageHash": sha256(b"other")}})

    with pytest.raises(ReleaseIntegrityError) as caught:
        await cp.releases.release("My App", "Staging", b"ours", "1.0.0")

    error = caught.value
    assert isinstance(error, CodePushError)
    assert (error.app, error.deployment, error.label) == ("My App", "Staging", "v3")
    assert (error.expected_hash, error.actual_hash) == (sha256(b"ours"), sha256(b"other"))
    for part in (sha256(b"ours"), sha256(b"other"), "v3", "My App/Staging", "is_disabled"):
        assert part in error.message
    assert paths(recorder) == [  # nothing resent: the release exists, disable it
        "GET /apps/My%20App/deployments/Staging/history",
        "POST /apps/My%20App/deployments/Staging/release",
    ]


async def test_an_answer_without_a_hash_is_not_trusted(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply_history()
    recorder.reply(201, json_body={"package": {"label": "v1", "appVersion": "1.0.0"}})
    # The release route requires packageHash, so such an answer is never taken as success.
    with pytest.raises(ResponseDecodeError) as caught:
        await cp.releases.release("A", "S", b"ours", "1.0.0")
    assert caught.value.field == "$.package.packageHash"


async def test_promote_is_checked_against_the_release_it_copied(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    promoted = {**PACKAGE_WIRE, "releaseMethod": "Promote", "originalLabel": "v2"}
    source = [{**PACKAGE_WIRE, "label": "v2"}, {**PACKAGE_WIRE, "label": "v3", "packageHash": "x"}]
    recorder.reply_history(source)
    recorder.reply_history()  # the destination's
    recorder.reply(201, json_body={"package": promoted})
    package = await cp.releases.promote("A", "Staging", "Production")
    assert package.package_hash == PACKAGE_WIRE["packageHash"]  # v2's, not the newer v3's
    assert paths(recorder) == [  # the source read before names v2: no read after
        "GET /apps/A/deployments/Staging/history",
        "GET /apps/A/deployments/Production/history",
        "POST /apps/A/deployments/Staging/promote/Production",
    ]

    recorder.reply_history(source)
    recorder.reply_history()
    recorder.reply(201, json_body={"package": {**promoted, "packageHash": "swapped"}})
    with pytest.raises(ReleaseIntegrityError) as caught:
        await cp.releases.promote("A", "Staging", "Production")
    assert (caught.value.deployment, caught.value.actual_hash) == ("Production", "swapped")
    assert caught.value.expected_hash == PACKAGE_WIRE["packageHash"]


async def test_release_answered_500_after_storing_returns_it(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    ours = {**PACKAGE_WIRE, "label": "v4", "packageHash": sha256(b"ours")}
    old = {**PACKAGE_WIRE, "packageHash": sha256(b"old")}
    recorder.reply_history([old])
    recorder.reply(500, text="Internal Server Error")
    recorder.reply_history([old, ours])
    package = await cp.releases.release("A", "S", b"ours", "1.0.0")
    assert (package.label, package.package_hash) == ("v4", sha256(b"ours"))
    assert paths(recorder) == ["GET /apps/A/deployments/S/history",
                               "POST /apps/A/deployments/S/release",
                               "GET /apps/A/deployments/S/history"]

    # Nothing released since: the 500 stands.
    recorder.reply_history([old])
    recorder.reply(500, text="Internal Server Error")
    recorder.reply_history([old])
    with pytest.raises(ServerError):
        await cp.releases.release("A", "S", b"ours", "1.0.0")

    # Ours was there before the call: not this call's effect, the 500 stands.
    recorder.reply_history([old, ours])
    recorder.reply(500, text="Internal Server Error")
    recorder.reply_history([old, ours])
    with pytest.raises(ServerError):
        await cp.releases.release("A", "S", b"ours", "1.0.0")

    # Another release since, for another app version: not this call's, the 500 stands.
    theirs = {**old, "label": "v5", "packageHash": sha256(b"theirs"), "appVersion": "2.0.0"}
    recorder.reply_history([old])
    recorder.reply(500, text="Internal Server Error")
    recorder.reply_history([old, theirs])
    with pytest.raises(ServerError):
        await cp.releases.release("A", "S", b"ours", "1.0.0")

    # For our app version with another hash: maybe ours with other contents; unknown.
    recorder.reply_history([old])
    recorder.reply(500, text="Internal Server Error")
    recorder.reply_history([old, {**theirs, "appVersion": "1.0.0"}])
    with pytest.raises(OutcomeUnknownError, match="may be this write stored with other contents"):
        await cp.releases.release("A", "S", b"ours", "1.0.0")

    # The read-back fails too.
    recorder.reply_history([old])
    recorder.reply(500, text="Internal Server Error")
    recorder.reply(502, text="Bad Gateway")
    with pytest.raises(OutcomeUnknownError, match="reading the deployment's history back failed"):
        await cp.releases.release("A", "S", b"ours", "1.0.0")
    assert len(recorder.requests) == 18  # nothing was ever resent


async def test_503_says_the_write_was_not_acted_on(cp: AsyncCodePush, recorder: Recorder) -> None:
    recorder.reply(503, text="busy")
    with pytest.raises(ServerError):
        await cp.apps.create("A")
    assert len(recorder.requests) == 1  # no read-back: 503 means not stored


async def test_create_answered_500_is_read_back(cp: AsyncCodePush, recorder: Recorder) -> None:
    recorder.reply(500, text="Internal Server Error")
    recorder.reply(200, json_body={"app": {"name": "Café ✓", "deployments": ["Staging"]}})
    assert (await cp.apps.create("Café ✓")).name == "Café ✓"

    recorder.reply(500, text="Internal Server Error")
    recorder.reply(404, text='App "Nope" does not exist.')
    with pytest.raises(ServerError):
        await cp.apps.create("Nope")


async def test_a_write_settled_by_reading_back_says_so_in_the_log(
    cp: AsyncCodePush, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    recorder.reply(500, text="Internal Server Error")
    recorder.reply(200, json_body={"app": {"name": "Café", "deployments": ["Staging"]}})

    with caplog.at_level(logging.INFO, logger="codepush_async"):
        await cp.apps.create("Café")

    assert [r for r in caplog.record_tuples if "answered" in r[2] or "despite" in r[2]] == [
        ("codepush_async", logging.WARNING,
         "creating app 'Café' answered 500; reading back whether it was stored"),
        ("codepush_async", logging.INFO, "creating app 'Café' was stored despite its 500 answer"),
    ]


async def test_a_write_whose_read_back_fails_is_outcome_unknown(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(500, text="Internal Server Error")
    recorder.reply(502, text="Bad Gateway")

    with pytest.raises(OutcomeUnknownError) as caught:
        await cp.apps.create("Café")

    error = caught.value
    assert error.message == (
        "creating app 'Café' answered 500 (Internal Server Error) and reading back the "
        "server's state failed (Bad Gateway): it may or may not have been stored, so it "
        "was not resent."
    )
    assert error.status_code == 500
    assert isinstance(error.__cause__, ServerError)
    assert paths(recorder) == ["POST /apps", "GET /apps/Caf%C3%A9"]


async def test_releases_of_one_client_go_out_one_at_a_time() -> None:
    async def overlap(serialize: bool) -> int:
        inside = most = 0

        async def handler(request: httpx.Request) -> httpx.Response:
            nonlocal inside, most
            if request.method == "GET":  # the history read before each release
                return httpx.Response(200, json={"history": []})
            inside += 1
            most = max(most, inside)
            for _ in range(100):  # let the other task run, and reach here if it may
                if inside > 1:
                    break
                await anyio.lowlevel.checkpoint()
            body = await request.aread()
            inside -= 1
            data = b"bundle-a" if b"bundle-a" in body else b"bundle-b"
            return httpx.Response(201, json={"package": {"label": "v1",
                                                         "packageHash": sha256(data)}})

        async with (
            AsyncCodePush(ACCESS_KEY, SERVER, transport=httpx.MockTransport(handler),
                          retry=None, serialize_releases=serialize) as cp,
            anyio.create_task_group() as tg,
        ):
            for data in (b"bundle-a", b"bundle-b"):
                tg.start_soon(cp.releases.release, "A", "S", data, "1.0.0")
        return most

    assert await overlap(True) == 1
    assert await overlap(False) == 2


def test_serialize_releases_must_be_a_bool() -> None:
    with pytest.raises(ValueError, match="serialize_releases"):
        AsyncCodePush(ACCESS_KEY, SERVER, serialize_releases="no")  # type: ignore[arg-type]


def _zip(entries: dict[str, bytes | None]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            if data is None:
                archive.writestr(zipfile.ZipInfo(name), b"")
            else:
                archive.writestr(name, data)
    return buffer.getvalue()


def _manifest(entries: dict[str, bytes]) -> str:
    lines = sorted(f"{name}:{sha256(data)}" for name, data in entries.items())
    return sha256(("[" + ",".join(f'"{line}"' for line in lines) + "]").encode())


@pytest.mark.parametrize(
    ("entries", "hashed"),
    [
        # Each case was checked against code-push-server 5.7.1 (tests/integration proves it).
        ({"main.jsbundle": b"a", "assets/x.png": b"p"},
         {"main.jsbundle": b"a", "CodePush/x.png": b"p"}),
        ({"bundle/main.jsbundle": b"b", "bundle/assets/x.png": b"p"},
         {"CodePush/main.jsbundle": b"b", "CodePush/assets/x.png": b"p"}),
        ({"CodePush/": None, "CodePush/main.jsbundle": b"d"}, {"CodePush/main.jsbundle": b"d"}),
        ({"main.jsbundle": b"f", ".DS_Store": b"x", "__MACOSX/._x": b"y"},
         {"main.jsbundle": b"f"}),
        ({"CodePush/main.jsbundle": b"g", "CodePush/.codepushrelease": b"jwt"},
         {"CodePush/main.jsbundle": b"g"}),
        ({"bundle\\main.jsbundle": b"w", "bundle\\assets\\x.png": b"p"},
         {"CodePush/main.jsbundle": b"w", "CodePush/assets/x.png": b"p"}),
    ],
    ids=["root-and-nested", "other-top-folder", "directory-entries", "ignored", "signature",
         "windows-names"],
)
def test_community_server_hash(entries: dict[str, bytes | None], hashed: dict[str, bytes]) -> None:
    assert community_package_hash(_zip(entries)) == _manifest(hashed)


def test_community_server_hash_of_a_non_zip_is_unknown() -> None:
    assert community_package_hash(b"plain bytes") is None


async def test_emulator_without_redis_answers_empty_metrics() -> None:
    emu = CodePushEmulator(redis=False)
    key = emu.create_account("dev@example.com")
    async with AsyncCodePush(key, "http://emulator", transport=emu.transport) as cp:
        await cp.apps.create("A")
        await cp.releases.release("A", "Staging", b"v1", "1.0.0")
        emu.record_metrics("A", "Staging", "v1", downloaded=5, installed=5)
        assert await cp.deployments.metrics("A", "Staging") == {}
        with pytest.raises(NotFoundError):  # the server says {}, the SDK checks it exists
            await cp.deployments.metrics("A", "Nope")
    async with httpx.AsyncClient(transport=emu.transport, base_url="http://emulator") as http:
        raw = await http.get("/apps/Nope/deployments/Nope/metrics",
                             headers={"Authorization": f"Bearer {key}"})
    assert (raw.status_code, raw.json()) == (200, {"metrics": {}})


# --- a community server: its own hashing of what was sent ---------------------------------

ZIP_ENTRIES: dict[str, bytes | None] = {"main.jsbundle": b"bundle", "assets/a.png": b"png"}


@pytest.fixture
async def ccp(recorder: Recorder, clock: FakeClock) -> AsyncIterator[AsyncCodePush]:
    async with AsyncCodePush(ACCESS_KEY, SERVER, transport=httpx.MockTransport(recorder),
                             retry=None, clock=clock, flavor="community") as client:
        yield client


def answer(package_hash: str | None) -> dict[str, object]:
    return {"package": {**PACKAGE_WIRE, "packageHash": package_hash}}


async def test_a_zip_on_disk_is_checked_with_the_community_hash(
    ccp: AsyncCodePush, recorder: Recorder, tmp_path: Path
) -> None:
    archive = tmp_path / "release.zip"
    archive.write_bytes(_zip(ZIP_ENTRIES))
    theirs = _manifest({"main.jsbundle": b"bundle", "CodePush/a.png": b"png"})
    recorder.reply_history()
    recorder.reply(201, json_body=answer(theirs))

    package = await ccp.releases.release("A", "Staging", archive, "1.0.0")

    assert package.package_hash == theirs
    recorder.reply_history()
    recorder.reply(201, json_body=answer(_manifest({"main.jsbundle": b"other"})))
    with pytest.raises(ReleaseIntegrityError) as caught:
        await ccp.releases.release("A", "Staging", archive, "1.0.0")
    assert caught.value.expected_hash == theirs


async def test_a_zip_changed_while_its_community_hash_ran_cannot_be_verified(
    ccp: AsyncCodePush, recorder: Recorder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "release.zip"
    archive.write_bytes(_zip(ZIP_ENTRIES))
    real = _integrity.community_package_hash

    def changed_first(source: Path | bytes) -> str | None:
        archive.write_bytes(_zip({**ZIP_ENTRIES, "main.jsbundle": b"next build"}))
        return real(source)

    monkeypatch.setattr(_integrity, "community_package_hash", changed_first)
    recorder.reply_history()
    recorder.reply(201, json_body=answer("whatever-it-stored"))

    with pytest.raises(OutcomeUnknownError) as caught:
        await ccp.releases.release("A", "Staging", archive, "1.0.0")

    assert caught.value.message.startswith(f"{archive} changed since it was sent (it ")
    assert isinstance(caught.value.__cause__, PackageChangedError)
    assert [r.method for r in recorder.requests] == ["GET", "POST"]  # the history, the release


async def test_what_a_community_server_hashes_unknowably_is_logged_not_checked(
    ccp: AsyncCodePush, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    """It accepts only zips, so a plain bundle has no hash of its own to compare."""
    recorder.reply_history()
    recorder.reply(201, json_body=answer("its-own-hash"))

    with caplog.at_level(logging.INFO, logger="codepush_async"):
        package = await ccp.releases.release("My App", "Staging", b"plain bundle", "1.0.0")

    assert package.package_hash == "its-own-hash"
    assert ("codepush_async", logging.INFO,
            "release v3 of My App/Staging: this server's package hash cannot be checked"
            ) in caplog.record_tuples
