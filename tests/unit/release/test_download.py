"""Downloads on every installed backend, over real sockets: streamed to disk with flat
memory, hash-checked, retried from zero as a read, and never sent with the access key."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import tracemalloc
import zipfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import anyio
import attrs
import pytest
from anyio.abc import SocketAttribute, SocketStream

from codepush_async import (
    AsyncCodePush,
    NotFoundError,
    ReleaseIntegrityError,
    ResponseDecodeError,
    RetryPolicy,
    UpdateCheck,
)
from codepush_async._release.hashing import package_hash
from codepush_async._release.integrity import community_package_hash
from codepush_async.emulator import CodePushEmulator
from tests.conftest import ACCESS_KEY, FakeClock

pytestmark = pytest.mark.anyio

BACKENDS = [n for n in ("aiohttp", "httpx2", "httpx") if importlib.util.find_spec(n) is not None]
POLICY = RetryPolicy(max_attempts=3, initial_backoff=0.5, jitter=0.0)
PAYLOAD = bytes(range(256)) * (96 * 1024)  # 24 MiB
CHUNK = 256 * 1024


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# A reply: (status, body) or "drop" (close the connection after sending half the body).
Reply = tuple[int, bytes] | str


class BlobServer:
    """A loopback server answering each GET with the next scripted reply, keeping heads."""

    def __init__(self, replies: list[Reply], body: bytes = PAYLOAD) -> None:
        self.replies = replies
        self.body = body
        self.heads: list[str] = []
        self.url = ""

    async def _handle(self, stream: SocketStream) -> None:
        async with stream:
            buffer = b""
            while b"\r\n\r\n" not in buffer:
                try:
                    buffer += await stream.receive()
                except anyio.EndOfStream:
                    return
            self.heads.append(buffer.partition(b"\r\n\r\n")[0].decode("latin-1"))
            reply = self.replies.pop(0) if self.replies else (200, self.body)
            status, body = reply if isinstance(reply, tuple) else (200, self.body)
            await stream.send(b"HTTP/1.1 %d X\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                              % (status, len(body)))
            end = len(body) // 2 if reply == "drop" else len(body)
            for start in range(0, end, CHUNK):
                await stream.send(body[start:min(start + CHUNK, end)])

    async def __aenter__(self) -> BlobServer:
        self._listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
        port = self._listener.extra(SocketAttribute.local_port)  # noqa: S610 - not Django
        self.url = f"http://127.0.0.1:{port}/blobs/abc?sig=s3cr3t-token"
        self._group = anyio.create_task_group()
        await self._group.__aenter__()
        self._group.start_soon(self._listener.serve, self._handle)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._group.cancel_scope.cancel()
        await self._group.__aexit__(None, None, None)
        await self._listener.aclose()


def offered(url: str, body: bytes = PAYLOAD, label: str = "v7") -> UpdateCheck:
    return UpdateCheck(
        is_available=True, should_run_binary_version=False, update_app_version=False,
        label=label, package_hash=package_hash(body), download_url=url,
        package_size=len(body), app_version="1.0.0", description="", is_mandatory=False,
        target_binary_range="1.0.0",
    )


@pytest.fixture
async def client(backend: str) -> AsyncIterator[AsyncCodePush]:
    async with AsyncCodePush(ACCESS_KEY, "http://127.0.0.1:9", backend=backend, retry=POLICY,
                             clock=FakeClock()) as cp:
        assert cp.backend == backend
        yield cp


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


async def test_a_big_download_streams_with_flat_memory_and_progress(
    client: AsyncCodePush, tmp_path: Path
) -> None:
    seen: list[tuple[int, int]] = []
    async with BlobServer([]) as server:
        tracemalloc.start()
        try:
            path = await client.devices.download(
                offered(server.url), tmp_path,
                on_progress=lambda done, total: seen.append((done, total)))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < len(PAYLOAD) / 4, peak
    assert path == tmp_path / "v7"  # not a zip: no extension
    assert path.read_bytes() == PAYLOAD
    assert leftovers(tmp_path) == ["v7"]
    assert seen[0] == (0, len(PAYLOAD))
    assert seen[-1] == (len(PAYLOAD), len(PAYLOAD))
    assert [done for done, _ in seen] == sorted({done for done, _ in seen})
    head = server.heads[0]
    assert head.startswith("GET /blobs/abc?sig=s3cr3t-token HTTP/1.1")
    assert "authorization" not in head.lower()
    assert "x-codepush-sdk-version" not in head.lower()
    assert "accept: */*" in head.lower().split("\r\n")
    assert ACCESS_KEY not in head


async def test_a_dropped_download_restarts_from_zero(
    client: AsyncCodePush, tmp_path: Path
) -> None:
    body = zipped({"index.js": b"x" * 100_000, "assets/a.png": b"png"})
    async with BlobServer(["drop", (503, b"busy")], body) as server:
        path = await client.devices.download(offered(server.url, body), tmp_path / "out.zip")
    assert path.read_bytes() == body
    assert len(server.heads) == 3
    assert leftovers(tmp_path) == ["out.zip"]
    assert client.clock.sleeps == [0.5, 1.0]  # type: ignore[attr-defined]


async def test_a_missing_blob_is_not_retried_and_leaves_nothing(
    client: AsyncCodePush, tmp_path: Path
) -> None:
    async with BlobServer([(404, b"The specified blob does not exist.")]) as server:
        with pytest.raises(NotFoundError) as caught:
            await client.devices.download(offered(server.url), tmp_path)
    assert len(server.heads) == 1
    assert leftovers(tmp_path) == []
    assert "s3cr3t" not in str(caught.value)


async def test_a_package_of_other_content_is_refused_naming_both_hashes(
    client: AsyncCodePush, tmp_path: Path
) -> None:
    other = zipped({"index.js": b"evil"})
    async with BlobServer([(200, other)]) as server:
        update = offered(server.url, zipped({"index.js": b"good"}))
        with pytest.raises(ReleaseIntegrityError) as caught:
            await client.devices.download(update, tmp_path / "v7.zip")
    error = caught.value
    assert error.expected_hash == update.package_hash
    assert error.actual_hash == package_hash(other)
    assert update.package_hash in str(error)
    assert package_hash(other) in str(error)
    assert leftovers(tmp_path) == []


async def test_a_diff_package_says_it_needs_its_base(
    client: AsyncCodePush, tmp_path: Path
) -> None:
    diff = zipped({"hotcodepush.json": b'{"deletedFiles":[]}', "index.js": b"new"})
    async with BlobServer([(200, diff)]) as server:
        update = offered(server.url, zipped({"index.js": b"new", "a.js": b"same"}))
        with pytest.raises(ReleaseIntegrityError, match="diff package"):
            await client.devices.download(update, tmp_path)
    assert leftovers(tmp_path) == []


async def test_a_package_beyond_the_size_limit_stops(
    client: AsyncCodePush, tmp_path: Path
) -> None:
    async with BlobServer([]) as server:
        small = client.with_options(max_package_size=1024 * 1024)
        with pytest.raises(ResponseDecodeError, match="max_package_size"):
            await small.devices.download(offered(server.url), tmp_path)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(("change", "message"), [
    (lambda u: attrs.evolve(u, is_available=False), "nothing to download"),
    (lambda u: attrs.evolve(u, download_url=None), "no download URL"),
    (lambda u: attrs.evolve(u, download_url="ftp://x/y"), "http"),
    (lambda u: attrs.evolve(u, download_url="http:///nohost"), "http"),
    (lambda u: attrs.evolve(u, package_hash=None), "no package hash"),
    (lambda u: "not an update", "must be an UpdateCheck"),
])
async def test_bad_downloads_are_refused_before_any_request(
    client: AsyncCodePush, tmp_path: Path, change: Callable[[UpdateCheck], object], message: str
) -> None:
    update = offered("http://127.0.0.1:9/blob")
    with pytest.raises(ValueError, match=message):
        await client.devices.download(change(update), tmp_path)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="folder does not exist"):
        await client.devices.download(update, tmp_path / "nope" / "file.zip")
    assert leftovers(tmp_path) == []


async def test_a_release_downloads_from_its_blob_url_without_the_access_key(
    backend: str, tmp_path: Path
) -> None:
    emu = CodePushEmulator()
    key = emu.create_account("owner@example.com")
    v1 = zipped({"index.js": b"one"})
    async with emu.serving() as url, AsyncCodePush(key, url, backend=backend) as cp:
        await cp.apps.create("App")
        await cp.releases.release("App", "Staging", v1, "1.0.0")
        await cp.releases.release("App", "Staging", b"two", "1.0.0")
        emu.clear_requests()
        latest = await cp.releases.download("App", "Staging", dest=tmp_path)
        first = await cp.releases.download("App", "Staging", "v1", dest=tmp_path / "first.zip")
        with pytest.raises(NotFoundError):
            await cp.releases.download("App", "Staging", "v9", dest=tmp_path)
        with pytest.raises(ValueError, match="app must not be empty"):
            await cp.releases.download(" ", "Staging", dest=tmp_path)
    assert latest == tmp_path / "v2"
    assert latest.read_bytes() == b"two"
    assert first.read_bytes() == v1
    assert hashlib.sha256(b"two").hexdigest() == package_hash(latest)
    blobs = [r for r in emu.requests if r.path.startswith("/blobs/")]
    assert len(blobs) == 2
    assert all("authorization" not in r.headers for r in blobs)
    assert all("authorization" in r.headers for r in emu.requests if r not in blobs)


async def test_a_community_server_package_is_checked_with_its_hash(
    backend: str, tmp_path: Path
) -> None:
    body = zipped({"bundle/index.js": b"one", "bundle/": b""})
    community = community_package_hash(body)
    assert community is not None
    assert community != package_hash(body)
    async with BlobServer([(200, body), (200, body)]) as server:
        update = attrs.evolve(offered(server.url, body), package_hash=community)
        async with AsyncCodePush(ACCESS_KEY, "http://127.0.0.1:9", backend=backend,
                                 flavor="community") as cp:
            path = await cp.devices.download(update, tmp_path)
        assert path.read_bytes() == body
        async with AsyncCodePush(ACCESS_KEY, "http://127.0.0.1:9", backend=backend,
                                 flavor="official") as cp:
            with pytest.raises(ReleaseIntegrityError):
                await cp.devices.download(update, tmp_path / "other.zip")


BASE = {"CodePush/": b"", "CodePush/index.js": b"one", "CodePush/a.png": b"png",
        "CodePush/old.txt": b"gone"}
NEW = {"CodePush/": b"", "CodePush/index.js": b"two", "CodePush/a.png": b"png",
       "CodePush/new.txt": b"added"}
DIFF = {"hotcodepush.json": b'{"deletedFiles":["CodePush/old.txt"]}',
        "CodePush/index.js": b"two", "CodePush/new.txt": b"added"}


async def test_a_diff_package_is_applied_on_its_base_then_checked(
    client: AsyncCodePush, tmp_path: Path
) -> None:
    base = tmp_path / "base.zip"
    base.write_bytes(zipped(BASE))
    out = tmp_path / "out"
    out.mkdir()
    async with BlobServer([(200, zipped(DIFF)), (200, zipped(DIFF))]) as server:
        update = offered(server.url, zipped(NEW), label="v2")
        path = await client.devices.download(update, out, base=base)
        assert path == out / "v2.zip"
        assert package_hash(path) == update.package_hash
        with zipfile.ZipFile(path) as archive:
            assert {n: archive.read(n) for n in archive.namelist()} == NEW
        wrong = tmp_path / "wrong.zip"
        wrong.write_bytes(zipped({"CodePush/index.js": b"other"}))
        with pytest.raises(ReleaseIntegrityError, match="hashes to"):
            await client.devices.download(update, out / "again.zip", base=wrong)
    assert leftovers(out) == ["v2.zip"]


@pytest.mark.parametrize("manifest", [b"[]", b'{"deletedFiles": "x"}', b"not json"])
async def test_a_diff_with_a_bad_manifest_is_refused(
    client: AsyncCodePush, tmp_path: Path, manifest: bytes
) -> None:
    base = tmp_path / "base.zip"
    base.write_bytes(zipped(BASE))
    async with BlobServer([(200, zipped({**DIFF, "hotcodepush.json": manifest}))]) as server:
        with pytest.raises(ValueError, match="deletedFiles"):
            await client.devices.download(offered(server.url, zipped(NEW)), tmp_path / "o.zip",
                                          base=base)
    assert leftovers(tmp_path) == ["base.zip"]


async def test_a_base_that_is_not_a_zip_is_refused_before_any_request(
    client: AsyncCodePush, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="base must be"):
        await client.devices.download(offered("http://127.0.0.1:9/x"), tmp_path,
                                      base=tmp_path / "missing.zip")
