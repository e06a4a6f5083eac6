"""The emulator under hostile clients: bodies it must not read whole, uploads over the limit,
zip bombs, odd blob ids. Every hostile body is made lazily as the client sends it. What the
emulator read shows in ``record.body_size`` (served, uvicorn drains the rest of a refused body
unread, as Node does) and, in process, in what the client got to send (``LazyBody.sent``).

``benchmarks/emulator_hostile.py`` measures the served emulator's peak memory under the same
bodies at full size."""

from __future__ import annotations

import hashlib
import io
import json
import os
import socket
import struct
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codepush_async.emulator import CodePushEmulator, package_hash
from codepush_async.emulator._classic import releases as classic_releases
from codepush_async.emulator._node import package_hash as hashing

from ._helpers import (
    MIB,
    MSG_INVALID,
    OWNER_EMAIL,
    LazyBody,
    auth,
    expected_zip_hash,
    make_zip,
    multipart_head,
    zip_bomb,
)
from .test_emu_aborted import wait_for

pytestmark = pytest.mark.anyio

RELEASE = "/apps/App/deployments/Staging/release"
V1_RELEASE = "/api/v1/apps/App/deployments/Staging/release"
BOUNDARY = "hostile0boundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
READ_AHEAD = 4 * MIB
"""What the server may have taken of a body it refused: its read-ahead plus socket buffers."""
TOO_LARGE = "The uploaded file is larger than the size limit of 1 megabytes."
BOMB = "The uploaded zip unpacks to more than the size limit of 1024 megabytes."


def _path_of(dialect: str) -> str:
    return V1_RELEASE if dialect == "v1" else RELEASE


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["classic", "v1"])
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def in_process(emu: CodePushEmulator, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=emu.transport, base_url="http://emulator", headers=auth(key))


async def upload(client: httpx.AsyncClient, path: str, package: tuple[Any, ...]) -> httpx.Response:
    """A release of ``package`` (``files`` tuple) for app version 1.0.0."""
    return await client.post(
        path, files={"package": package}, data={"packageInfo": json.dumps({"appVersion": "1.0.0"})}
    )


def emulator(dialect: str = "classic", **options: Any) -> tuple[CodePushEmulator, str]:
    emu = CodePushEmulator(dialect, rate_limit=None, **options)
    return emu, emu.create_account(OWNER_EMAIL)


async def create_app(client: httpx.AsyncClient, dialect: str) -> None:
    path = "/api/v1/apps" if dialect == "v1" else "/apps"
    assert (await client.post(path, json={"name": "App"})).status_code == 201


def last_request(emu: CodePushEmulator, path: str) -> Any:
    return next(r for r in reversed(emu.requests) if r.path == path)


def refusal(response: httpx.Response, dialect: str) -> tuple[int, str]:
    """Status and message of an answer in either dialect (v1 wraps it in its envelope)."""
    if dialect == "v1":
        return response.status_code, response.json()["error"]["message"]
    return response.status_code, response.text


# Authentication comes before any body is read


@pytest.mark.parametrize(
    "content_type", ["application/octet-stream", MULTIPART], ids=["octet", "multipart"]
)
async def test_an_unauthenticated_512_mib_upload_is_refused_unread(
    dialect: str, content_type: str
) -> None:
    emu, _ = emulator(dialect)
    body = LazyBody(512 * MIB)
    async with emu.serving() as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        response = await client.post(
            _path_of(dialect), content=body, headers={"Content-Type": content_type}
        )
        assert response.status_code == 401
        if dialect == "classic":
            assert response.text == MSG_INVALID
        assert (await client.get("/")).status_code in (200, 401)  # still serving
    record = last_request(emu, _path_of(dialect))
    assert record.body_size <= READ_AHEAD  # the rest was drained unread, as Node does


async def test_an_unauthenticated_json_body_is_cut_at_body_parsers_limit() -> None:
    """The classic server parses JSON (10 kB) before authenticating, as Express does: 413."""
    emu, _ = emulator()
    body = LazyBody(64 * MIB)
    async with emu.serving() as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        response = await client.post(
            "/apps", content=body, headers={"Content-Type": "application/json"}
        )
    assert (response.status_code, response.text) == (413, "request entity too large")
    assert last_request(emu, "/apps").body_size <= READ_AHEAD


async def test_a_declared_oversized_json_body_is_refused_before_reading() -> None:
    emu, key = emulator()
    async with emu.serving() as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        response = await client.post(
            "/apps",
            content=b"{" + b" " * (20 * 1024) + b"}",
            headers={"Content-Type": "application/json", **auth(key)},
        )
    assert (response.status_code, response.text) == (413, "request entity too large")


async def test_a_large_v1_json_body_is_refused_after_authentication() -> None:
    emu, key = emulator("v1")
    body = LazyBody(64 * MIB)
    async with emu.serving() as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        response = await client.post(
            "/api/v1/apps", content=body, headers={"Content-Type": "application/json", **auth(key)}
        )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PayloadTooLarge"
    assert last_request(emu, "/api/v1/apps").body_size <= READ_AHEAD


async def test_in_process_an_unauthenticated_body_is_never_pulled() -> None:
    emu, _ = emulator()
    body = LazyBody(512 * MIB)
    async with httpx.AsyncClient(transport=emu.transport, base_url="http://emulator") as client:
        response = await client.post(RELEASE, content=body)
    assert (response.status_code, response.text) == (401, MSG_INVALID)
    assert body.sent <= READ_AHEAD


# Uploads over the limit


def over_limit_body(size: int) -> LazyBody:
    return LazyBody(size, head=multipart_head(BOUNDARY), tail=f"\r\n--{BOUNDARY}--\r\n".encode())


async def test_an_upload_over_the_limit_is_refused_as_its_bytes_arrive(dialect: str) -> None:
    emu, key = emulator(dialect, max_package_size=MIB)
    body = over_limit_body(512 * MIB)
    async with (
        emu.serving() as url,
        httpx.AsyncClient(base_url=url, headers=auth(key), timeout=30) as client,
    ):
        await create_app(client, dialect)
        response = await client.post(
            _path_of(dialect), content=body, headers={"Content-Type": MULTIPART}
        )
        assert refusal(response, dialect) == (413, TOO_LARGE)
        if dialect == "v1":
            assert response.json()["error"]["code"] == "PayloadTooLarge"
        history = await client.get(
            "/api/v1/apps/App/deployments/Staging/releases"
            if dialect == "v1"
            else "/apps/App/deployments/Staging/history"
        )
        assert history.json() in ({"history": []}, {"releases": []})
    assert last_request(emu, _path_of(dialect)).body_size <= MIB + READ_AHEAD


async def test_an_upload_at_the_limit_is_released(dialect: str) -> None:
    emu, key = emulator(dialect, max_package_size=MIB)
    async with (
        emu.serving() as url,
        httpx.AsyncClient(base_url=url, headers=auth(key), timeout=30) as client,
    ):
        await create_app(client, dialect)
        data = bytes(MIB)
        response = await upload(client, _path_of(dialect), ("a.js", data))
        assert response.status_code == 201, response.text
        key_name = "release" if dialect == "v1" else "package"
        assert response.json()[key_name]["packageHash"] == hashlib.sha256(data).hexdigest()


async def test_any_file_over_the_limit_is_refused_and_other_files_are_not_kept() -> None:
    """As multer's fileSize limit: every file counts, only the first ``package`` is kept."""
    emu, key = emulator(max_package_size=MIB)
    async with in_process(emu, key) as local:
        await create_app(local, "classic")
        info = {"packageInfo": json.dumps({"appVersion": "1.0.0"})}
        small = [("other", ("o.bin", b"o" * 100)), ("package", ("a.js", b"first"))]
        big = [("other", ("o.bin", bytes(MIB + 1))), ("package", ("a.js", b"first"))]
        refused = await local.post(RELEASE, files=big, data=info)
        assert (refused.status_code, refused.text) == (413, TOO_LARGE)
        twice = [*small, ("package", ("b.js", b"second"))]
        released = await local.post(RELEASE, files=twice, data=info)
        assert released.json()["package"]["packageHash"] == hashlib.sha256(b"first").hexdigest()


def huge_field() -> LazyBody:
    head = b'--B\r\nContent-Disposition: form-data; name="packageInfo"\r\n\r\n'
    return LazyBody(64 * MIB, head=head, chunk=64 * 1024)


def huge_part_header() -> LazyBody:
    return LazyBody(64 * MIB, head=b"--B\r\nX-Long: ", chunk=64 * 1024)


class ManyFields(LazyBody):
    """1000 fields of 64 KiB each (each under starlette's own 1 MiB part limit)."""

    def __init__(self) -> None:
        super().__init__(1000 * 64 * 1024)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for index in range(1000):
            self.sent += 64 * 1024
            yield b'--B\r\nContent-Disposition: form-data; name="f%d"\r\n\r\n' % index
            yield b"v" * (64 * 1024) + b"\r\n"


@pytest.mark.parametrize(
    "hostile", [huge_field, huge_part_header, ManyFields], ids=["field", "header", "fields"]
)
async def test_multipart_metadata_is_bounded(hostile: Callable[[], LazyBody]) -> None:
    """Part headers and fields share one 1 MiB budget: past it the body carries no file and
    nothing more is read."""
    emu, key = emulator()
    body = hostile()
    async with in_process(emu, key) as client:
        await create_app(client, "classic")
        response = await client.post(
            RELEASE, content=body, headers={"Content-Type": "multipart/form-data; boundary=B"}
        )
    assert (response.status_code, response.text) == (
        400,
        "A deployment package must include a file.",
    )
    assert body.sent <= 2 * MIB


# Zip bombs


async def test_a_2_mb_zip_bomb_is_refused_without_unpacking(dialect: str) -> None:
    bomb = zip_bomb(2048 * MIB)
    assert len(bomb) < 3 * MIB
    emu, key = emulator(dialect)
    async with (
        emu.serving() as url,
        httpx.AsyncClient(base_url=url, headers=auth(key), timeout=30) as client,
    ):
        await create_app(client, dialect)
        response = await upload(client, _path_of(dialect), ("bomb.zip", bomb, "application/zip"))
        assert refusal(response, dialect) == (413, BOMB)
    assert len(emu.store.blobs) == 0


@pytest.mark.parametrize("storage", [False, True], ids=["memory", "storage-dir"])
async def test_a_refused_release_leaves_no_blob(tmp_path: Path, storage: bool) -> None:
    emu, key = emulator(max_unpacked_size=MIB, storage_dir=tmp_path if storage else None)
    async with in_process(emu, key) as client:
        await create_app(client, "classic")
        info = {"packageInfo": json.dumps({"appVersion": "1.0.0"})}
        fine = make_zip({"a.js": bytes(MIB)})
        assert (
            await client.post(RELEASE, files={"package": ("a.zip", fine)}, data=info)
        ).status_code == 201
        again = await client.post(RELEASE, files={"package": ("a.zip", fine)}, data=info)
        assert again.status_code == 409  # identical: staged, then dropped
        bomb = make_zip({"a.js": bytes(MIB), "b.js": b"1"})
        refused = await client.post(RELEASE, files={"package": ("b.zip", bomb)}, data=info)
        assert refused.status_code == 413
        assert "1 megabytes" in refused.text
    assert len(emu.store.blobs) == 2  # the release and its manifest
    if storage:
        assert len(os.listdir(tmp_path)) == 2


async def test_a_bomb_loses_to_the_rules_the_server_checks_before_hashing() -> None:
    """The server hashes after resolving the app and checking the rollout: those answer first."""
    emu, key = emulator(max_unpacked_size=MIB)
    async with in_process(emu, key) as client:
        bomb = make_zip({"a.js": bytes(2 * MIB)})
        info = {"packageInfo": json.dumps({"appVersion": "1.0.0"})}
        missing = await client.post(RELEASE, files={"package": ("b.zip", bomb)}, data=info)
        assert (missing.status_code, missing.text) == (404, 'App "App" does not exist.')


def test_an_entry_lying_about_its_size_is_never_unpacked_past_it() -> None:
    """Declared 1 KiB, really 1 MiB: zipfile stops at the declared size and the CRC fails, so
    the package is hashed whole, as any zip the server's reader would fail on mid-way."""
    data = bytearray(make_zip({"a.js": bytes(MIB)}))
    central = data.rindex(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 1024)  # uncompressed size
    struct.pack_into("<I", data, data.index(b"PK\x03\x04") + 22, 1024)
    assert hashing.zip_manifest(bytes(data), max_unpacked=2048) is None
    assert package_hash(bytes(data)) == hashlib.sha256(data).hexdigest()


def test_a_zip_declaring_too_many_entries_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hashing, "MAX_ENTRIES", 3)
    data = make_zip({f"{i}.js": b"" for i in range(4)})
    with pytest.raises(hashing.ZipBombError, match="declares 4 entries, more than the limit of 3"):
        hashing.zip_manifest(data, max_unpacked=MIB)
    assert hashing.zip_manifest(make_zip({"a.js": b"1", "b.js": b"2", "c.js": b"3"}), MIB)


files_strategy = st.dictionaries(
    st.text(st.characters(min_codepoint=97, max_codepoint=122), min_size=1, max_size=8).map(
        lambda name: name + ".js"
    ),
    st.binary(max_size=3000),
    min_size=1,
    max_size=6,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=files_strategy, limit=st.integers(min_value=0, max_value=12000))
def test_streamed_manifest_matches_the_server_algorithm_or_refuses_past_the_limit(
    files: dict[str, bytes], limit: int
) -> None:
    data = make_zip(files)
    unpacked = sum(len(content) for content in files.values())
    if unpacked > limit:
        with pytest.raises(hashing.ZipBombError):
            hashing.hash_with_manifest(io.BytesIO(data), limit)
        return
    digest, manifest = hashing.hash_with_manifest(io.BytesIO(data), limit)
    assert digest == expected_zip_hash(files) == package_hash(data)
    assert manifest == {
        name: hashlib.sha256(content).hexdigest() for name, content in files.items()
    }


# Other clients keep being served


async def test_other_clients_are_served_while_a_release_is_hashed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Hashing runs in a worker thread: while it waits, another client's request answers."""
    hashing_started = threading.Event()
    other_answered = threading.Event()
    original: Callable[..., Any] = hashing.hash_with_manifest

    def slow_hash(*args: Any) -> Any:
        hashing_started.set()
        assert other_answered.wait(10), "the other client was never answered"
        return original(*args)

    monkeypatch.setattr(classic_releases, "hash_with_manifest", slow_hash)
    emu, key = emulator()
    async with (
        emu.serving() as url,
        httpx.AsyncClient(base_url=url, headers=auth(key), timeout=20) as uploader,
        httpx.AsyncClient(base_url=url, headers=auth(key), timeout=5) as other,
    ):
        await create_app(uploader, "classic")

        async with anyio.create_task_group() as group:
            results: list[httpx.Response] = []

            async def run_upload() -> None:
                results.append(await upload(uploader, RELEASE, ("a.js", b"bundle")))

            group.start_soon(run_upload)
            await anyio.to_thread.run_sync(hashing_started.wait, 10)
            answer = await other.get("/apps")
            other_answered.set()
        assert answer.json()["apps"][0]["name"] == "App"
        assert results[0].status_code == 201


async def test_other_clients_are_served_while_a_hostile_upload_streams() -> None:
    emu, key = emulator(max_package_size=64 * MIB)
    answers: list[int] = []
    async with (
        emu.serving() as url,
        httpx.AsyncClient(base_url=url, headers=auth(key), timeout=20) as uploader,
        httpx.AsyncClient(base_url=url, headers=auth(key), timeout=5) as other,
    ):
        await create_app(uploader, "classic")

        async def body() -> AsyncIterator[bytes]:
            yield multipart_head(BOUNDARY)
            for sent in range(128):
                if sent in (8, 32):  # mid-upload
                    answers.append((await other.get("/apps")).status_code)
                yield bytes(MIB)

        response = await uploader.post(RELEASE, content=body(), headers={"Content-Type": MULTIPART})
    assert answers == [200, 200]
    assert response.status_code == 413


# Blob ids


@pytest.mark.parametrize("blob_id", ["a" * 300, "x" * 5000, "%00", "a%2Fb", "..%5C.."])
async def test_an_impossible_blob_id_is_not_found(
    tmp_path: Path, dialect: str, blob_id: str
) -> None:
    emu, _ = emulator(dialect, storage_dir=tmp_path)
    async with emu.serving() as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        response = await client.get(f"/blobs/{blob_id}")
    assert response.status_code == 404
    if dialect == "v1":
        assert response.json()["error"]["message"] == "Blob not found."
    else:
        assert response.text == "Not Found"


async def test_the_command_line_sets_the_unpacked_limit() -> None:
    from codepush_async.emulator.__main__ import _parser, emulator_from

    emu = emulator_from(_parser().parse_args(["--max-unpacked-size-mb", "1", "--rate-limit", "0"]))
    key = emu.create_account(OWNER_EMAIL)
    async with in_process(emu, key) as client:
        await create_app(client, "classic")
        response = await upload(client, RELEASE, ("b.zip", make_zip({"a.js": bytes(MIB + 1)})))
    assert (response.status_code, response.text) == (
        413,
        "The uploaded zip unpacks to more than the size limit of 1 megabytes.",
    )
    with pytest.raises(ValueError, match="max_unpacked_size must be positive"):
        CodePushEmulator(max_unpacked_size=0)


def test_a_long_body_abandoned_mid_way_is_aborted_without_an_error(
    dialect: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Past the read-ahead the body streams to the handler; a client leaving then is still an
    aborted request: not handled, not answered, and no error logged."""
    emu, key = emulator(dialect)
    path = "/api/v1/apps" if dialect == "v1" else "/apps"
    kind = "application/json" if dialect == "v1" else "application/x-www-form-urlencoded"
    with emu.serve() as url:
        address = httpx.URL(url)
        assert address.port is not None
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {address.host}\r\nAuthorization: Bearer {key}\r\n"
            f"Content-Type: {kind}\r\nTransfer-Encoding: chunked\r\n\r\n"
        ).encode()
        with socket.create_connection((address.host, address.port)) as sock:
            sock.sendall(head + b"%x\r\n%s\r\n" % (80 * 1024, b" " * (80 * 1024)))
            wait_for(lambda: next((r for r in emu.requests if r.path == path), None))
        record = wait_for(
            lambda: next((r for r in emu.requests if r.aborted and not r.handled), None)
        )
    assert (record.status, record.delivered, record.body_size) == (None, False, 80 * 1024)
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


async def test_a_blob_under_a_storage_dir_streams_from_its_file(
    tmp_path: Path, dialect: str
) -> None:
    emu, key = emulator(dialect, storage_dir=tmp_path)
    data = os.urandom(3 * MIB)
    async with (
        emu.serving() as url,
        httpx.AsyncClient(base_url=url, headers=auth(key), timeout=30) as client,
    ):
        await create_app(client, dialect)
        released = await upload(client, _path_of(dialect), ("a.js", data))
        blob_url = released.json()["release" if dialect == "v1" else "package"]["blobUrl"]
        download = await client.get(blob_url)
        assert (download.content, download.headers["content-length"]) == (data, str(3 * MIB))
        assert (await client.head(blob_url)).content == b""
