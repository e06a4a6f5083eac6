"""Typed webhook deliveries of the ``/api/v1`` dialect (the SDK parses; it serves nothing)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ._converter import converter

__all__ = ["DeploymentReleasedEvent", "WebhookEvent", "WebhookRelease", "parse_webhook"]


@attrs.frozen
class WebhookRelease:
    """The release a webhook event is about."""

    label: str | None = None
    app_version: str | None = None
    description: str | None = None


@attrs.frozen
class WebhookEvent:
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


def _field(payload: Mapping[str, Any], name: str, tp: Any) -> Any:
    value = payload.get(name)
    if value is None:
        return None
    try:
        return converter.structure(value, tp)
    except Exception as exc:
        raise ValueError(f"webhook field {name!r} is not valid: {value!r}") from exc


def parse_webhook(body: bytes | str | Mapping[str, Any]) -> WebhookEvent:
    """Parse a delivery's JSON body; ``ValueError`` if it is not a webhook event at all."""
    if isinstance(body, Mapping):
        payload: Any = body
    else:
        try:
            payload = json.loads(body)
        except ValueError as exc:
            raise ValueError(f"webhook body is not JSON: {exc}") from None
    if not isinstance(payload, Mapping) or not isinstance(payload.get("event"), str):
        raise ValueError("webhook body must be a JSON object with a string 'event'")
    cls = _KNOWN.get(payload["event"], WebhookEvent)
    return cls(
        event=payload["event"],
        app=_field(payload, "app", str),
        deployment=_field(payload, "deployment", str),
        release=_field(payload, "release", WebhookRelease),
        timestamp=_field(payload, "timestamp", datetime),
        payload=dict(payload),
    )
