"""The rollout selector against the official server's JavaScript, run by Node.js."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codepush_async.emulator._node.rollout_selector import hash_code, is_selected_for_rollout
from tests._node import js_tools

# Every code point, lone surrogates included (a JSON body can carry them): charCodeAt sees
# UTF-16 units, so a non-BMP character is two units.
ANY_CHAR = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, categories=None)
IDS = st.one_of(
    st.text(ANY_CHAR, max_size=40),
    st.text(st.sampled_from("0123456789abcdef-"), min_size=32, max_size=40),
    st.text(ANY_CHAR, min_size=500, max_size=3000),
)
TAGS = st.one_of(st.from_regex(r"v[1-9][0-9]{0,3}", fullmatch=True), st.text(ANY_CHAR, max_size=64))
CASES = st.lists(st.tuples(IDS, st.integers(0, 101), TAGS), min_size=1, max_size=150)


def node_answers(cases: list[tuple[str, int, str]], tmp: Path) -> list[list[object]]:
    path = tmp / "cases.json"
    path.write_text(json.dumps(cases), encoding="ascii")  # \\u escapes keep lone surrogates
    answers: list[list[object]] = js_tools("--rollout", str(path), cwd=tmp)
    return answers


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cases=CASES)
def test_selector_equals_node(cases: list[tuple[str, int, str]], tmp_path: Path) -> None:
    node = node_answers(cases, tmp_path)
    python = [
        [hash_code(cid + "-" + tag), is_selected_for_rollout(cid, rollout, tag)]
        for cid, rollout, tag in cases
    ]
    assert python == node


def test_fixed_cases_equal_node(tmp_path: Path) -> None:
    """Hand-picked edges: empty ids, "undefined" (a device that sent no id), a non-BMP
    character (two UTF-16 units), a lone surrogate, a hash past 2**31 (the sum is a double:
    only the shift wraps), ids long enough to swing the hash far from int32."""
    cases = [
        ("", 50, ""),
        ("undefined", 50, "v3"),
        ("device-1", 40, "v4"),
        ("\U0001f600ab", 99, "v1"),
        ("\ud800x", 3, "v2"),
        ("x" * 1000, 50, "v1"),
        ("\uffff" * 5000, 50, "\uffff"),
        ("device-7", 100, "a" * 64),
        ("device-7", 0, "v1"),
    ]
    node = node_answers(cases, tmp_path)
    assert [[hash_code(c + "-" + t), is_selected_for_rollout(c, r, t)] for c, r, t in cases] == node
    long_hash = node[5][0]
    assert isinstance(long_hash, int)
    assert abs(long_hash) > 2**31  # beyond int32: the double sum is kept
    assert hash_code("device-1-v1") == 2703853230
    assert hash_code("") == 0
