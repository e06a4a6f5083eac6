"""Release uploads on the wire: multipart framing, zipping, progress, checks, cleanup."""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import attrs
import pytest

from codepush_async import (
    AsyncCodePush,
    ConflictError,
    PackageInfo,
    PayloadTooLargeError,
    ServerError,
)
from codepush_async._release.hashing import package_hash
from tests._backend import httpx
from tests.conftest import ACCESS_KEY, Recorder, sent_package
from tests.payloads import PACKAGE, PACKAGE_WIRE

pytestmark = pytest.mark.anyio

IDENTICAL = (
    "The uploaded package was not released because it is identical to the contents of the "
    "specified deployment's current release."
)


@pytest.fixture(autouse=True)
def private_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the system temp dir at an empty folder so leftovers are visible."""
    folder = tmp_path / "systemp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    assert list(folder.iterdir()) == [], "a temporary file was left behind"


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    root = tmp_path / "bundle"
    (root / "assets" / "img").mkdir(parents=True)
    (root / "main.jsbundle").write_text("console.log('hi')")
    (root / "assets" / "img" / "logo.png").write_bytes(os.urandom(300_000))
    (root / "assets" / "ünï cödé.json").write_text('{"a": 1}')
    return root


def parse_multipart(request: httpx.Request) -> dict[str, tuple[dict[str, str], bytes]]:
    """Split a multipart body by its boundary: part name -> (headers, content)."""
    content_type = request.headers["content-type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    boundary = content_type.split("boundary=", 1)[1].encode()
    body = request.content
    assert body.endswith(b"--" + boundary + b"--\r\n")
    parts = {}
    for chunk in body.split(b"--" + boundary)[1:-1]:
        assert chunk.startswith(b"\r\n")
        assert chunk.endswith(b"\r\n")
        head, _, data = chunk[2:-2].partition(b"\r\n\r\n")
        headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n"))
        name = headers["Content-Disposition"].split('name="', 1)[1].split('"', 1)[0]
        parts[name] = (headers, data)
    return parts


def assert_streamed(request: httpx.Request) -> None:
    assert request.headers["content-length"] == str(len(request.content))
    assert "transfer-encoding" not in request.headers


async def test_directory_is_zipped_with_its_name_as_first_segment(
    cp: AsyncCodePush, recorder: Recorder, bundle: Path
) -> None:
    recorder.reply_history()
    recorder.reply_release(PACKAGE_WIRE)

    package = await cp.releases.release("My App", "Staging", bundle, "1.0.0")

    history, request = recorder.requests  # the history is read first, to prove the write
    assert (history.method, history.url.raw_path) == (
        "GET", b"/apps/My%20App/deployments/Staging/history")
    assert package.package_hash == package_hash(sent_package(request))
    assert attrs.evolve(package, package_hash=PACKAGE.package_hash) == PACKAGE
    assert request.method == "POST"
    assert request.url.raw_path == b"/apps/My%20App/deployments/Staging/release"
    assert request.headers["authorization"] == f"Bearer {ACCESS_KEY}"
    assert_streamed(request)
    parts = parse_multipart(request)
    assert list(parts) == ["package", "packageInfo"]
    headers, data = parts["package"]
    assert headers["Content-Type"] == "application/zip"
    assert headers["Content-Disposition"] == 'form-data; name="package"; filename="bundle.zip"'
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert sorted(archive.namelist()) == [
        "bundle/assets/img/logo.png",
        "bundle/assets/ünï cödé.json",
        "bundle/main.jsbundle",
    ]
    for name in archive.namelist():
        on_disk = bundle.parent / name
        assert archive.read(name) == on_disk.read_bytes()
    assert parts["packageInfo"][1] == b'{"appVersion":"1.0.0"}'


async def test_file_is_sent_as_is_and_metadata_exactly(
    cp: AsyncCodePush, recorder: Recorder, tmp_path: Path
) -> None:
    path = tmp_path / "update.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("bundle/main.jsbundle", "x" * 1000)
    recorder.reply_history()
    recorder.reply_release(PACKAGE_WIRE)

    await cp.releases.release(
        "A", "Staging", str(path), "^1.2.0", description="Fix ✓", is_mandatory=True,
        is_disabled=False, rollout=50,
    )

    request = recorder.last
    assert_streamed(request)
    parts = parse_multipart(request)
    headers, data = parts["package"]
    assert data == path.read_bytes()
    assert headers["Content-Type"] == "application/zip"
    assert 'filename="update.zip"' in headers["Content-Disposition"]
    assert parts["packageInfo"][1] == (
        '{"appVersion":"^1.2.0","description":"Fix ✓","isMandatory":true,'
        '"isDisabled":false,"rollout":50}'
    ).encode()


async def test_non_zip_file_is_octet_stream(
    cp: AsyncCodePush, recorder: Recorder, tmp_path: Path
) -> None:
    path = tmp_path / "main.jsbundle"
    path.write_bytes(b"console.log(1)")
    recorder.reply_history()
    recorder.reply_release(PACKAGE_WIRE)

    await cp.releases.release("A", "S", path, "1.0.0")

    headers, data = parse_multipart(recorder.last)["package"]
    assert headers["Content-Type"] == "application/octet-stream"
    assert data == b"console.log(1)"


@pytest.mark.parametrize(
    ("data", "filename", "content_type"),
    [
        (b"PK\x03\x04rest-of-a-zip", "package.zip", "application/zip"),
        (b"plain bundle", "package", "application/octet-stream"),
    ],
    ids=["zip", "plain"],
)
async def test_bytes_contents(
    cp: AsyncCodePush, recorder: Recorder, data: bytes, filename: str, content_type: str
) -> None:
    recorder.reply_history()
    recorder.reply_release(PACKAGE_WIRE)

    await cp.releases.release("A", "S", bytearray(data), "1.0.0")

    headers, sent = parse_multipart(recorder.last)["package"]
    assert sent == data
    assert headers["Content-Type"] == content_type
    assert f'filename="{filename}"' in headers["Content-Disposition"]


async def test_progress_is_monotonic_and_ends_at_total(
    cp: AsyncCodePush, recorder: Recorder, bundle: Path
) -> None:
    recorder.reply_history()
    recorder.reply_release(PACKAGE_WIRE)
    seen: list[tuple[int, int]] = []

    async def on_progress(sent: int, total: int) -> None:
        seen.append((sent, total))

    await cp.releases.release("A", "S", bundle, "1.0.0", on_progress=on_progress)

    total = len(recorder.last.content)
    assert len(seen) > 3
    assert {t for _, t in seen} == {total}
    sent = [s for s, _ in seen]
    assert sent == sorted(set(sent))
    assert sent[0] == 0
    assert sent[-1] == total


async def test_sync_progress_callback(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply_history()
    recorder.reply_release(PACKAGE_WIRE)
    seen: list[int] = []

    await cp.releases.release("A", "S", b"x" * 1_000_000, "1.0.0",
                              on_progress=lambda sent, total: seen.append(sent))

    assert seen[-1] == len(recorder.last.content)
    assert seen == sorted(seen)


async def test_identical_release_is_reported_when_asked(
    cp: AsyncCodePush, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    recorder.reply_history()
    recorder.reply(409, text=IDENTICAL)
    with pytest.raises(ConflictError, match="identical"):
        await cp.releases.release("A", "S", b"data", "1.0.0")

    recorder.reply_history()
    recorder.reply(409, text=IDENTICAL)
    result = await cp.releases.release("A", "S", b"data", "1.0.0",
                                       no_duplicate_release_error=True)

    assert result is None
    assert "identical" in caplog.text


async def test_other_conflicts_still_raise_with_the_flag(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    text = "Please update the previous release to 100% rollout before releasing a new package."
    recorder.reply_history()
    recorder.reply(409, text=text)
    with pytest.raises(ConflictError, match="100% rollout"):
        await cp.releases.release("A", "S", b"data", "1.0.0", no_duplicate_release_error=True)


async def test_too_large_answer_maps_to_its_error(cp: AsyncCodePush, recorder: Recorder) -> None:
    recorder.reply_history()
    recorder.reply(413, text="The uploaded file is larger than the size limit of 200 megabytes.")
    with pytest.raises(PayloadTooLargeError, match="200 megabytes"):
        await cp.releases.release("A", "S", b"data", "1.0.0")


async def test_temp_zip_removed_after_server_error(
    cp: AsyncCodePush, recorder: Recorder, bundle: Path
) -> None:
    recorder.reply_history()
    recorder.reply(500, text="Internal Server Error")
    recorder.reply_history()  # nothing stored
    with pytest.raises(ServerError, match="Internal Server Error"):
        await cp.releases.release("A", "S", bundle, "1.0.0")
    # the autouse fixture asserts the temp dir is empty


async def test_cancellation_mid_upload_leaves_no_temp_file(
    bundle: Path, private_tempdir: Path
) -> None:
    started = anyio.Event()
    saw_temp_zip: list[str] = []

    class StallingTransport(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            assert isinstance(request.stream, httpx.AsyncByteStream)
            async for _ in request.stream:
                saw_temp_zip.extend(os.listdir(private_tempdir))
                started.set()
                await anyio.sleep_forever()
            raise AssertionError("unreachable")

    async with (
        AsyncCodePush(ACCESS_KEY, "http://x", transport=StallingTransport()) as cp,
        anyio.create_task_group() as tg,
    ):
        tg.start_soon(cp.releases.release, "A", "S", bundle, "1.0.0")
        await started.wait()
        tg.cancel_scope.cancel()

    assert len(saw_temp_zip) == 1
    assert saw_temp_zip[0].endswith(".zip")
    # the autouse fixture asserts the temp dir is empty again


async def test_flat_release_alias_does_not_mutate_metadata(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    info = PackageInfo(description="d", rollout=10)
    recorder.reply_history()
    recorder.reply_release(PACKAGE_WIRE)

    await cp.release("A", "S", b"data", "2.0.0", info)

    assert info == PackageInfo(description="d", rollout=10)
    sent = json.loads(parse_multipart(recorder.last)["packageInfo"][1])
    assert sent == {"appVersion": "2.0.0", "description": "d", "rollout": 10}


async def test_release_body_can_be_sent_twice_identically(
    recorder: Recorder, bundle: Path
) -> None:
    """A retry must resend the whole body: streaming it again gives the same bytes."""
    from codepush_async._release.multipart import MultipartBody
    from codepush_async._release.package import package_source

    async with package_source(bundle, 10**9) as package:
        body = MultipartBody(package, b"{}")

        async def collect(stream: AsyncIterator[bytes]) -> bytes:
            return b"".join([chunk async for chunk in stream])

        first = await collect(body.stream())
        second = await collect(body.stream())
    assert first == second
    assert len(first) == body.length


BAD: list[tuple[str, dict[str, Any], str]] = [
    ("bad version", {"target_binary_version": "latest"}, "target_binary_version must be a semver"),
    ("empty version", {"target_binary_version": ""}, "target_binary_version must not be empty"),
    ("version type", {"target_binary_version": 1.0}, "target_binary_version must be a string"),
    ("rollout", {"rollout": 0}, "rollout must be from 1 to 100"),
    ("rollout type", {"rollout": "5"}, "rollout must be an integer"),
    ("bool", {"is_mandatory": "true"}, "is_mandatory must be True, False or None"),
    ("flag", {"no_duplicate_release_error": 1}, "no_duplicate_release_error must be True"),
    ("missing path", {"contents": "/nonexistent/bundle"}, "does not exist"),
    ("empty bytes", {"contents": b""}, "contents must not be empty"),
    ("contents type", {"contents": 42}, "contents must be a directory path, a file path or bytes"),
    ("too large", {"contents": b"x" * 2000, "max_package_size": 1000},
     "over max_package_size"),
    ("limit type", {"max_package_size": 0}, "max_package_size must be a positive"),
    ("progress", {"on_progress": "bar"}, "on_progress must be callable"),
    ("app", {"app": ""}, "app must not be empty"),
]


@pytest.mark.parametrize(("label", "override", "message"), BAD, ids=[b[0] for b in BAD])
async def test_bad_release_input_fails_before_any_byte(
    cp: AsyncCodePush, recorder: Recorder, label: str, override: dict[str, Any], message: str
) -> None:
    args: dict[str, Any] = {"app": "A", "deployment": "S", "contents": b"data",
                            "target_binary_version": "1.0.0", **override}
    with pytest.raises(ValueError, match=message):
        await cp.releases.release(**args)
    assert recorder.requests == []


async def test_empty_directory_is_refused(
    cp: AsyncCodePush, recorder: Recorder, tmp_path: Path
) -> None:
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    with pytest.raises(ValueError, match="contains no files"):
        await cp.releases.release("A", "S", tmp_path / "empty", "1.0.0")
    assert recorder.requests == []


async def test_symlink_outside_the_directory_is_refused(
    cp: AsyncCodePush, recorder: Recorder, bundle: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not ship")
    (bundle / "leak.txt").symlink_to(secret)
    with pytest.raises(ValueError, match="points outside"):
        await cp.releases.release("A", "S", bundle, "1.0.0")
    assert recorder.requests == []


async def test_symlinks_inside_the_directory(
    cp: AsyncCodePush, recorder: Recorder, bundle: Path
) -> None:
    (bundle / "alias.jsbundle").symlink_to(bundle / "main.jsbundle")
    (bundle / "img-link").symlink_to(bundle / "assets" / "img", target_is_directory=True)
    recorder.reply_history()
    recorder.reply_release(PACKAGE_WIRE)

    await cp.releases.release("A", "S", bundle, "1.0.0")

    archive = zipfile.ZipFile(io.BytesIO(parse_multipart(recorder.last)["package"][1]))
    assert "bundle/alias.jsbundle" in archive.namelist()
    assert archive.read("bundle/alias.jsbundle") == b"console.log('hi')"
    assert not any(name.startswith("bundle/img-link") for name in archive.namelist())
