"""The hot path's shortcuts answer exactly what the general code they skip would: a path
segment left as it is only where ``quote`` leaves it, control characters refused as the
character-by-character rule refuses them, rate-limit headers read alike present or absent."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codepush_async._wire.codec import _fill_path
from codepush_async._wire.time_headers import header_int, parse_retry_after
from codepush_async._wire.validate import check_name

NAMES = st.text(min_size=1, max_size=12) | st.text("aZ09._-~ /%?#é", min_size=1, max_size=8)


@given(NAMES)
def test_a_path_segment_is_percent_encoded_as_quote_does(name: str) -> None:
    try:
        expected = quote(name, safe="")
    except UnicodeEncodeError:
        with pytest.raises(ValueError, match="valid Unicode"):
            _fill_path("/apps/{app}", {"app": name})
        return
    if name in ("", ".", ".."):
        return
    assert _fill_path("/apps/{app}", {"app": name}) == f"/apps/{expected}"


@given(NAMES)
def test_control_characters_are_refused_as_each_character_says(name: str) -> None:
    control = any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name)
    if not name.strip() or name in (".", ".."):
        return
    if control:
        with pytest.raises(ValueError, match="control characters"):
            check_name(name, "app")
    else:
        assert check_name(name, "app") == name


@given(st.one_of(st.none(), st.text(max_size=6), st.sampled_from(["5", "5.9", "nan", "inf", "-3"])))
def test_a_header_number_is_read_alike_present_or_absent(value: str | None) -> None:
    headers = {} if value is None else {"x-ratelimit-limit": value}
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        expected = None
    else:
        expected = int(number) if number == number and abs(number) != float("inf") else None
    assert header_int(headers, "x-ratelimit-limit") == expected
    assert parse_retry_after({}, 0.0) is None
