"""The client's rollout hash (``cp.devices.explain`` places devices with it) against the
official server's JavaScript, run by Node.js, on the emulator selector's cases."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings

from codepush_async._wire.rollout import is_selected_for_rollout, rollout_hash
from tests.emulator.test_emu_rollout_selector import CASES, node_answers

FIXED = [("", 50, ""), ("undefined", 25, "v2"), ("\ud800x", 3, "v2"), ("x" * 1000, 50, "v1"),
         ("\uffff" * 5000, 50, "\uffff"), ("device-7", 0, "v1"), ("device-7", 100, "v1")]


def ours(cases: list[tuple[str, int, str]]) -> list[list[object]]:
    return [[rollout_hash(f"{cid}-{tag}"), is_selected_for_rollout(cid, rollout, tag)]
            for cid, rollout, tag in cases]


def test_fixed_cases_equal_node(tmp_path: Path) -> None:
    assert ours(FIXED) == node_answers(FIXED, tmp_path)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cases=CASES)
def test_generated_ids_equal_node(cases: list[tuple[str, int, str]], tmp_path: Path) -> None:
    assert ours(cases) == node_answers(cases, tmp_path)
