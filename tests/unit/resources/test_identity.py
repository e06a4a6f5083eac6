"""``Mark.new_in``: what a history gained since a write began, by entry identity alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timezone

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from codepush_async import AsyncCodePush, Package, ServerError, UnverifiedReleaseError
from codepush_async._resources._effects import Mark, same_entry
from tests._backend import httpx
from tests.conftest import ACCESS_KEY, SERVER, FakeClock, Recorder

WHEN = datetime(2026, 1, 1, tzinfo=timezone.utc)

entry = st.builds(
    Package,
    label=st.sampled_from(["v1", "v2", "v3", None]),
    package_hash=st.sampled_from(["a", "b", None]),
    upload_time=st.sampled_from([WHEN, None]),
    release_method=st.sampled_from(["Upload", "Promote", "Rollback", None]),
    rollout=st.integers(1, 100),
    description=st.sampled_from([None, "x"]),
)


@given(st.lists(entry), st.lists(entry))
def test_what_was_appended_is_exactly_what_is_new(
    before: list[Package], added: list[Package]
) -> None:
    """Even entries equal to older ones (a history cleared, then released again) are new."""
    assert Mark(tuple(before)).new_in(before + added) == added


@given(st.lists(entry, min_size=1), st.data())
def test_a_patched_entry_is_not_new(before: list[Package], data: st.DataObject) -> None:
    """A patch changes fields an entry does not keep for life: it stays the same entry."""
    index = data.draw(st.integers(0, len(before) - 1))
    patched = list(before)
    patched[index] = attrs.evolve(before[index], rollout=7, description="p", is_disabled=True)
    assert Mark(tuple(before)).new_in(patched) == []
    assert same_entry(patched[index], before[index])


@given(st.lists(entry), st.lists(entry))
def test_entries_gone_since_are_not_new(before: list[Package], kept: list[Package]) -> None:
    """A history cleared since the mark holds nothing new unless something was added."""
    assert Mark(tuple(before + kept)).new_in(kept) == []


# --- landed, but what it stored could not be found and checked ----------------------


@pytest.fixture
async def community(recorder: Recorder, clock: FakeClock) -> AsyncIterator[AsyncCodePush]:
    """The community server's flavor: its release answer carries no package."""
    async with AsyncCodePush(ACCESS_KEY, SERVER, transport=httpx.MockTransport(recorder),
                             retry=None, clock=clock, flavor="community") as client:
        yield client


@pytest.mark.anyio
async def test_a_release_answered_done_whose_read_back_failed_says_it_landed(
    community: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(200, json_body={"history": []})  # the history before
    recorder.reply(200, text='{"msg": "succeed"}')  # POST .../release: done, no package
    recorder.reply(500, text="Internal Server Error")  # the history after

    with pytest.raises(UnverifiedReleaseError, match="answered as done") as caught:
        await community.releases.release("MyApp", "Staging", b"PK\x03\x04zip", "1.0.0")

    assert caught.value.package is None
    assert isinstance(caught.value.__cause__, ServerError)
    assert [(r.method, r.url.path) for r in recorder.requests] == [
        ("GET", "/apps/MyApp/deployments/Staging/history"),
        ("POST", "/apps/MyApp/deployments/Staging/release"),
        ("GET", "/apps/MyApp/deployments/Staging/history"),
    ]
