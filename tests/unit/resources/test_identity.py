"""``Mark.new_in``: what a history gained since a write began, by entry identity alone."""

from __future__ import annotations

from datetime import datetime, timezone

import attrs
from hypothesis import given
from hypothesis import strategies as st

from codepush_async import Package
from codepush_async._resources._effects import Mark, same_entry

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
