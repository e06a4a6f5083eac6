"""``oldest_first``: the official order whatever order the server sent, with no work when
upload times already grow."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from codepush_async import Package
from codepush_async._resources._lookup import oldest_first

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


def _history(*items: tuple[str | None, int | None]) -> list[Package]:
    return [
        Package(label=label, upload_time=None if s is None else T0 + timedelta(seconds=s))
        for label, s in items
    ]


@pytest.mark.parametrize(
    ("items", "newest_first", "expected"),
    [
        ([("v1", 0), ("v2", 1), ("v3", 2)], False, ["v1", "v2", "v3"]),
        ([("v3", 2), ("v2", 1), ("v1", 0)], True, ["v1", "v2", "v3"]),
        ([("v10", 0), ("v9", 0), ("v11", 1)], False, ["v9", "v10", "v11"]),  # a tie: by number
        ([("v2", 1), ("v1", 0), ("v3", 1)], False, ["v1", "v2", "v3"]),
        ([("v2", 0), ("x", 0), ("v1", 0)], False, ["v2", "x", "v1"]),  # a label with no number
        ([("v2", 1), ("v1", None)], False, ["v2", "v1"]),  # a release with no upload time
        ([("v2", 0), (None, 0), ("v1", 0)], False, ["v2", None, "v1"]),
        ([], True, []),
    ],
)
def test_oldest_first(
    items: list[tuple[str | None, int | None]], newest_first: bool, expected: list[str | None]
) -> None:
    history = _history(*items)
    ordered = oldest_first(history, newest_first=newest_first)
    assert [p.label for p in ordered] == expected
    assert ordered is not history  # a new list: the caller's is never reordered
