"""Wire bodies as the official server sends them, and the models they decode to."""

from __future__ import annotations

from datetime import datetime, timezone

from codepush_async import (
    AccessKey,
    Account,
    App,
    CollaboratorProperties,
    Deployment,
    DiffPackage,
    Package,
    UpdateMetrics,
)

T0_MS = 1_700_000_000_000
T0 = datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)
T1_MS = T0_MS + 5_184_000_000  # + 60 days
T1 = datetime.fromtimestamp(T1_MS / 1000, tz=timezone.utc)

PACKAGE_WIRE = {
    "appVersion": "1.0.0",
    "blobUrl": "https://blobs.example.com/abc",
    "description": "fix crash",
    "diffPackageMap": {"oldhash": {"size": 10, "url": "https://blobs.example.com/diff"}},
    "isDisabled": False,
    "isMandatory": True,
    "label": "v3",
    "manifestBlobUrl": "https://blobs.example.com/manifest",
    "packageHash": "5f1a",
    "releaseMethod": "Upload",
    "releasedBy": "owner@example.com",
    "rollout": None,
    "size": 1234,
    "uploadTime": T0_MS,
    "someFutureField": {"nested": True},
}
PACKAGE = Package(
    label="v3",
    app_version="1.0.0",
    description="fix crash",
    is_mandatory=True,
    is_disabled=False,
    rollout=100,  # the wire's null: a complete rollout
    package_hash="5f1a",
    blob_url="https://blobs.example.com/abc",
    manifest_blob_url="https://blobs.example.com/manifest",
    size=1234,
    upload_time=T0,
    released_by="owner@example.com",
    release_method="Upload",
    diff_package_map={"oldhash": DiffPackage(size=10, url="https://blobs.example.com/diff")},
)

APP_WIRE = {
    "name": "My App",
    "collaborators": {"owner@example.com": {"permission": "Owner", "isCurrentAccount": True}},
    "deployments": ["Production", "Staging"],
}
APP = App(
    name="My App",
    collaborators={"owner@example.com": CollaboratorProperties("Owner", True)},
    deployments=("Production", "Staging"),
)

DEPLOYMENT_WIRE = {"name": "Staging", "key": "dep-key-1", "package": PACKAGE_WIRE}
DEPLOYMENT = Deployment(name="Staging", key="dep-key-1", package=PACKAGE)

ACCOUNT_WIRE = {"name": "Owner", "email": "owner@example.com", "linkedProviders": ["GitHub"]}
ACCOUNT = Account(email="owner@example.com", name="Owner", linked_providers=("GitHub",))

NEW_KEY_WIRE = {
    "name": "NEWSECRET_0123456789",
    "friendlyName": "ci",
    "description": "ci",
    "createdBy": "ci-box",
    "createdTime": T0_MS,
    "expires": T1_MS,
}
NEW_KEY = AccessKey(
    name="ci",
    key="NEWSECRET_0123456789",
    created_time=T0,
    expires=T1,
    created_by="ci-box",
    description="ci",
)
KEY_WIRE = {k: v for k, v in NEW_KEY_WIRE.items() if k != "name"}
KEY = AccessKey(
    name="ci", created_time=T0, expires=T1, created_by="ci-box", description="ci"
)

METRICS_WIRE = {
    "v1": {"active": 10, "downloaded": 12, "failed": 1, "installed": 11},
    "v2": {"active": -2, "downloaded": None, "failed": 0, "installed": 3},
    "1.0.0": {"active": 4},
}
METRICS = {
    "v1": UpdateMetrics(active=10, downloaded=12, installed=11, failed=1),
    "v2": UpdateMetrics(active=-2, downloaded=None, installed=3, failed=0),
    "1.0.0": UpdateMetrics(active=4),
}
