"""``check`` and ``download``: the device side (shown once the SDK has it)."""

from __future__ import annotations

import click


def register(cli: click.Group) -> None:
    """Nothing yet: ``cp.devices`` and ``cp.releases.download`` have not landed."""
