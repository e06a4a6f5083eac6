"""Directories that cannot be zipped are refused with a ``ValueError`` naming the path,
before any request: a symlink loop, a name that is not UTF-8."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from codepush_async import AsyncCodePush, prepare_release
from tests.conftest import Recorder
from tests.payloads import PACKAGE_WIRE

pytestmark = pytest.mark.anyio


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    root = tmp_path / "bundle"
    (root / "assets").mkdir(parents=True)
    (root / "main.jsbundle").write_text("console.log('hi')")
    return root


def _self_loop(bundle: Path) -> Path:
    link = bundle / "assets" / "loop.png"
    link.symlink_to(link)
    return link


def _pair_loop(bundle: Path) -> Path:
    first, second = bundle / "a.js", bundle / "b.js"
    first.symlink_to(second)
    second.symlink_to(first)
    return first


def _directory_loop(bundle: Path) -> Path:
    link = bundle / "assets" / "again"
    link.symlink_to(bundle / "assets" / "again2", target_is_directory=True)
    (bundle / "assets" / "again2").symlink_to(link, target_is_directory=True)
    return link


LOOPS = {"self": _self_loop, "pair": _pair_loop, "directory": _directory_loop}


async def _release(cp: AsyncCodePush, contents: Path) -> None:
    await cp.releases.release("A", "Staging", contents, "1.0.0")


async def _bulk(cp: AsyncCodePush, contents: Path) -> None:
    await cp.bulk.release(["A", "B"], "Staging", contents, "1.0.0")


async def _prepare(cp: AsyncCodePush, contents: Path) -> None:
    async with prepare_release(contents):
        pass


async def _signed(cp: AsyncCodePush, contents: Path) -> None:
    from tests.unit.release.test_package_reader import KEYS

    await cp.releases.release("A", "Staging", contents, "1.0.0", private_key=KEYS[0])


CALLS: dict[str, Callable[[AsyncCodePush, Path], Awaitable[None]]] = {
    "release": _release, "bulk.release": _bulk, "prepare_release": _prepare,
    "signed-release": _signed,
}


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
@pytest.mark.parametrize("loop", LOOPS.values(), ids=LOOPS.keys())
async def test_a_symlink_loop_is_a_value_error_naming_it_before_any_request(
    cp: AsyncCodePush, recorder: Recorder, bundle: Path,
    call: Callable[[AsyncCodePush, Path], Awaitable[None]], loop: Callable[[Path], Path],
) -> None:
    link = loop(bundle)
    with pytest.raises(ValueError, match=rf"^contents: symlink {re.escape(str(link))} in "
                                         r".* cannot be followed") as caught:
        await call(cp, bundle)
    assert type(caught.value) is ValueError
    assert recorder.requests == []


def _write(raw: bytes, data: bytes) -> None:
    """A file at a path given as bytes (the name may be in no encoding at all)."""
    with open(raw, "wb") as handle:
        handle.write(data)


NOT_UTF8 = pytest.mark.skipif(sys.platform in ("darwin", "win32"),
                              reason="macOS and Windows filesystems store UTF-8 names only: a non-UTF-8 name cannot be created")


@NOT_UTF8
@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
@pytest.mark.parametrize("where", ["file", "folder"])
async def test_a_name_that_is_not_utf8_is_named_before_any_request(
    cp: AsyncCodePush, recorder: Recorder, bundle: Path,
    call: Callable[[AsyncCodePush, Path], Awaitable[None]], where: str,
) -> None:
    raw = os.fsencode(bundle) + (b"/caf\xe9.js" if where == "file" else b"/d\xff/x.js")
    if where == "folder":
        os.mkdir(os.path.dirname(raw))
    _write(raw, b"latin-1 name")
    with pytest.raises(ValueError, match=r"is not valid UTF-8") as caught:
        await call(cp, bundle)
    assert type(caught.value) is ValueError
    message = str(caught.value)
    assert repr(raw) in message
    message.encode("utf-8")  # printable: the bytes are shown escaped, never as surrogates
    assert recorder.requests == []


async def test_a_dangling_symlink_is_named_before_any_request(
    cp: AsyncCodePush, recorder: Recorder, bundle: Path
) -> None:
    dangling = bundle / "gone.js"
    dangling.symlink_to(bundle / "missing.js")
    with pytest.raises(ValueError, match=rf"symlink {re.escape(str(dangling))} in "):
        await _release(cp, bundle)
    assert recorder.requests == []
    dangling.unlink()
    recorder.reply_history()  # read before the release, to prove its effect
    recorder.reply_release(PACKAGE_WIRE)
    await _release(cp, bundle)
    assert [r.method for r in recorder.requests] == ["GET", "POST"]


@NOT_UTF8
@pytest.mark.parametrize("spelling", ["named", "dot"])
async def test_a_release_directory_named_in_latin_1_is_refused_or_sent_utf8(
    cp: AsyncCodePush, recorder: Recorder, tmp_path: Path, spelling: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The directory's own name becomes the zip's folder (or, for ".", the upload's
    file name): refused when it is not UTF-8, never a UnicodeEncodeError mid-request."""
    raw = os.fsencode(tmp_path) + b"/b\xfcndle"
    os.mkdir(raw)
    _write(raw + b"/main.jsbundle", b"x")
    contents = Path(os.fsdecode(raw))
    if spelling == "dot":
        monkeypatch.chdir(contents)
        contents = Path(".")
    with pytest.raises(ValueError, match=r"is not valid UTF-8"):
        await _release(cp, contents)
    assert recorder.requests == []


async def _bulk_signed(cp: AsyncCodePush, contents: Path) -> None:
    from tests.unit.release.test_package_reader import KEYS

    await cp.bulk.release(["A", "B"], "Staging", contents, "1.0.0", private_key=KEYS[0])


@pytest.mark.skipif(sys.platform == "win32", reason="on Windows a backslash separates folders, so no file name can contain one")
@pytest.mark.parametrize("call", [_signed, _bulk_signed], ids=["release", "bulk.release"])
async def test_a_name_no_device_installs_as_signed_is_refused_before_any_request(
    cp: AsyncCodePush, recorder: Recorder, bundle: Path,
    call: Callable[[AsyncCodePush, Path], Awaitable[None]],
) -> None:
    """``a\\b.js``: the server and iOS hash ``a/b.js``, Android installs ``a\\b.js``."""
    (bundle / "a\\b.js").write_text("x")
    with pytest.raises(ValueError, match=r"^contents: cannot be signed: .* holds a backslash"):
        await call(cp, bundle)
    assert recorder.requests == []
