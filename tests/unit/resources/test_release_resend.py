"""A release whose answer was lost or 5xx: read back, resent only when it did not land."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from codepush_async import (
    AsyncCodePush,
    ConflictError,
    OutcomeUnknownError,
    PayloadTooLargeError,
)
from tests._backend import httpx
from tests.conftest import FakeClock, Recorder
from tests.payloads import PACKAGE_WIRE
from tests.unit.conftest import methods

pytestmark = pytest.mark.anyio

DATA = b"plain package bytes"
DATA_HASH = hashlib.sha256(DATA).hexdigest()


def _entry(package_hash: str, label: str = "v3", **fields: Any) -> dict[str, Any]:
    return {**PACKAGE_WIRE, "label": label, "packageHash": package_hash, **fields}


HISTORY = "GET /apps/A/deployments/Staging/history"
RELEASE = "POST /apps/A/deployments/Staging/release"
IDENTICAL = ("The uploaded package was not released because it is identical to the contents "
             "of the specified deployment's current release.")


async def test_release_lost_answer_but_stored_is_reported_as_success(
    rcp: AsyncCodePush, recorder: Recorder, clock: FakeClock
) -> None:
    recorder.reply_history()
    recorder.fail(httpx.RemoteProtocolError("Server disconnected without sending a response."))
    recorder.reply_history([_entry(DATA_HASH)])

    package = await rcp.releases.release("A", "Staging", DATA, "1.0.0")

    assert package.package_hash == DATA_HASH
    assert methods(recorder) == [HISTORY, RELEASE, HISTORY]
    assert clock.sleeps == [0.5]  # the server is given a backoff before the read-back


async def test_release_lost_and_not_stored_is_sent_again_whole(
    rcp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply_history()
    recorder.fail(httpx.ReadTimeout("timed out"))
    recorder.reply_history([{**_entry("somebody-elses-hash"), "appVersion": "2.0.0"}])
    recorder.reply(201, json_body={"package": _entry(DATA_HASH, "v4")})
    progress: list[int] = []

    package = await rcp.releases.release("A", "Staging", DATA, "1.0.0",
                                         on_progress=lambda sent, total: progress.append(sent))

    assert package.package_hash == DATA_HASH
    assert methods(recorder) == [HISTORY, RELEASE, HISTORY, RELEASE]
    first, second = recorder.requests[1], recorder.requests[3]
    assert first.content == second.content
    assert progress == sorted(progress)


async def test_release_resend_answered_identical_means_the_first_landed(
    rcp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply_history()
    recorder.fail(httpx.ReadTimeout("timed out"))
    recorder.reply_history()  # not visible yet
    recorder.reply(409, text=IDENTICAL)
    recorder.reply_history([_entry(DATA_HASH)])

    package = await rcp.releases.release("A", "Staging", DATA, "1.0.0")

    assert package.package_hash == DATA_HASH
    assert methods(recorder) == [HISTORY, RELEASE, HISTORY, RELEASE, HISTORY]


async def test_release_with_retries_off_still_reconciles_but_never_resends(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply_history()
    recorder.fail(httpx.ReadTimeout("timed out"))
    recorder.reply_history([{**_entry("other"), "appVersion": "2.0.0"}])

    with pytest.raises(OutcomeUnknownError, match="not in the deployment's history"):
        await cp.releases.release("A", "Staging", DATA, "1.0.0")

    assert methods(recorder) == [HISTORY, RELEASE, HISTORY]


async def test_release_409_and_413_are_not_retried(
    rcp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply_history()
    recorder.reply(409, text="Please update the previous release to 100% rollout before "
                             "releasing a new package.")
    with pytest.raises(ConflictError):
        await rcp.releases.release("A", "Staging", DATA, "1.0.0")
    recorder.reply_history()
    recorder.reply(413, text="too big")
    with pytest.raises(PayloadTooLargeError):
        await rcp.releases.release("A", "Staging", DATA, "1.0.0")
    assert methods(recorder) == [HISTORY, RELEASE, HISTORY, RELEASE]


# --- no clock in the lost-answer check: the history before the send tells ------------------


async def test_a_release_stored_with_an_upload_time_long_before_our_send_is_ours(
    short_cp: AsyncCodePush, recorder: Recorder, clock: FakeClock
) -> None:
    """The server's clock is an hour behind: the entry is new since the send, so it is ours."""
    behind_ms = int((clock.time - 3600) * 1000)
    recorder.reply_history([_entry("older", "v2", uploadTime=behind_ms - 60_000)])
    recorder.fail(httpx.ReadTimeout("timed out"))
    recorder.reply_history([_entry("older", "v2", uploadTime=behind_ms - 60_000),
                            _entry(DATA_HASH, uploadTime=behind_ms)])

    package = await short_cp.releases.release("A", "Staging", DATA, "1.0.0")

    assert (package.label, package.package_hash) == ("v3", DATA_HASH)
    assert methods(recorder) == [HISTORY, RELEASE, HISTORY]


async def test_the_same_content_released_before_our_send_is_not_ours_whatever_its_time(
    short_cp: AsyncCodePush, recorder: Recorder, clock: FakeClock
) -> None:
    """The same content was there before the send (stamped an hour ahead by the server's
    clock): it is someone else's, so ours is resent and refused as identical."""
    theirs = _entry(DATA_HASH, uploadTime=int((clock.time + 3600) * 1000))
    recorder.reply_history([theirs])
    recorder.fail(httpx.ReadTimeout("timed out"))
    recorder.reply_history([theirs])
    recorder.reply(409, text=IDENTICAL)
    recorder.reply_history([theirs])

    with pytest.raises(ConflictError, match="identical"):
        await short_cp.releases.release("A", "Staging", DATA, "1.0.0")

    assert methods(recorder) == [HISTORY, RELEASE, HISTORY, RELEASE, HISTORY]


async def test_release_lost_while_an_upload_of_our_app_version_landed_is_not_resent(
    rcp: AsyncCodePush, recorder: Recorder
) -> None:
    """Another hash for our app version may be ours stored with another upload's bundle."""
    recorder.reply_history()
    recorder.fail(httpx.ReadTimeout("timed out"))
    recorder.reply_history([_entry("swapped-contents", "v1")])

    with pytest.raises(OutcomeUnknownError, match="v1 was stored since with another package"):
        await rcp.releases.release("A", "Staging", DATA, "1.0.0")

    assert methods(recorder) == [HISTORY, RELEASE, HISTORY]
