"""Typed webhook deliveries of the ``/api/v1`` dialect (the SDK parses; it serves nothing)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from .._models.entities import _Model
from .codec import parse_json
from .decode import converter

__all__ = ["DeploymentReleasedEvent", "WebhookEvent", "WebhookRelease", "parse_webhook"]


@attrs.frozen
class WebhookRelease(_Model):
    """The release a webhook event is about."""

    label: str | None = None
    app_version: str | None = None
    description: str | None = None


@attrs.frozen
class WebhookEvent(_Model):
    """A webhook delivery; an event type this SDK does not know still parses to this."""

    event: str
    app: str | None = None
    deployment: str | None = None
    release: WebhookRelease | None = None
    timestamp: datetime | None = None
    payload: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class DeploymentReleasedEvent(WebhookEvent):
    """``deployment.released``: a new release reached a deployment."""


_KNOWN: Mapping[str, type[WebhookEvent]] = {"deployment.released": DeploymentReleasedEvent}
# What a known event always carries: without it, it is not that event.
_REQUIRED: Mapping[str, tuple[str, ...]] = {"deployment.released": ("app", "deployment", "release")}


def _field(payload: Mapping[str, Any], name: str, tp: Any) -> Any:
    value = payload.get(name)
    if value is None:
        return None
    try:
        return converter.structure(value, tp)
    except Exception:  # the converter's errors, whatever the value
        raise ValueError(
            f"webhook field {name!r} is not valid: expected {getattr(tp, '__name__', tp)}, "
            f"got {type(value).__name__}"
        ) from None


def parse_webhook(body: bytes | str | Mapping[str, Any]) -> WebhookEvent:
    """Parse a delivery's JSON body (or the object already parsed from it).

    ``ValueError`` for anything that is not a webhook event: not JSON, not an object,
    a field of the wrong type, or a known event missing what it always carries. An
    unknown ``event`` gives a generic ``WebhookEvent``.
    """
    if isinstance(body, (bytes, bytearray, str)):
        try:
            payload: Any = parse_json(body)
        except ValueError as exc:
            raise ValueError(f"webhook body is not JSON: {exc}") from None
    else:
        payload = body
    if not isinstance(payload, Mapping) or not isinstance(payload.get("event"), str):
        raise ValueError("webhook body must be a JSON object with a string 'event'")
    event = payload["event"]
    for name in _REQUIRED.get(event, ()):
        if payload.get(name) is None:
            raise ValueError(f"webhook event {event!r} lacks its {name!r} field")
    cls = _KNOWN.get(event, WebhookEvent)
    release = _field(payload, "release", WebhookRelease)
    if cls is not WebhookEvent and release.label is None:
        raise ValueError(f"webhook event {event!r} lacks its release's 'label'")
    return cls(
        event=event,
        app=_field(payload, "app", str),
        deployment=_field(payload, "deployment", str),
        release=release,
        timestamp=_field(payload, "timestamp", datetime),
        payload=dict(payload),
    )
