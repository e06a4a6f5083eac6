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
from tests.unit.conftest import http_date, methods

pytestmark = pytest.mark.anyio

DATA = b"plain package bytes"
DATA_HASH = hashlib.sha256(DATA).hexdigest()


def _deployment(package_hash: str | None) -> dict[str, Any]:
    package = None if package_hash is None else {**PACKAGE_WIRE, "packageHash": package_hash}
    return {"deployment": {"name": "Staging", "key": "k", "package": package}}


async def test_release_lost_answer_but_stored_is_reported_as_success(
    rcp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.fail(httpx.RemoteProtocolError("Server disconnected without sending a response."))
    recorder.reply(200, json_body=_deployment(DATA_HASH))

    package = await rcp.releases.release("A", "Staging", DATA, "1.0.0")

    assert package.package_hash == DATA_HASH
    assert methods(recorder) == [
        "POST /apps/A/deployments/Staging/release",
        "GET /apps/A/deployments/Staging",
    ]


async def test_release_lost_and_not_stored_is_sent_again_whole(
    rcp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.fail(httpx.ReadTimeout("timed out"))
    recorder.reply(200, json_body=_deployment("somebody-elses-hash"))
    recorder.reply(201, json_body={"package": {**PACKAGE_WIRE, "packageHash": DATA_HASH}})
    progress: list[int] = []

    package = await rcp.releases.release("A", "Staging", DATA, "1.0.0",
                                         on_progress=lambda sent, total: progress.append(sent))

    assert package.package_hash == DATA_HASH
    first, check, second = recorder.requests
    assert (first.method, check.method, second.method) == ("POST", "GET", "POST")
    assert first.content == second.content
    assert progress == sorted(progress)


async def test_release_resend_answered_identical_means_the_first_landed(
    rcp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.fail(httpx.ReadTimeout("timed out"))
    recorder.reply(200, json_body=_deployment(None))  # not visible yet
    recorder.reply(409, text="The uploaded package was not released because it is identical "
                             "to the contents of the specified deployment's current release.")
    recorder.reply(200, json_body=_deployment(DATA_HASH))

    package = await rcp.releases.release("A", "Staging", DATA, "1.0.0")

    assert package.package_hash == DATA_HASH
    assert [r.method for r in recorder.requests] == ["POST", "GET", "POST", "GET"]


async def test_release_with_retries_off_still_reconciles_but_never_resends(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.fail(httpx.ReadTimeout("timed out"))
    recorder.reply(200, json_body=_deployment("other"))

    with pytest.raises(OutcomeUnknownError):
        await cp.releases.release("A", "Staging", DATA, "1.0.0")

    assert [r.method for r in recorder.requests] == ["POST", "GET"]


async def test_release_409_and_413_are_not_retried(
    rcp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(409, text="Please update the previous release to 100% rollout before "
                             "releasing a new package.")
    with pytest.raises(ConflictError):
        await rcp.releases.release("A", "Staging", DATA, "1.0.0")
    recorder.reply(413, text="too big")
    with pytest.raises(PayloadTooLargeError):
        await rcp.releases.release("A", "Staging", DATA, "1.0.0")
    assert len(recorder.requests) == 2


# --- the server's clock in the lost-answer check --------------------------------------


def _deployment_with(package_hash: str, uploaded_at: float) -> dict[str, Any]:
    package = {**PACKAGE_WIRE, "packageHash": package_hash, "uploadTime": int(uploaded_at * 1000)}
    return {"deployment": {"name": "Staging", "key": "k", "package": package}}


async def test_a_release_stored_by_a_server_whose_clock_is_behind_is_ours(
    short_cp: AsyncCodePush, recorder: Recorder, clock: FakeClock
) -> None:
    """The server's clock is an hour behind: its upload time is still after our send."""
    server_clock = clock.time - 3600
    recorder.fail(httpx.ReadTimeout("timed out"))
    recorder.reply(200, json_body=_deployment_with(DATA_HASH, server_clock + 1),
                   headers={"date": http_date(server_clock + 1)})

    package = await short_cp.releases.release("A", "Staging", DATA, "1.0.0")

    assert package.package_hash == DATA_HASH
    assert [r.method for r in recorder.requests] == ["POST", "GET"]


async def test_the_same_content_released_earlier_by_a_server_ahead_is_identical(
    short_cp: AsyncCodePush, recorder: Recorder, clock: FakeClock
) -> None:
    """The server's clock is an hour ahead: a release it stored a minute before our send
    (by its clock) is someone else's, so ours was refused as identical."""
    server_clock = clock.time + 3600
    recorder.fail(httpx.ReadTimeout("timed out"))
    recorder.reply(200, json_body=_deployment_with(DATA_HASH, server_clock - 60),
                   headers={"date": http_date(server_clock + 1)})

    with pytest.raises(ConflictError, match="identical"):
        await short_cp.releases.release("A", "Staging", DATA, "1.0.0")

    assert [r.method for r in recorder.requests] == ["POST", "GET"]
