"""The wire layer alone: no client, no I/O."""

from __future__ import annotations

import pytest

from codepush_async._exceptions import UnsupportedOperationError
from codepush_async._wire.codec import WireResponse, build_request, unwrap_response
from codepush_async._wire.dialects import CLASSIC, Dialect, Route
from codepush_async._wire.errors import parse_retry_after


@pytest.mark.parametrize(
    ("name", "encoded"),
    [
        ("My App", "My%20App"),
        ("a#b", "a%23b"),
        ("owner@example.com:MyApp", "owner%40example.com%3AMyApp"),
        ("a/b?c", "a%2Fb%3Fc"),
        ("100%", "100%25"),
        ("Ünïcödé", "%C3%9Cn%C3%AFc%C3%B6d%C3%A9"),
    ],
)
def test_every_path_segment_is_percent_encoded(name: str, encoded: str) -> None:
    request = build_request(CLASSIC, "deployments.get", {"app": name, "deployment": name})
    assert request.path == f"/apps/{encoded}/deployments/{encoded}"


def test_params_named_as_body_params_travel_in_the_wrapped_body() -> None:
    request = build_request(
        CLASSIC,
        "releases.patch",
        {"app": "a", "deployment": "d", "label": "v2"},
        {"rollout": 10},
    )
    assert request.path == "/apps/a/deployments/d/release"
    assert request.content == b'{"packageInfo":{"label":"v2","rollout":10}}'
    assert dict(request.headers)["Content-Type"] == "application/json;charset=UTF-8"


def test_no_body_means_no_content_type() -> None:
    request = build_request(CLASSIC, "apps.list", headers={"Accept": "x"})
    assert request.content == b""
    assert dict(request.headers) == {"Accept": "x"}


def test_non_ascii_json_is_utf8() -> None:
    request = build_request(CLASSIC, "apps.create", body={"name": "Café ☕"})
    assert request.content == '{"name":"Café ☕"}'.encode()


def test_a_second_dialect_is_just_a_table() -> None:
    other = Dialect(
        name="other",
        base_path="/api/v1",
        routes={"releases.patch": Route("PATCH", "/apps/{app}/deployments/{deployment}/releases/"
                                                 "{label}", unwrap=None)},
    )
    request = build_request(
        other, "releases.patch", {"app": "a", "deployment": "d", "label": "v2"}, {"rollout": 10}
    )
    assert request.path == "/api/v1/apps/a/deployments/d/releases/v2"
    assert request.content == b'{"rollout":10}'
    with pytest.raises(UnsupportedOperationError, match=r"apps\.list is not supported by the 'other'"):
        build_request(other, "apps.list")


def test_unwrap_tolerates_empty_and_text_answers() -> None:
    route = CLASSIC.routes["apps.transfer"]
    assert unwrap_response(route, WireResponse(201, {}, b"Created")) is None
    patch = CLASSIC.routes["releases.patch"]
    assert unwrap_response(patch, WireResponse(204, {}, b"")) is None
    assert unwrap_response(patch, WireResponse(200, {}, b'{"package":{"label":"v1"}}')) == {
        "label": "v1"
    }


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "861"}, 861.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after": "Tue, 14 Nov 2023 22:14:20 GMT", "date": "Tue, 14 Nov 2023 22:13:20 GMT"},
         60.0),
        ({"x-ratelimit-reset": "1700000100", "date": "Tue, 14 Nov 2023 22:13:20 GMT"}, 100.0),
        ({"x-ratelimit-reset": "1700000100"}, 90.0),  # no Date: judged against our clock
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after_forms(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers, now=1_700_000_010.0) == expected
