"""The generated fast path decodes exactly what the detailed converter decodes, or defers to it."""

from __future__ import annotations

from typing import Any

import pytest

from codepush_async import App, Deployment, Package, ResponseDecodeError
from codepush_async._converter import _fast_converter, converter, decode
from tests.payloads import APP_WIRE, PACKAGE_WIRE

DEPLOYMENT_WIRE = {"name": "Production", "key": "dk", "package": PACKAGE_WIRE, "createdTime": 5}

GOOD: list[tuple[Any, Any]] = [
    (list[Package], [PACKAGE_WIRE, {}, {"label": "v1", "rollout": 5.0, "isMandatory": 1}]),
    (list[App], [APP_WIRE, {"name": "bare"}, {"name": "n", "deployments": None}]),
    (Deployment, DEPLOYMENT_WIRE),
    (Deployment, {"name": "d", "package": None}),
]


@pytest.mark.parametrize(("tp", "payload"), GOOD)
def test_fast_path_builds_the_same_values(tp: Any, payload: Any) -> None:
    assert _fast_converter().structure(payload, tp) == converter.structure(payload, tp)
    assert decode(payload, tp, where="$", status_code=200) == converter.structure(payload, tp)


@pytest.mark.parametrize(
    ("tp", "payload", "field"),
    [
        (list[Package], [PACKAGE_WIRE, {"label": 3}], "$[1].label"),
        (list[Package], [{"isMandatory": "yes"}], "$[0].is_mandatory"),
        (list[Package], [{"size": 1.5}], "$[0].size"),
        (list[Package], [{"uploadTime": True}], "$[0].upload_time"),
        (list[App], [{"deployments": []}], "$[0].name"),
        (list[App], [{"name": "a", "deployments": "Production"}], "$[0].deployments"),
        (Deployment, {"name": "d", "package": {"label": ["v1"]}}, "$.package.label"),
    ],
)
def test_fast_path_refusals_are_named_by_the_detailed_path(
    tp: Any, payload: Any, field: str
) -> None:
    with pytest.raises(Exception):  # noqa: B017, PT011 - any refusal, the detailed path names it
        _fast_converter().structure(payload, tp)
    with pytest.raises(ResponseDecodeError) as info:
        decode(payload, tp, where="$", status_code=200)
    assert info.value.field == field


def test_fast_path_keeps_defaults_fresh() -> None:
    first, second = decode([{"name": "a"}, {"name": "b"}], list[App], where="$", status_code=200)
    assert first.collaborators == {}
    assert first.collaborators is not second.collaborators
