"""Property tests: whatever a server sends, ``decode`` answers exactly what the detailed
converter answers (the same value, or a ``ResponseDecodeError`` naming the same field), and
the generated fast path never builds a value the detailed converter would not."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codepush_async import App, Package, ResponseDecodeError
from codepush_async._core.outcome import Answer
from codepush_async._resources._base import _check_required
from codepush_async._wire.decode import _fast_converter, converter, decode
from tests.payloads import APP_WIRE, PACKAGE_WIRE

# Right and wrong JSON values for any field: the type a field wants, and every other.
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**15), 10**15), st.floats(allow_nan=True),
    st.text(max_size=4), st.sampled_from(["v1", "2024-01-02T03:04:05Z", "Owner", "Production"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                 max_size=3),
    max_leaves=6,
)


def _mutated(base: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """``base`` with some keys dropped and some replaced by any JSON value."""
    keys = sorted(base)
    return st.builds(
        lambda drop, change: {
            k: change.get(k, v) for k, v in base.items() if k not in drop
        },
        st.sets(st.sampled_from(keys), max_size=3),
        st.dictionaries(st.sampled_from(keys), VALUES, max_size=3),
    )


COLLABORATOR = st.fixed_dictionaries(
    {}, optional={"permission": VALUES, "isCurrentAccount": VALUES}
)
APP_ITEMS = st.one_of(
    _mutated(APP_WIRE),
    st.fixed_dictionaries(
        {"name": st.text(max_size=3)},
        optional={
            "deployments": st.lists(st.text(max_size=3) | VALUES, max_size=3) | VALUES,
            "collaborators": st.dictionaries(st.text(max_size=3), COLLABORATOR, max_size=2)
            | VALUES,
        },
    ),
)
PACKAGE_ITEMS = _mutated(PACKAGE_WIRE)


def _outcome(payload: Any, tp: Any) -> tuple[str, Any]:
    try:
        return "value", decode(payload, tp, where="$", status_code=200)
    except ResponseDecodeError as error:
        return "error", error.field


def _detailed(payload: Any, tp: Any) -> tuple[str, Any]:
    try:
        return "value", converter.structure(payload, tp)
    except Exception:  # any refusal: decode must refuse too
        return "error", None


@settings(max_examples=300, deadline=None)
@given(st.lists(APP_ITEMS, max_size=3))
def test_apps_decode_as_the_detailed_converter_does(payload: list[Any]) -> None:
    _assert_same(payload, list[App])


@settings(max_examples=300, deadline=None)
@given(st.lists(PACKAGE_ITEMS, max_size=3))
def test_histories_decode_as_the_detailed_converter_does(payload: list[Any]) -> None:
    _assert_same(payload, list[Package])


def _assert_same(payload: Any, tp: Any) -> None:
    kind, got = _outcome(payload, tp)
    expected_kind, expected = _detailed(payload, tp)
    assert kind == expected_kind
    if kind == "value":
        assert got == expected
        assert [type(x) for x in got] == [type(x) for x in expected]
    try:
        fast = _fast_converter().structure(payload, tp)
    except Exception:  # a refusal defers to the detailed path
        return
    assert (kind, fast) == ("value", expected)


@pytest.mark.parametrize("deployments", [["Production", "Staging"], [], ["x", 3], "ab", {}])
def test_an_apps_deployments_are_a_tuple_of_strings_or_refused(deployments: Any) -> None:
    payload = [{"name": "a", "deployments": deployments}]
    _assert_same(payload, list[App])


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 30), st.data())
def test_a_missing_required_key_is_named_with_its_entry(size: int, data: st.DataObject) -> None:
    history: list[Any] = [dict(PACKAGE_WIRE, label=f"v{i + 1}") for i in range(size)]
    index = data.draw(st.integers(0, size - 1))
    history[index] = dict(history[index], label=None)
    answer = Answer(history, "history", 200, required=("label",))
    with pytest.raises(ResponseDecodeError) as info:
        _check_required(answer)
    assert info.value.field == f"history[{index}].label"
    _check_required(Answer(history[:index], "history", 200, required=("label",)))
