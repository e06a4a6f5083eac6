"""The generated fast path decodes exactly what the detailed converter decodes, or defers to it."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import attrs
import pytest

from codepush_async import App, Deployment, Package, ResponseDecodeError
from codepush_async._models.fastdecode import fast_structure_factory
from codepush_async._wire.decode import _fast_converter, _make_wire_converter, converter, decode
from tests.payloads import APP_WIRE, PACKAGE_WIRE

DEPLOYMENT_WIRE = {"name": "Production", "key": "dk", "package": PACKAGE_WIRE, "createdTime": 5}

GOOD: list[tuple[Any, Any]] = [
    (list[Package], [PACKAGE_WIRE, {}, {"label": "v1", "rollout": 5.0, "isMandatory": 1}]),
    (list[App], [APP_WIRE, {"name": "bare"}, {"name": "n", "deployments": None}]),
    (Deployment, DEPLOYMENT_WIRE),
    (Deployment, {"name": "d", "package": None}),
    (Deployment, {"name": "d", "package": {"rollout": None, "uploadTime": 1_700_000_000_123}}),
    (list[Package], [{"rollout": 40, "uploadTime": "2024-01-02T03:04:05Z"}, {"uploadTime": 1.5}]),
    (list[Package], [{"diffPackageMap": {}}, {"diffPackageMap": None}, {"rollout": None}]),
    (list[Package], []),
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
        (list[Package], [{}, "v1"], "$[1]"),
        (list[Package], [{"uploadTime": 10**30}], "$[0].upload_time"),
        (list[Package], [{"rollout": "100"}], "$[0].rollout"),
        (list[Package], [{"diffPackageMap": {"h": {"size": "1"}}}], "$[0].diff_package_map['h'].size"),
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


def test_fast_path_reads_a_null_or_absent_rollout_as_100_and_keeps_datetimes_aware() -> None:
    history = _fast_converter().structure(
        [{"rollout": None, "uploadTime": 1_700_000_000_123}, {}, {"rollout": 7}], list[Package]
    )
    assert [p.rollout for p in history] == [100, 100, 7]
    assert history[0].upload_time == datetime(2023, 11, 14, 22, 13, 20, 123000, timezone.utc)
    assert history[0].upload_time.tzinfo is timezone.utc
    assert type(history[2].rollout) is int


@attrs.frozen
class _Checked:
    size: int = attrs.field(validator=attrs.validators.ge(0))
    name: str | None = attrs.field(default=None, kw_only=True)


@attrs.frozen
class _Plain:
    size: int
    name: str | None = attrs.field(default=None, kw_only=True)


@pytest.mark.parametrize("cls", [_Checked, _Plain])
def test_generated_lists_build_through_init_or_slots_alike(cls: type) -> None:
    conv = _make_wire_converter(fast=True)
    conv.register_structure_hook_factory(
        *fast_structure_factory(
            conv, (cls,), wire_name=str, exact={}, datetime_hook=None, null_default={}
        )
    )
    items = conv.structure([{"size": 1, "name": "a"}, {"size": 2}], list[cls])
    assert items == [cls(1, name="a"), cls(2)]
    if cls is _Checked:  # its validator still runs
        with pytest.raises(ValueError, match="size"):
            conv.structure([{"size": -1}], list[cls])
