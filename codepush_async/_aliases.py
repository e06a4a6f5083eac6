"""The seed SDK's flat method names, each delegating to a sub-client call."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ._models.entities import (
    AccessKey,
    Account,
    App,
    CollaboratorProperties,
    Deployment,
    Package,
    PackageInfo,
    Session,
    UpdateMetrics,
)
from ._release.package import ReleaseContents
from ._release.progress import ProgressCallback

if TYPE_CHECKING:
    from ._resources.account import AccountResource
    from ._resources.apps import AppsResource
    from ._resources.collaborators import CollaboratorsResource
    from ._resources.deployments import DeploymentsResource
    from ._resources.releases import ReleasesResource
    from ._resources.tokens import TokensResource

__all__ = ["FlatAliases"]


def _info_fields(info: PackageInfo | None) -> dict[str, Any]:
    if info is None:
        return {}
    if not isinstance(info, PackageInfo):
        kind = type(info).__name__
        raise ValueError(f"update_metadata must be a PackageInfo or None, got {kind}")
    return {
        "app_version": info.app_version,
        "description": info.description,
        "is_mandatory": info.is_mandatory,
        "is_disabled": info.is_disabled,
        "rollout": info.rollout,
    }


class FlatAliases:
    """``add_app``, ``get_deployment_history``, ... in the seed's positional order."""

    tokens: TokensResource
    apps: AppsResource
    collaborators: CollaboratorsResource
    deployments: DeploymentsResource
    releases: ReleasesResource
    account: AccountResource

    async def add_access_key(
        self, friendly_name: str, ttl: int | timedelta | None = None
    ) -> AccessKey:
        return await self.tokens.create(friendly_name, ttl=ttl)

    async def get_access_key(self, name: str) -> AccessKey:
        return await self.tokens.get(name)

    async def get_access_keys(self) -> list[AccessKey]:
        return await self.tokens.list()

    async def patch_access_key(
        self, name: str, friendly_name: str | None = None, ttl: int | timedelta | None = None
    ) -> AccessKey:
        return await self.tokens.update(name, friendly_name=friendly_name, ttl=ttl)

    async def remove_access_key(self, name: str) -> None:
        await self.tokens.remove(name)

    async def get_sessions(self) -> list[Session]:
        return await self.tokens.sessions()

    async def remove_session(self, machine_name: str) -> None:
        await self.tokens.remove_session(machine_name)

    async def get_account_info(self) -> Account:
        return await self.account.get()

    async def add_app(
        self,
        app_name: str,
        os: str | None = None,
        platform: str | None = None,
        manually_provision_deployments: bool = False,
    ) -> App:
        return await self.apps.create(
            app_name,
            os=os,
            platform=platform,
            manually_provision_deployments=manually_provision_deployments,
        )

    async def get_app(self, app_name: str) -> App:
        return await self.apps.get(app_name)

    async def get_apps(self) -> list[App]:
        return await self.apps.list()

    async def rename_app(self, old_app_name: str, new_app_name: str) -> App:
        return await self.apps.rename(old_app_name, new_app_name)

    async def remove_app(self, app_name: str) -> None:
        await self.apps.remove(app_name)

    async def transfer_app(self, app_name: str, email: str) -> None:
        await self.apps.transfer(app_name, email)

    async def add_collaborator(self, app_name: str, email: str) -> None:
        await self.collaborators.add(app_name, email)

    async def get_collaborators(self, app_name: str) -> dict[str, CollaboratorProperties]:
        return await self.collaborators.list(app_name)

    async def remove_collaborator(self, app_name: str, email: str) -> None:
        await self.collaborators.remove(app_name, email)

    async def add_deployment(
        self, app_name: str, deployment_name: str, deployment_key: str | None = None
    ) -> Deployment:
        return await self.deployments.create(app_name, deployment_name, key=deployment_key)

    async def get_deployment(self, app_name: str, deployment_name: str) -> Deployment:
        return await self.deployments.get(app_name, deployment_name)

    async def get_deployments(self, app_name: str) -> list[Deployment]:
        return await self.deployments.list(app_name)

    async def rename_deployment(
        self, app_name: str, old_deployment_name: str, new_deployment_name: str
    ) -> Deployment:
        return await self.deployments.rename(app_name, old_deployment_name, new_deployment_name)

    async def remove_deployment(self, app_name: str, deployment_name: str) -> None:
        await self.deployments.remove(app_name, deployment_name)

    async def get_deployment_metrics(
        self, app_name: str, deployment_name: str
    ) -> dict[str, UpdateMetrics]:
        return await self.deployments.metrics(app_name, deployment_name)

    async def get_deployment_history(self, app_name: str, deployment_name: str) -> list[Package]:
        return await self.releases.history(app_name, deployment_name)

    async def clear_deployment_history(self, app_name: str, deployment_name: str) -> None:
        await self.releases.clear_history(app_name, deployment_name)

    async def patch_release(
        self,
        app_name: str,
        deployment_name: str,
        label: str | None = None,
        update_metadata: PackageInfo | None = None,
    ) -> Package | None:
        fields = _info_fields(update_metadata)
        if update_metadata is not None and update_metadata.label not in (None, label):
            raise ValueError("update_metadata.label differs from label: pass the label once")
        return await self.releases.patch(app_name, deployment_name, label, **fields)

    async def promote(
        self,
        app_name: str,
        source_deployment_name: str,
        destination_deployment_name: str,
        update_metadata: PackageInfo | None = None,
    ) -> Package:
        fields = _info_fields(update_metadata)
        label = None if update_metadata is None else update_metadata.label
        promoted: Package = await self.releases.promote(  # **fields: no overload is picked
            app_name,
            source_deployment_name,
            destination_deployment_name,
            label=label,
            **fields,
        )
        return promoted

    async def release(
        self,
        app_name: str,
        deployment_name: str,
        update_contents_path: ReleaseContents,
        target_binary_version: str,
        update_metadata: PackageInfo | None = None,
        *,
        on_progress: ProgressCallback | None = None,
    ) -> Package:
        _info_fields(update_metadata)
        info = update_metadata or PackageInfo()
        if info.label is not None:
            raise ValueError("update_metadata.label cannot be set on a new release")
        if info.app_version not in (None, target_binary_version):
            raise ValueError(
                "update_metadata.app_version differs from target_binary_version: "
                "pass the version once"
            )
        return await self.releases.release(
            app_name,
            deployment_name,
            update_contents_path,
            target_binary_version,
            description=info.description,
            is_mandatory=info.is_mandatory,
            is_disabled=info.is_disabled,
            rollout=info.rollout,
            on_progress=on_progress,
        )

    async def rollback(
        self, app_name: str, deployment_name: str, target_release: str | None = None
    ) -> Package:
        return await self.releases.rollback(app_name, deployment_name, target_release)
