"""The official server's upload race, met by many clients at once: no swap passes as success.

It writes every upload to one shared temp file, so concurrent releases from separate
clients (separate CI pipelines) get stored with each other's bundles. Every such release
must raise ``ReleaseIntegrityError``; every release reported as a success must be stored
with exactly the bundle its client sent.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass

import anyio
import pytest

from codepush_async import AsyncCodePush, CodePushError, Package, ReleaseIntegrityError

from .conftest import ENV_KEY, ENV_URL

pytestmark = pytest.mark.anyio

CLIENTS = 8
ROUNDS = 6
SIZE = 256 * 1024


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Outcome:
    deployment: str
    sent_hash: str
    result: Package | CodePushError


async def _release(url: str, key: str, app: str, deployment: str, out: list[Outcome]) -> None:
    content = secrets.token_bytes(SIZE)  # incompressible and unique: a plain-file release
    sent_hash = hashlib.sha256(content).hexdigest()
    async with AsyncCodePush(key, url, retry=None) as cp:  # a separate client each time
        try:
            result: Package | CodePushError = await cp.releases.release(
                app, deployment, content, "1.0.0"
            )
        except ReleaseIntegrityError as error:
            result = error
            # What the README tells a pipeline to do: disable the wrong release at once.
            await cp.releases.patch(app, deployment, error.label, is_disabled=True)
        except CodePushError as error:  # 500s of the race, settled or not by a read-back
            result = error
    out.append(Outcome(deployment, sent_hash, result))


async def test_concurrent_releases_never_report_a_swapped_bundle_as_success(
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, key = os.environ[ENV_URL], os.environ[ENV_KEY]
    app = f"race-{secrets.token_hex(4)}"
    deployments = [f"D{i}" for i in range(CLIENTS)]
    outcomes: list[Outcome] = []
    async with AsyncCodePush(key, url) as cp:
        await cp.apps.create(app, manually_provision_deployments=True)
        for name in deployments:
            await cp.deployments.create(app, name)
        for _ in range(ROUNDS):
            async with anyio.create_task_group() as tg:
                for name in deployments:
                    tg.start_soon(_release, url, key, app, name, outcomes)
        stored = {
            (name, p.label): p.package_hash
            for name in deployments
            for p in await cp.releases.history(app, name)
        }
        await cp.apps.remove(app)

    successes = [o for o in outcomes if isinstance(o.result, Package)]
    caught = [o for o in outcomes if isinstance(o.result, ReleaseIntegrityError)]
    failed = len(outcomes) - len(successes) - len(caught)
    wrong_successes = [
        o for o in successes
        if stored[(o.deployment, o.result.label)] != o.sent_hash  # type: ignore[union-attr]
    ]
    # A swapped release is one stored under a label with a hash its client did not send.
    swapped = len(caught) + len(wrong_successes)
    for o in caught:
        assert isinstance(o.result, ReleaseIntegrityError)
        assert o.result.expected_hash == o.sent_hash
        assert stored[(o.deployment, o.result.label)] == o.result.actual_hash != o.sent_hash
    with capsys.disabled():
        print(
            f"\nupload race: {len(outcomes)} concurrent releases from {len(outcomes)} clients "
            f"({ROUNDS} rounds of {CLIENTS}): {swapped} stored with another bundle, "
            f"{len(caught)} caught (ReleaseIntegrityError), {len(wrong_successes)} reported as "
            f"success; {len(successes)} correct successes, {failed} other errors"
        )
    assert len(outcomes) == CLIENTS * ROUNDS
    assert wrong_successes == []
