"""The error hierarchy: every failure the SDK raises is a ``CodePushError``.

The seed's contract (``message`` + ``status_code`` and the five constants) is kept;
subclasses per status family let callers write ``except NotFoundError:``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

import attrs

from ._models.entities import Package, _Model

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AlreadyExistsError",
    "BadRequestError",
    "ClientStateError",
    "CodePushError",
    "ConflictError",
    "FieldError",
    "ForbiddenError",
    "IdenticalReleaseError",
    "NotFoundError",
    "OutcomeUnknownError",
    "PackageChangedError",
    "PayloadTooLargeError",
    "RateLimitError",
    "ReleaseIntegrityError",
    "ReleaseSignatureError",
    "ResponseDecodeError",
    "RolloutInProgressError",
    "RolloutUpdateError",
    "ServerError",
    "UnauthorizedError",
    "UnsupportedOperationError",
    "UnverifiedReleaseError",
]


class _StatusConstants:
    """The seed SDK's status constants, shared by ``CodePushError`` and ``AsyncCodePush``."""

    ERROR_GATEWAY_TIMEOUT = 504
    ERROR_INTERNAL_SERVER = 500
    ERROR_NOT_FOUND = 404
    ERROR_CONFLICT = 409
    ERROR_UNAUTHORIZED = 401


class CodePushError(_StatusConstants, Exception):
    """Base of every SDK error: a user-facing ``message`` and an HTTP-like ``status_code``."""

    default_status_code: int = 500

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = self.default_status_code if status_code is None else status_code

    @property
    def statusCode(self) -> int:
        """The seed's camelCase spelling of ``status_code``."""
        return self.status_code

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(message={self.message!r}, status_code={self.status_code})"


class APIStatusError(CodePushError):
    """The server answered with an error status; ``headers`` are the response's headers.

    ``status_code`` is the error's category (the seed's contract); ``http_status`` the
    status actually received, which differs only for servers that use one status for
    several meanings (the community server's 406). ``body`` is the response text as sent
    (empty when there was none); ``code`` the error code of a JSON error envelope
    (``/api/v1``: ``InvalidParameter``, ``NotFound``, ...).
    """

    def __init__(
        self,
        message: str,
        status_code: int | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        http_status: int | None = None,
        body: str = "",
        code: str | None = None,
    ) -> None:
        super().__init__(message, status_code)
        self.headers: Mapping[str, str] = dict(headers or {})
        self.http_status = self.status_code if http_status is None else http_status
        self.body = body
        self.code = code


@attrs.frozen
class FieldError(_Model):
    """One entry of a validation failure: which request field and why."""

    field: str
    message: str


class BadRequestError(APIStatusError):
    """400: the server rejected the request's content; ``field_errors`` lists the fields."""

    default_status_code = 400

    def __init__(
        self,
        message: str,
        status_code: int | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        http_status: int | None = None,
        body: str = "",
        code: str | None = None,
        field_errors: Sequence[FieldError] = (),
    ) -> None:
        super().__init__(
            message, status_code, headers=headers, http_status=http_status, body=body, code=code
        )
        self.field_errors: tuple[FieldError, ...] = tuple(field_errors)


class UnauthorizedError(APIStatusError):
    """401: the access key is missing, invalid or expired."""

    default_status_code = 401


class ForbiddenError(APIStatusError):
    """403: the account lacks the permission (e.g. Owner) the action needs."""

    default_status_code = 403


class NotFoundError(APIStatusError):
    """404: the app, deployment, release, key or account does not exist."""

    default_status_code = 404


class ConflictError(APIStatusError):
    """409: the resource exists already, or the release/rollout rules forbid the change.

    The subclasses below name the cause, told from the server's text; a 409 whose text
    is not recognised (rollback rules, removing the owner, ...) stays a plain ``ConflictError``.
    """

    default_status_code = 409


class IdenticalReleaseError(ConflictError):
    """The release or promote is identical to the deployment's current release."""


class RolloutInProgressError(ConflictError):
    """The current release is an unfinished rollout: finish (100 %) or disable it first."""


class RolloutUpdateError(ConflictError):
    """The rollout change is refused: lowered, or the release's rollout is complete."""


class AlreadyExistsError(ConflictError):
    """The name or key is taken, or the account is already a collaborator or the owner."""


class PayloadTooLargeError(APIStatusError):
    """413: the request body or package is over the server's size limit."""

    default_status_code = 413


class RateLimitError(APIStatusError):
    """429: too many requests; ``retry_after`` says how long the server asks us to wait."""

    default_status_code = 429

    def __init__(
        self,
        message: str,
        status_code: int | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        http_status: int | None = None,
        body: str = "",
        code: str | None = None,
        retry_after: float | None = None,
        limit: int | None = None,
        remaining: int | None = None,
        reset_at: datetime | None = None,
    ) -> None:
        super().__init__(
            message, status_code, headers=headers, http_status=http_status, body=body, code=code
        )
        self.retry_after = retry_after
        self.limit = limit
        self.remaining = remaining
        self.reset_at = reset_at


class ServerError(APIStatusError):
    """5xx: the server failed internally or is temporarily unavailable."""

    default_status_code = 500


class APIConnectionError(CodePushError):
    """No response: the connection failed or broke (the seed's ERROR_GATEWAY_TIMEOUT).

    ``request_sent`` is ``False`` only when the request provably never reached the server.
    """

    default_status_code = 504
    request_sent: bool = True


class APITimeoutError(APIConnectionError):
    """No response in time: a connect, read, write or pool timeout."""


class OutcomeUnknownError(APIConnectionError):
    """A write was sent but no usable answer came back: it may or may not have happened.

    The SDK never resends such a write on its own; check the server's state (or, for a
    release, let the SDK's reconciliation do it) before trying again.
    """


class ReleaseSignatureError(CodePushError):
    """A signed release does not verify: no signature, a bad one, or files that changed."""

    default_status_code = 400


class ResponseDecodeError(CodePushError):
    """The server answered, but the body does not fit the documented shape.

    ``field`` names where it went wrong (e.g. ``$.apps[0].name``); ``status_code``
    is the HTTP status the body came with.
    """

    def __init__(self, message: str, status_code: int | None = None, *, field: str = "$") -> None:
        super().__init__(message, status_code)
        self.field = field


class UnsupportedOperationError(CodePushError):
    """The selected dialect or server has no such operation; raised before any request."""

    default_status_code = 501


class PackageChangedError(CodePushError):
    """The release's file changed on disk (grew, shrank, was modified, replaced or removed)
    while it was being uploaded; the upload was stopped before it completed.

    ``path`` is the file and ``change`` says how it changed (``"it grew"``, ...).
    """

    def __init__(self, path: Path, change: str) -> None:
        super().__init__(
            f"contents: {path} changed while it was being released ({change}); the upload "
            "was stopped before it completed. Release it again once the file is complete."
        )
        self.path = path
        self.change = change


class ReleaseIntegrityError(CodePushError):
    """The server stored a release whose ``packageHash`` is not the hash of what was sent.

    The release exists (``label`` in ``app``/``deployment``) but would ship other content
    (the official server's shared upload temp file makes concurrent uploads swap bundles):
    disable it at once, e.g. ``cp.releases.patch(app, deployment, label, is_disabled=True)``.
    ``expected_hash`` is the hash of what the SDK sent (or, for a promote, the source
    release's), ``actual_hash`` the one the server stored. A download that does not hash to
    the release's ``packageHash`` raises it too (``message`` says so; ``expected_hash`` is
    the server's, ``actual_hash`` the downloaded file's).
    """

    default_status_code = 500

    def __init__(
        self,
        *,
        app: str,
        deployment: str,
        label: str | None,
        expected_hash: str,
        actual_hash: str | None,
        message: str | None = None,
    ) -> None:
        super().__init__(message or (
            f"the server stored release {label or '(no label)'} of {app}/{deployment} with "
            f"packageHash {actual_hash}, but what was sent hashes to {expected_hash}: it would "
            f"ship other content; disable it (patch is_disabled=True) and release again"
        ))
        self.app = app
        self.deployment = deployment
        self.label = label
        self.expected_hash = expected_hash
        self.actual_hash = actual_hash


class UnverifiedReleaseError(CodePushError):
    """A write landed, but the check of what it stored could not be completed.

    ``package`` is what the server now holds (it is live: not a failure to retry), or
    ``None`` when the server's answer did not say and the read that would have found it
    failed; that read is the ``__cause__``. Check the deployment before relying on it.
    """

    default_status_code = 500

    def __init__(
        self, message: str, *, package: Package | None, status_code: int | None = None
    ) -> None:
        super().__init__(message, status_code)
        self.package = package


class ClientStateError(CodePushError, RuntimeError):
    """The client cannot be used like this: it is closed, or it belongs to another event loop.

    Raised before any request; the message says what to do instead.
    """
