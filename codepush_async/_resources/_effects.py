"""A release write's effect, proven by identity: what it leaves in the deployment's history.

Before a release, promote, rollback or patch, the deployment's history is read (a
``Mark``). When the write's answer is a 5xx or is lost, the history is read again and the
write counts as done only if an entry this call alone explains is there (new since the
mark, with the package hash it sent or copied and the method it used; for a patch, the
release it read now holding the wanted fields). It is sent again only when the server
answered (so it is done with the request), nothing of it landed, and the error is
retryable; a lost answer is resent only for a release, after the same proof. No time
window is involved: clocks and upload times say nothing about who wrote what.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import attrs

from .._core.requester import Requester
from .._core.retry import retries_left
from .._exceptions import APIConnectionError, CodePushError, OutcomeUnknownError, ServerError
from .._models.entities import Package

__all__ = ["Effect", "Mark", "same_entry", "write_proven"]

logger = logging.getLogger("codepush_async")


def _identity(package: Package) -> tuple[Any, ...]:
    """What a history entry keeps for life (a patch changes none of it)."""
    return (package.label, package.package_hash, package.upload_time, package.release_method,
            package.original_label, package.original_deployment)


def same_entry(a: Package, b: Package) -> bool:
    """Whether ``a`` and ``b`` are one history entry (read at two times)."""
    return _identity(a) == _identity(b)


@attrs.frozen
class Mark:
    """A deployment's history (oldest first) read just before a write."""

    history: tuple[Package, ...]

    @property
    def latest(self) -> Package | None:
        return self.history[-1] if self.history else None

    def labelled(self, label: str | None) -> Package | None:
        """The entry called ``label`` (``None``: the latest), if there is one."""
        if label is None:
            return self.latest
        return next((p for p in reversed(self.history) if p.label == label), None)

    def new_in(self, history: Sequence[Package]) -> list[Package]:
        """The entries of ``history`` that were not there when the mark was taken."""
        before = Counter(map(_identity, self.history))
        new = []
        for package in history:
            key = _identity(package)
            if before[key]:
                before[key] -= 1
            else:
                new.append(package)
        return new


T = TypeVar("T", Package, "Package | None")
Finder = Callable[[Sequence[Package]], Awaitable[Package | None]]


@attrs.frozen
class Effect:
    """How to tell one write's effect: ``read`` the history, ``find`` this call's entry.

    ``mark`` is the history before the write (``find`` compares against it).
    """

    what: str
    mark: Mark = attrs.field(repr=False)
    read: Callable[[], Awaitable[Sequence[Package]]]
    find: Finder
    may_be_ours: Callable[[Package], bool] | None = None
    """A new entry that could be this write stored with other contents, if there can be."""

    async def landed(self) -> Package | None:
        """This call's entry in a fresh read; ``None`` when provably not there.

        ``OutcomeUnknownError`` when the history cannot be read, or when a new entry that
        is not provably this call's could be it stored with other contents.
        """
        try:
            history = await self.read()
        except CodePushError as failure:
            raise OutcomeUnknownError(
                f"{self.what}: reading the deployment's history back failed "
                f"({failure.message}), so whether it was stored is unknown; it was not "
                "resent. Check the deployment before trying again.",
                failure.status_code,
            ) from failure
        found = await self.find(history)
        if found is None and self.may_be_ours is not None:
            unclear = [p for p in self.mark.new_in(history) if self.may_be_ours(p)]
            if unclear:
                raise OutcomeUnknownError(
                    f"{self.what}: {unclear[-1].label} was stored since with another package "
                    "hash; it may be this write stored with other contents, so it was not "
                    "sent again. Check the deployment before trying again.",
                    500,
                )
        return found


async def write_proven(
    requester: Requester,
    effect: Effect,
    send: Callable[[int], Awaitable[T]],
    *,
    resend_lost: bool = False,
) -> T | Package:
    """``send(attempt)``'s answer, or the effect read back after a 5xx or lost answer.

    ``send`` must call with ``resend=False``. A write whose effect is not found is resent
    when the error allows it (see the module docstring); otherwise a 5xx stands and a lost
    answer is ``OutcomeUnknownError``.
    """
    attempt = 1
    while True:
        try:
            return await send(attempt)
        except OutcomeUnknownError:
            raise  # already a verdict (e.g. the sent file changed): nothing to read back
        except (ServerError, APIConnectionError) as error:
            if isinstance(error, APIConnectionError) and not error.request_sent:
                raise  # never reached the server (the request loop resends those itself)
            landed = await _read_back(requester, effect, error, attempt)
            if landed is not None:
                return landed
            wait = _resend_wait(requester, error, attempt, resend_lost)
            if wait is None and isinstance(error, APIConnectionError):
                raise _unknown(effect, error) from error
            if wait is None:
                raise  # the server answered and did not store it: its error stands
        logger.warning("%s did not land; sending it again in %.3fs", effect.what, wait)
        await requester.sleep(wait)
        attempt += 1


async def _read_back(
    requester: Requester, effect: Effect, error: CodePushError, attempt: int
) -> Package | None:
    """The write's entry, read after ``error`` (a lost answer first gives the server time)."""
    policy = requester.retry_policy
    if isinstance(error, APIConnectionError) and policy is not None:
        await requester.sleep(policy.backoff(attempt))
    logger.warning("%s: %s; reading the history back for its effect", effect.what, error.message)
    landed = await effect.landed()
    if landed is not None:
        logger.info("%s was stored despite the failed answer: %s", effect.what, landed.label)
    return landed


def _resend_wait(
    requester: Requester, error: CodePushError, attempt: int, resend_lost: bool
) -> float | None:
    """Seconds before resending a write that did not land; ``None``: do not resend."""
    if isinstance(error, APIConnectionError):
        return 0.0 if resend_lost and retries_left(requester.retry_policy, attempt) else None
    return requester.wait_to_resend(error, attempt)


def _unknown(effect: Effect, error: APIConnectionError) -> OutcomeUnknownError:
    """A lost answer whose write is not in the history (yet): never resent."""
    return OutcomeUnknownError(
        f"{effect.what}: no answer came back ({error.message}) and it was not in the "
        "deployment's history when read; it may still land, so it was not resent.",
        error.status_code,
    )
