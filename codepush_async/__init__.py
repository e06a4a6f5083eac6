"""codepush-async: an asyncio-native, typed SDK for CodePush management servers."""

import importlib
from typing import TYPE_CHECKING

from ._client import AsyncCodePush
from ._core.clock import Clock, SystemClock
from ._core.logs import setup_logging as _setup_logging
from ._core.retry import RetryPolicy
from ._core.timeouts import Timeouts
from ._display.history import DeploymentHistory, HistoryRow
from ._display.tables import ModelList, ModelMap, to_records
from ._exceptions import (
    AlreadyExistsError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    BadRequestError,
    ClientStateError,
    CodePushError,
    ConflictError,
    FieldError,
    ForbiddenError,
    IdenticalReleaseError,
    NotFoundError,
    OutcomeUnknownError,
    PackageChangedError,
    PayloadTooLargeError,
    RateLimitError,
    ReleaseIntegrityError,
    ReleaseSignatureError,
    ResponseDecodeError,
    RolloutInProgressError,
    RolloutUpdateError,
    ServerError,
    UnauthorizedError,
    UnsupportedOperationError,
    UnverifiedReleaseError,
)
from ._models.devices import CheckReason, UpdateCheck, UpdateExplanation
from ._models.entities import (
    AccessKey,
    Account,
    App,
    CollaboratorProperties,
    Deployment,
    DiffPackage,
    Package,
    PackageInfo,
    Permission,
    ReleaseMethod,
    Session,
    UpdateMetrics,
)
from ._release.prepared import PreparedRelease, prepare_release
from ._version import __version__

if TYPE_CHECKING:  # loaded on first use (module __getattr__ below), typed as usual
    from ._release.signing import verify_release
    from ._wire.webhooks import (
        DeploymentReleasedEvent,
        WebhookEvent,
        WebhookRelease,
        parse_webhook,
    )
    from .lib.bulk import BulkError, BulkResult, ItemResult, Target
    from .lib.fleet import DeviceFleet, FailedCall, FleetReport
    from .lib.migration import (
        MigrationError,
        MigrationItem,
        MigrationReport,
        copy_app,
        export_app,
        import_app,
    )
    from .lib.rollouts import (
        HealthGate,
        RolloutActionError,
        RolloutBreached,
        RolloutCancelled,
        RolloutCompleted,
        RolloutEvent,
        RolloutHalted,
        RolloutOutcome,
        RolloutPlan,
        RolloutStarted,
        RolloutStepped,
        RolloutSuperseded,
        RolloutWaiting,
    )

# The automation wings and signing load on first use: ``import codepush_async`` stays cheap.
_LAZY = {
    "verify_release": "._release.signing",
    **dict.fromkeys(
        ("DeploymentReleasedEvent", "WebhookEvent", "WebhookRelease", "parse_webhook"),
        "._wire.webhooks",
    ),
    **dict.fromkeys(("BulkError", "BulkResult", "ItemResult", "Target"), ".lib.bulk"),
    **dict.fromkeys(("DeviceFleet", "FailedCall", "FleetReport"), ".lib.fleet"),
    **dict.fromkeys(
        ("MigrationError", "MigrationItem", "MigrationReport", "copy_app", "export_app",
         "import_app"),
        ".lib.migration",
    ),
    **dict.fromkeys(
        (
            "HealthGate", "RolloutActionError", "RolloutBreached", "RolloutCancelled",
            "RolloutCompleted", "RolloutEvent", "RolloutHalted", "RolloutOutcome",
            "RolloutPlan", "RolloutStarted", "RolloutStepped", "RolloutSuperseded",
            "RolloutWaiting",
        ),
        ".lib.rollouts",
    ),
}

_setup_logging()  # CODEPUSH_LOG=debug|info

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AccessKey",
    "Account",
    "AlreadyExistsError",
    "App",
    "AsyncCodePush",
    "BadRequestError",
    "BulkError",
    "BulkResult",
    "CheckReason",
    "ClientStateError",
    "Clock",
    "CodePushError",
    "CollaboratorProperties",
    "ConflictError",
    "Deployment",
    "DeploymentHistory",
    "DeploymentReleasedEvent",
    "DeviceFleet",
    "DiffPackage",
    "FailedCall",
    "FieldError",
    "FleetReport",
    "ForbiddenError",
    "HealthGate",
    "HistoryRow",
    "IdenticalReleaseError",
    "ItemResult",
    "MigrationError",
    "MigrationItem",
    "MigrationReport",
    "ModelList",
    "ModelMap",
    "NotFoundError",
    "OutcomeUnknownError",
    "Package",
    "PackageChangedError",
    "PackageInfo",
    "PayloadTooLargeError",
    "Permission",
    "PreparedRelease",
    "RateLimitError",
    "ReleaseIntegrityError",
    "ReleaseMethod",
    "ReleaseSignatureError",
    "ResponseDecodeError",
    "RetryPolicy",
    "RolloutActionError",
    "RolloutBreached",
    "RolloutCancelled",
    "RolloutCompleted",
    "RolloutEvent",
    "RolloutHalted",
    "RolloutInProgressError",
    "RolloutOutcome",
    "RolloutPlan",
    "RolloutStarted",
    "RolloutStepped",
    "RolloutSuperseded",
    "RolloutUpdateError",
    "RolloutWaiting",
    "ServerError",
    "Session",
    "SystemClock",
    "Target",
    "Timeouts",
    "UnauthorizedError",
    "UnsupportedOperationError",
    "UnverifiedReleaseError",
    "UpdateCheck",
    "UpdateExplanation",
    "UpdateMetrics",
    "WebhookEvent",
    "WebhookRelease",
    "__version__",
    "copy_app",
    "export_app",
    "import_app",
    "parse_webhook",
    "prepare_release",
    "to_records",
    "verify_release",
]


def _name_by_public_path(value: object) -> None:
    """Tracebacks show ``codepush_async.NotFoundError``: the path users import it from.

    Only exception classes: cattrs finds an attrs model's string annotations through its
    ``__module__``, so the models keep theirs.
    """
    if isinstance(value, type) and issubclass(value, BaseException):
        value.__module__ = __name__


def __getattr__(name: str) -> object:
    """A lazily loaded public name (see ``_LAZY``), cached in this module once loaded."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    _name_by_public_path(value)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


for _name in __all__:
    if _name not in _LAZY:
        _name_by_public_path(globals()[_name])
