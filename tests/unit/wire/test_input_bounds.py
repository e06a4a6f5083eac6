"""Argument checks at their boundaries: what is just accepted and what is just refused."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from codepush_async import AsyncCodePush
from tests.conftest import ACCESS_KEY, SERVER, Recorder
from tests.payloads import PACKAGE_WIRE

pytestmark = pytest.mark.anyio


def stored(data: bytes) -> dict[str, object]:
    """The answer of a server that stored ``data`` as it was sent."""
    return {"package": {**PACKAGE_WIRE, "packageHash": hashlib.sha256(data).hexdigest()}}


@pytest.mark.parametrize("rollout", [1, 100])
async def test_rollout_bounds_are_accepted(
    cp: AsyncCodePush, recorder: Recorder, rollout: int
) -> None:
    recorder.reply(201, json_body=stored(b"bundle"))
    await cp.releases.release("A", "Staging", b"bundle", "1.0.0", rollout=rollout)
    assert f'"rollout":{rollout}'.encode() in recorder.last.content


@pytest.mark.parametrize("rollout", [0, 101, -1])
async def test_rollout_outside_one_to_a_hundred_is_refused(
    cp: AsyncCodePush, recorder: Recorder, rollout: int
) -> None:
    with pytest.raises(ValueError, match=f"rollout must be from 1 to 100, got {rollout}"):
        await cp.releases.release("A", "Staging", b"bundle", "1.0.0", rollout=rollout)
    assert recorder.requests == []


# The domain is what follows the last "@", so a stray trailing "@" leaves it empty.
@pytest.mark.parametrize(
    "email", ["@example.com", "someone@", "no-at-sign", "a b@example.com", "ops@example.com@"]
)
async def test_an_email_needs_something_on_both_sides_of_the_at(
    cp: AsyncCodePush, recorder: Recorder, email: str
) -> None:
    with pytest.raises(ValueError, match=f"email must be an e-mail address, got {email!r}"):
        await cp.collaborators.add("A", email)
    assert recorder.requests == []


async def test_an_email_check_names_the_argument(cp: AsyncCodePush) -> None:
    with pytest.raises(ValueError, match=r"^email must be a string, got int$"):
        await cp.collaborators.add("A", 42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^email must not contain control characters$"):
        await cp.apps.transfer("A", "x\x7f@example.com")


@pytest.mark.parametrize("char", ["\x00", "\x1f", "\x7f"])
async def test_names_with_nul_or_del_are_refused(cp: AsyncCodePush, char: str) -> None:
    with pytest.raises(ValueError, match=r"^name must not contain control characters$"):
        await cp.apps.create(f"My{char}App")


async def test_characters_past_del_are_fine_in_names(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(201, json_body={"app": {"name": "My\x80App"}})
    assert (await cp.apps.create("My\x80App")).name == "My\x80App"


async def test_wrong_types_are_named_in_the_message(cp: AsyncCodePush) -> None:
    with pytest.raises(ValueError, match=r"^description must be a string or None, got int$"):
        await cp.releases.release("A", "S", b"x", "1.0.0", description=3)  # type: ignore[arg-type]
    with pytest.raises(
        ValueError, match=r"^ttl must be milliseconds \(int\) or a timedelta, got str$"
    ):
        await cp.tokens.create("ci", ttl="1d")  # type: ignore[arg-type]


BAD_KEY = (
    "access_key must not contain whitespace, control or non-ASCII characters "
    "(it is sent in the Authorization header)"
)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "access_key must not be empty"),
        ("key\x00with-nul", BAD_KEY),
        ("key\x7fwith-del", BAD_KEY),
        ("key with-space", BAD_KEY),
        ("ключ", BAD_KEY),
        (12345, "access_key must be a string, got int"),
    ],
    ids=["empty", "nul", "del", "space", "non-ascii", "int"],
)
def test_access_key_checks(key: Any, message: str) -> None:
    with pytest.raises(ValueError, match="access_key") as caught:
        AsyncCodePush(key, SERVER)
    assert str(caught.value) == message


@pytest.mark.parametrize("key", ["!", "k~y", "A-z_0.9"])
def test_printable_keys_are_accepted(key: str) -> None:
    AsyncCodePush(key, SERVER)


@pytest.mark.parametrize("size", [True, 1.5, 0, -1, "1"])
def test_max_package_size_must_be_a_positive_integer(size: Any) -> None:
    expected = f"max_package_size must be a positive number of bytes, got {size!r}"
    with pytest.raises(ValueError, match="max_package_size") as caught:
        AsyncCodePush(ACCESS_KEY, SERVER, max_package_size=size)
    assert str(caught.value) == expected
    with pytest.raises(ValueError, match="max_package_size") as caught:
        AsyncCodePush(ACCESS_KEY, SERVER).with_options(max_package_size=size)
    assert str(caught.value) == expected


async def test_one_byte_is_a_valid_package_size_limit(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    assert AsyncCodePush(ACCESS_KEY, SERVER, max_package_size=1).max_package_size == 1
    recorder.reply(201, json_body=stored(b"x"))
    await cp.releases.release("A", "Staging", b"x", "1.0.0", max_package_size=1)
    with pytest.raises(ValueError, match="over max_package_size"):
        await cp.releases.release("A", "Staging", b"xy", "1.0.0", max_package_size=1)
    assert len(recorder.requests) == 1
