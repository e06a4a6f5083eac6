"""The part of the client the automation wings call, as a Protocol.

``AsyncCodePush`` has it; typing the wings against it keeps ``lib`` from importing the
client that builds them (``cp.bulk``, ``cp.rollouts``, ``cp.devices.fleet``).
"""

from __future__ import annotations

from typing import Protocol

from .._core.clock import Clock
from .._resources.apps import AppsResource
from .._resources.collaborators import CollaboratorsResource
from .._resources.deployments import DeploymentsResource
from .._resources.devices import DevicesResource
from .._resources.releases import ReleasesResource
from .._wire.flavors import Flavor

__all__ = ["ClientAPI"]


class ClientAPI(Protocol):
    """The public calls ``cp.bulk``, ``cp.rollouts`` and device fleets use, and nothing else."""

    @property
    def apps(self) -> AppsResource: ...

    @property
    def collaborators(self) -> CollaboratorsResource: ...

    @property
    def deployments(self) -> DeploymentsResource: ...

    @property
    def devices(self) -> DevicesResource: ...

    @property
    def releases(self) -> ReleasesResource: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def server_url(self) -> str: ...

    @property
    def max_package_size(self) -> int: ...

    async def resolve_flavor(self) -> Flavor:
        """The server's flavor, learned with one read if it is not known yet."""
        ...
