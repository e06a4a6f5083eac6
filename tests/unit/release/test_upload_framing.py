"""A release file that changes while it is uploaded, and odd names in the multipart header.

The file is changed from ``on_progress``, which runs between the SDK's steps: before the
file is opened (after its size was checked), after each chunk was read and sent, after
the last chunk (before the read that finds the end), and after the whole body. At every
timing up to the end of the body the release must fail with ``PackageChangedError``
naming the file, and the server must store nothing; after the body it must store exactly
the file that was checked, and never hash or resend another.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import anyio
import anyio.lowlevel
import pytest

from codepush_async import (
    AsyncCodePush,
    CodePushError,
    OutcomeUnknownError,
    PackageChangedError,
    RetryPolicy,
)
from codepush_async._release import integrity as _integrity
from codepush_async._release.multipart import CHUNK_SIZE
from codepush_async.emulator import CodePushEmulator
from tests._backend import httpx
from tests.conftest import FakeClock, Recorder
from tests.payloads import PACKAGE_WIRE

pytestmark = pytest.mark.anyio

APP = "Framing"
SIZE = 2 * CHUNK_SIZE + 12_345  # three reads: two full chunks and a short one
Change = Callable[[Path], None]

# on_progress calls: 0 before the body, 1 after the multipart head, 2 and 3 after the
# first and second chunk, 4 after the last chunk, 5 after the whole body.
BEFORE_FIRST_READ = 1
MID_STREAM = 2
AFTER_LAST_CHUNK = 4
AFTER_BODY = 5


def grow(path: Path) -> None:
    with path.open("ab") as handle:
        handle.write(b"appended by a build still running")


def shrink(path: Path) -> None:
    os.truncate(path, SIZE - CHUNK_SIZE)


def rewrite(path: Path) -> None:
    """Same size, other bytes (and, as any later write, a later modification time)."""
    before = path.stat()
    with path.open("r+b") as handle:
        handle.write(b"\0" * 64)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))


def rewrite_keeping_mtime(path: Path) -> None:
    """Same size, other bytes, and the old modification time put back (``cp -p``, rsync)."""
    before = path.stat()
    while True:  # until the file system's clock has moved past the stamp (at once, mostly)
        with path.open("r+b") as handle:
            handle.write(os.urandom(64))
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        if path.stat().st_ctime_ns != before.st_ctime_ns:
            return


def replace(path: Path) -> None:
    other = path.with_name("next-build.bin")
    other.write_bytes(os.urandom(SIZE))
    os.replace(other, path)


def remove(path: Path) -> None:
    path.unlink()


CHANGES = {"grow": grow, "shrink": shrink, "rewrite": rewrite,
           "rewrite-keeping-mtime": rewrite_keeping_mtime, "replace": replace, "remove": remove}
EXPECTED = {"grow": "it grew", "shrink": "it shrank", "rewrite": "it was modified",
            "rewrite-keeping-mtime": "it was modified", "replace": "it was replaced",
            "remove": "it was removed"}


def change_at(call: int, path: Path, change: Change) -> Callable[[int, int], None]:
    """An ``on_progress`` that applies ``change`` to ``path`` at its ``call``-th report."""
    calls = iter(range(10_000))

    def on_progress(sent: int, total: int) -> None:
        if next(calls) == call:
            change(path)

    return on_progress


def stored(data: bytes) -> dict[str, object]:
    """The answer of a server that stored ``data`` as it was sent."""
    return {"package": {**PACKAGE_WIRE, "packageHash": hashlib.sha256(data).hexdigest()}}


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    path = tmp_path / "main.jsbundle"
    path.write_bytes(os.urandom(SIZE))
    return path


@pytest.fixture
def original_hash(bundle: Path) -> str:
    """The SHA-256 of the bundle as first written (the server's hash of a non-zip file)."""
    return hashlib.sha256(bundle.read_bytes()).hexdigest()


@pytest.fixture
def emu() -> CodePushEmulator:
    return CodePushEmulator()


@pytest.fixture
async def ecp(emu: CodePushEmulator) -> AsyncIterator[AsyncCodePush]:
    key = emu.create_account("owner@example.com")
    async with AsyncCodePush(key, "http://emulator", transport=emu.transport,
                             retry=RetryPolicy(jitter=0), clock=FakeClock()) as client:
        await client.apps.create(APP)
        yield client


async def test_the_file_streams_in_chunks_at_the_progress_calls_named_above(
    cp: AsyncCodePush, recorder: Recorder, bundle: Path, original_hash: str
) -> None:
    """Never more than one chunk in memory; and the timings above are where they say."""
    recorder.reply_history()
    recorder.reply(201, json_body={"package": {**PACKAGE_WIRE, "packageHash": original_hash}})
    reports: list[int] = []

    await cp.releases.release("A", "Staging", bundle, "1.0.0",
                              on_progress=lambda sent, total: reports.append(sent))

    body = recorder.last.content
    head = body.index(b"\r\n\r\n") + 4
    assert reports == [0, head, head + CHUNK_SIZE, head + 2 * CHUNK_SIZE, head + SIZE, len(body)]


@pytest.mark.parametrize("name", list(CHANGES))
@pytest.mark.parametrize(
    "when",
    [BEFORE_FIRST_READ, MID_STREAM, AFTER_LAST_CHUNK],
    ids=["before-first-read", "mid-stream", "after-last-chunk"],
)
async def test_a_file_changed_during_the_upload_is_refused_and_nothing_is_stored(
    ecp: AsyncCodePush, bundle: Path, name: str, when: int
) -> None:
    with pytest.raises(PackageChangedError) as caught:
        await ecp.releases.release(APP, "Staging", bundle, "1.0.0",
                                   on_progress=change_at(when, bundle, CHANGES[name]))

    error = caught.value
    assert isinstance(error, CodePushError)
    assert error.path == bundle
    assert error.change == EXPECTED[name]
    assert str(bundle) in error.message
    assert EXPECTED[name] in error.message
    assert await ecp.releases.history(APP, "Staging") == []


async def test_a_change_between_the_size_check_and_the_upload_is_refused(
    ecp: AsyncCodePush, bundle: Path
) -> None:
    """The very first report comes after the size check, before any byte is sent."""
    with pytest.raises(PackageChangedError, match="it grew"):
        await ecp.releases.release(APP, "Staging", bundle, "1.0.0",
                                   on_progress=change_at(0, bundle, grow))
    assert await ecp.releases.history(APP, "Staging") == []


class HashTiming:
    """Holds the SDK's hash of what it sent (computed in a thread beside the upload) until
    the test lets it run, so a change after the body lands before or after that hash."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.go = threading.Event()
        real = _integrity.package_hash

        def held(source: Path | bytes) -> str:
            self.go.wait(10)  # a test that never lets it go still ends
            return real(source)

        monkeypatch.setattr(_integrity, "package_hash", held)

    def change_after_the_hash(self, path: Path) -> Callable[[int, int], None]:
        def change(target: Path) -> None:
            self.go.set()
            # The whole hashing, its last look at the file included, ends with its thread.
            for thread in threading.enumerate():
                if thread.name == "codepush-hash":
                    thread.join(10)
            rewrite(target)

        return change_at(AFTER_BODY, path, change)

    def change_before_the_hash(self, path: Path) -> Callable[[int, int], None]:
        def change(target: Path) -> None:
            rewrite(target)
            self.go.set()

        return change_at(AFTER_BODY, path, change)


@pytest.fixture
def timing(monkeypatch: pytest.MonkeyPatch) -> HashTiming:
    return HashTiming(monkeypatch)


def unverifiable_message(bundle: Path) -> str:
    return (f"{bundle} changed since it was sent (it was modified), so its hash cannot tell "
            "whether the release stored is what was sent; check the deployment before "
            "releasing it again.")


def release_requests(emu: CodePushEmulator) -> int:
    return len([r for r in emu.requests if r.path.endswith("/release")])


# Each case also with the answer lost after the server stored the release: the SDK then
# reads back the deployment, and never sends the file (new or old) again.
LOST = pytest.mark.parametrize("lost", [False, True], ids=["answered", "answer-lost"])


@LOST
async def test_a_change_after_the_body_and_its_hash_keeps_the_release(
    emu: CodePushEmulator, ecp: AsyncCodePush, bundle: Path, original_hash: str,
    timing: HashTiming, lost: bool
) -> None:
    """What was hashed before the change is what the server stored: kept (found), not resent."""
    if lost:
        emu.drop_next(after_handler=True, method="POST")

    package = await ecp.releases.release(APP, "Staging", bundle, "1.0.0",
                                         on_progress=timing.change_after_the_hash(bundle))

    assert package.package_hash == original_hash
    history = await ecp.releases.history(APP, "Staging")
    assert [p.package_hash for p in history] == [original_hash]
    assert release_requests(emu) == 1


@LOST
async def test_a_change_after_the_body_but_before_its_hash_cannot_be_verified(
    emu: CodePushEmulator, ecp: AsyncCodePush, bundle: Path, original_hash: str,
    timing: HashTiming, lost: bool
) -> None:
    """The server stored what was sent; the SDK cannot prove it, and says so."""
    if lost:
        emu.drop_next(after_handler=True, method="POST")

    with pytest.raises(OutcomeUnknownError) as caught:
        await ecp.releases.release(APP, "Staging", bundle, "1.0.0",
                                   on_progress=timing.change_before_the_hash(bundle))

    error = caught.value
    assert error.message == unverifiable_message(bundle)
    assert error.status_code == 500
    assert isinstance(error.__cause__, PackageChangedError)
    assert error.__cause__.change == "it was modified"
    history = await ecp.releases.history(APP, "Staging")
    assert [p.package_hash for p in history] == [original_hash]
    assert release_requests(emu) == 1


async def test_a_cancelled_release_does_not_wait_for_its_hash(
    emu: CodePushEmulator, ecp: AsyncCodePush, bundle: Path, timing: HashTiming
) -> None:
    """Cancelled while its hash is still held, the release ends at once; the hash goes on
    in a daemon thread named ``codepush-hash``, which never keeps the process alive."""
    async def release() -> None:
        await ecp.releases.release(APP, "Staging", bundle, "1.0.0")

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(release)
        # Let the upload finish and its answer arrive (checkpoints only: no clock involved),
        # so the release is left waiting on the held hash alone.
        while not any(r.delivered for r in emu.requests if r.path.endswith("/release")):
            await anyio.lowlevel.checkpoint()
        for _ in range(100):
            await anyio.lowlevel.checkpoint()
        tasks.cancel_scope.cancel()

    hashing = [t for t in threading.enumerate() if t.name == "codepush-hash"]
    assert [t.daemon for t in hashing] == [True]
    assert not timing.go.is_set()
    timing.go.set()
    hashing[0].join(10)
    assert not hashing[0].is_alive()


async def test_a_lost_answer_with_the_file_unchanged_is_still_reconciled(
    emu: CodePushEmulator, ecp: AsyncCodePush, bundle: Path, original_hash: str
) -> None:
    emu.drop_next(after_handler=True, method="POST")

    package = await ecp.releases.release(APP, "Staging", bundle, "1.0.0")

    assert package.package_hash == original_hash
    assert [p.label for p in await ecp.releases.history(APP, "Staging")] == [package.label]


async def test_a_file_changed_between_a_refused_attempt_and_its_resend_is_not_resent(
    emu: CodePushEmulator, ecp: AsyncCodePush, bundle: Path
) -> None:
    """A 503 proves nothing was stored; the file then grows: the resend is stopped."""
    emu.fail_next(503, method="POST")

    with pytest.raises(PackageChangedError, match="it grew"):
        await ecp.releases.release(APP, "Staging", bundle, "1.0.0",
                                   on_progress=change_at(AFTER_BODY, bundle, grow))

    assert await ecp.releases.history(APP, "Staging") == []


async def test_bytes_are_never_checked_on_disk(cp: AsyncCodePush, recorder: Recorder) -> None:
    recorder.reply_history()
    recorder.reply(201, json_body=stored(b"in memory"))
    data = bytearray(b"in memory")
    await cp.releases.release("A", "Staging", data, "1.0.0",
                              on_progress=lambda sent, total: data.extend(b" later"))
    assert recorder.last.content.count(b"in memory later") == 0
    assert b"\r\n\r\nin memory\r\n" in recorder.last.content


# --- names in the multipart header -----------------------------------------------------


def content_disposition(request: httpx.Request) -> bytes:
    head = request.content.split(b"\r\n\r\n", 1)[0]
    lines = head.split(b"\r\n")
    assert len(lines) == 3, lines  # boundary, Content-Disposition, Content-Type
    assert lines[2] == b"Content-Type: application/octet-stream"
    return lines[1]


@pytest.mark.parametrize(
    ("name", "quoted"),
    [
        ('say "hi".bin', 'say %22hi%22.bin'),
        ("back\\slash.bin", "back\\\\slash.bin"),
        ("cr\rlf\n.bin", "cr%0Dlf%0A.bin"),
        ('\\"\r\n', '\\\\%22%0D%0A'),
        ("Ünï cödé.bin", "Ünï cödé.bin"),
    ],
    ids=["quote", "backslash", "cr-lf", "all", "non-ascii"],
)
async def test_odd_filenames_stay_inside_one_quoted_header_value(
    cp: AsyncCodePush, recorder: Recorder, tmp_path: Path, name: str, quoted: str
) -> None:
    path = tmp_path / name
    path.write_bytes(b"bundle bytes")
    recorder.reply_history()
    recorder.reply(201, json_body=stored(b"bundle bytes"))

    await cp.releases.release("A", "Staging", path, "1.0.0")

    header = content_disposition(recorder.last)
    assert header == (
        f'Content-Disposition: form-data; name="package"; filename="{quoted}"'.encode()
    )


async def test_a_standard_multipart_parser_reads_the_name_and_both_parts(
    cp: AsyncCodePush, recorder: Recorder, tmp_path: Path
) -> None:
    from python_multipart.multipart import parse_options_header

    path = tmp_path / 'a \\ b " c\r\nd.bin'
    path.write_bytes(b"bundle bytes")
    recorder.reply_history()
    recorder.reply(201, json_body=stored(b"bundle bytes"))

    await cp.releases.release("A", "Staging", path, "1.0.0")

    value = content_disposition(recorder.last).split(b": ", 1)[1]
    kind, params = parse_options_header(value)
    assert kind == b"form-data"
    assert params == {b"name": b"package", b"filename": b"a \\ b %22 c%0D%0Ad.bin"}


async def test_emulator_accepts_a_release_with_an_odd_name(
    ecp: AsyncCodePush, tmp_path: Path
) -> None:
    path = tmp_path / 'we"ird\\na\r\nme.bin'
    path.write_bytes(b"bundle bytes")
    package = await ecp.releases.release(APP, "Staging", path, "1.0.0")
    assert package.package_hash == hashlib.sha256(b"bundle bytes").hexdigest()
