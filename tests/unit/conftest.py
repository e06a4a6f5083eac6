"""Clients with a deterministic retry policy, for the tests of the request loop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timezone
from email.utils import format_datetime

import pytest

from codepush_async import AsyncCodePush, RetryPolicy
from tests._backend import httpx
from tests.conftest import ACCESS_KEY, SERVER, FakeClock, Recorder

POLICY = RetryPolicy(max_attempts=4, initial_backoff=0.5, multiplier=2.0, jitter=0.0)
SHORT_POLICY = RetryPolicy(max_attempts=3, initial_backoff=0.5, jitter=0.0, max_wait=60)


def http_date(epoch: float) -> str:
    return format_datetime(datetime.fromtimestamp(epoch, tz=timezone.utc), usegmt=True)


def methods(recorder: Recorder) -> list[str]:
    return [f"{r.method} {r.url.raw_path.decode()}" for r in recorder.requests]


def _client(recorder: Recorder, clock: FakeClock, policy: RetryPolicy) -> AsyncCodePush:
    return AsyncCodePush(ACCESS_KEY, SERVER, transport=httpx.MockTransport(recorder),
                         retry=policy, clock=clock, flavor="official")


@pytest.fixture
async def rcp(recorder: Recorder, clock: FakeClock) -> AsyncIterator[AsyncCodePush]:
    """A client with four attempts and deterministic backoff (0.5, 1, 2 s)."""
    async with _client(recorder, clock, POLICY) as client:
        yield client


@pytest.fixture
async def short_cp(recorder: Recorder, clock: FakeClock) -> AsyncIterator[AsyncCodePush]:
    """A client with three attempts that waits at most a minute for the server."""
    async with _client(recorder, clock, SHORT_POLICY) as client:
        yield client
