"""Helpers shared by the emulator tests."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
import zlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx

OWNER_EMAIL = "owner@example.com"
OTHER_EMAIL = "other@example.com"
THIRD_EMAIL = "third@example.com"
MSG_INVALID = (
    'The session or access key being used is invalid, please run "code-push-standalone login" '
    "again. If you are on an older version of the CLI, you may need to run "
    '"code-push-standalone logout" first to clear the session cache.'
)
MSG_EXPIRED = MSG_INVALID.replace("is invalid", "has expired")
OWNER_ONLY = "This action requires Owner permissions on the app!"


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def make_zip(
    files: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED, dirs: tuple[str, ...] = ()
) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as archive:
        for directory in dirs:
            archive.writestr(zipfile.ZipInfo(directory), b"")
        for name, data in files.items():
            archive.writestr(name, data)
    return buf.getvalue()


def expected_zip_hash(files: dict[str, bytes]) -> str:
    """An independent statement of the server's manifest-hash algorithm."""
    entries = sorted(f"{name}:{hashlib.sha256(data).hexdigest()}" for name, data in files.items())
    return hashlib.sha256(json.dumps(entries, separators=(",", ":")).encode()).hexdigest()


async def release(
    client: httpx.AsyncClient,
    app: str,
    deployment: str,
    data: bytes,
    info: dict[str, Any] | str | None,
    *,
    field: str = "package",
    filename: str = "bundle.zip",
) -> httpx.Response:
    form: dict[str, str] = {}
    if info is not None:
        form["packageInfo"] = info if isinstance(info, str) else json.dumps(info)
    return await client.post(
        f"/apps/{app}/deployments/{deployment}/release",
        files={field: (filename, data, "application/zip")},
        data=form,
    )


async def create_app(client: httpx.AsyncClient, name: str, **extra: Any) -> httpx.Response:
    response = await client.post("/apps", json={"name": name, **extra})
    assert response.status_code == 201, response.text
    return response


REPO_ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def emulator_cli(*args: str) -> Iterator[subprocess.Popen[str]]:
    """``python -m codepush_async.emulator ARGS`` on a free port; stopped and closed on exit."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), *sys.path])}
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "codepush_async.emulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        finally:
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()


MIB = 1024 * 1024
_ZEROS = bytes(MIB)


class _RepeatedDeflate:
    """zipfile's compressor for a run of 1 MiB zero blocks: after a full flush every block
    deflates to the same bytes, so they are compressed once (a 2 GiB entry costs only its CRC)."""

    def __init__(self) -> None:
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        self.block = compressor.compress(_ZEROS) + compressor.flush(zlib.Z_FULL_FLUSH)
        self.tail = compressor.flush()

    def compress(self, data: bytes) -> bytes:
        assert data == _ZEROS
        return self.block

    def flush(self) -> bytes:
        return self.tail


def zip_bomb(unpacked: int, name: str = "bomb.js") -> bytes:
    """A zip of one entry of ``unpacked`` zero bytes (whole MiB) that declares its size honestly:
    about 1 KiB per MiB (2 GiB in a 2 MB zip)."""
    buf = io.BytesIO()
    archive = zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED)
    with archive, archive.open(name, "w", force_zip64=True) as entry:
        entry._compressor = _RepeatedDeflate()  # type: ignore[attr-defined]
        for _ in range(unpacked // MIB):
            entry.write(_ZEROS)
    return buf.getvalue()


class LazyBody:
    """A request body of ``total`` bytes made chunk by chunk as the client sends it (never held
    whole), after an optional ``head``; ``sent`` counts what the client took."""

    def __init__(self, total: int, *, head: bytes = b"", tail: bytes = b"", chunk: int = MIB):
        self.total = total
        self.head = head
        self.tail = tail
        self.chunk = chunk
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self.head:
            yield self.head
        block = b"x" * self.chunk
        while self.sent < self.total:
            self.sent += self.chunk
            yield block
        if self.tail:
            yield self.tail


def multipart_head(boundary: str, info: str = '{"appVersion": "1.0.0"}') -> bytes:
    """The start of a release upload up to the first byte of its ``package`` file."""
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="packageInfo"\r\n\r\n{info}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="package"; filename="a.zip"\r\n'
        "Content-Type: application/zip\r\n\r\n"
    ).encode()
