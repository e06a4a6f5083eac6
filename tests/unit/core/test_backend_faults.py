"""Every installed backend keeps the same guarantees over real sockets.

Whatever the suite's backend, each test here runs once per installed backend (aiohttp, httpx2,
httpx): a write whose answer was lost is never sent twice, a refused connection is known not to
have been sent, TLS is verified unless the caller's transport says otherwise, each phase has its
timeout, and a streamed release keeps memory flat and reports its progress.
"""

from __future__ import annotations

import datetime
import hashlib
import importlib
import importlib.util
import ipaddress
import socket
import ssl
import time
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.abc import SocketAttribute, SocketStream
from anyio.streams.tls import TLSListener

from codepush_async import (
    APIConnectionError,
    APITimeoutError,
    AsyncCodePush,
    OutcomeUnknownError,
    RetryPolicy,
    Timeouts,
)
from codepush_async._core.transport import HttpSession
from codepush_async._wire.codec import WireRequest
from codepush_async.emulator import CodePushEmulator
from tests.conftest import FakeClock

pytestmark = pytest.mark.anyio

BACKENDS = [n for n in ("aiohttp", "httpx2", "httpx") if importlib.util.find_spec(n) is not None]
POLICY = RetryPolicy(max_attempts=4, initial_backoff=0.5, multiplier=2.0, jitter=0.0)
APP = "Fault App"
RELEASE = f"/apps/{APP}/deployments/Staging/release"
PROMOTE = f"/apps/{APP}/deployments/Staging/promote/Production"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def served(backend: str) -> AsyncIterator[tuple[CodePushEmulator, AsyncCodePush]]:
    """A served emulator with ``Fault App`` and a retrying client on ``backend``."""
    emu = CodePushEmulator()
    key = emu.create_account("owner@example.com")
    async with emu.serving() as url, AsyncCodePush(
        key, url, backend=backend, retry=POLICY, clock=FakeClock()
    ) as cp:
        assert cp.backend == backend
        await cp.apps.create(APP)
        await cp.releases.release(APP, "Staging", b"first", "1.0.0")
        emu.clear_requests()
        yield emu, cp


def attempts(emu: CodePushEmulator, method: str, path: str) -> list[tuple[bool, int | None]]:
    """(handled, status) of each request the emulator received for ``method`` ``path``."""
    return [(r.handled, r.status) for r in emu.requests
            if r.method == method and r.decoded_path == path]


# --- never a duplicated write ---------------------------------------------------------------


@pytest.mark.parametrize("after_handler", [True, False], ids=["after-handler", "before-handler"])
async def test_a_release_whose_connection_dropped_is_reconciled_not_resent(
    served: tuple[CodePushEmulator, AsyncCodePush], after_handler: bool
) -> None:
    """The body went out, the answer never came: the release is looked up, not sent again."""
    emu, cp = served
    emu.drop_next(after_handler=after_handler, method="POST", path=RELEASE)
    if after_handler:
        package = await cp.releases.release(APP, "Staging", b"second", "1.0.0")
        assert package.label == "v2"
        assert attempts(emu, "POST", RELEASE) == [(True, 201)]
    else:  # on a socket a drop before the handler looks like any drop: it went out
        package = await cp.releases.release(APP, "Staging", b"second", "1.0.0")
        assert [handled for handled, _ in attempts(emu, "POST", RELEASE)] == [False, True]
    assert [p.label for p in await cp.releases.history(APP, "Staging")] == ["v1", "v2"]


async def test_a_promote_whose_answer_was_lost_is_found_and_sent_once(
    served: tuple[CodePushEmulator, AsyncCodePush],
) -> None:
    """The lost answer is settled by the destination's history: done, never resent."""
    emu, cp = served
    emu.drop_next(after_handler=True, method="POST", path=PROMOTE)
    promoted = await cp.releases.promote(APP, "Staging", "Production")
    assert promoted.release_method == "Promote"
    assert attempts(emu, "POST", PROMOTE) == [(True, 201)]


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
async def test_no_library_resends_a_write_on_a_kept_alive_connection(
    served: tuple[CodePushEmulator, AsyncCodePush], method: str
) -> None:
    """aiohttp resends a PUT or DELETE once by itself when a reused connection drops; the SDK
    turns that off so the request loop decides (and counts) every resend."""
    emu, cp = served
    plain = cp.with_options(retry=None)
    await plain.apps.list()  # the connection is now kept alive and reused below
    path = f"/apps/{APP}" if method == "DELETE" else f"/apps/{APP}/deployments/Staging/release"
    emu.drop_next(after_handler=True, method=method, path=path)
    if method == "DELETE":
        with pytest.raises(APIConnectionError) as info:
            await plain.apps.remove(APP)
        assert info.value.request_sent is True
    else:  # the lost answer is settled by reading the release back: done
        patched = await plain.releases.patch(APP, "Staging", "v1", description="once")
        assert patched is not None
        assert patched.description == "once"
    assert attempts(emu, method, path) == [(True, 200 if method == "PATCH" else 204)]


async def test_a_refused_connection_is_known_not_sent(backend: str) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with AsyncCodePush("k3y_Secret-0123456789", f"http://127.0.0.1:{port}",
                             backend=backend, retry=POLICY, clock=FakeClock()) as cp:
        with pytest.raises(APIConnectionError) as info:
            await cp.releases.promote(APP, "Staging", "Production")
    assert info.value.request_sent is False
    assert not isinstance(info.value, OutcomeUnknownError)
    assert cp.clock.sleeps == [0.5, 1.0, 2.0]  # type: ignore[attr-defined]  # retried: safe


# --- TLS --------------------------------------------------------------------------------------


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (PEM files)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return cert_file, key_file


async def _answer_apps(stream: SocketStream) -> None:
    with anyio.move_on_after(5):
        buffer = b""
        while b"\r\n\r\n" not in buffer:
            buffer += await stream.receive()
        body = b'{"apps":[]}'
        await stream.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                          + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
    await stream.aclose()


def _tls_transport(backend: str, context: ssl.SSLContext | bool) -> Any:
    """The caller's transport of ``backend`` that verifies with ``context`` (False: does not)."""
    module = importlib.import_module(backend)
    if backend == "aiohttp":
        return module.TCPConnector(ssl=context)
    return module.AsyncHTTPTransport(verify=context)


@pytest.mark.parametrize("trust", ["default", "custom-ca", "unverified"])
async def test_tls_is_verified_unless_the_callers_transport_says_otherwise(
    backend: str, tmp_path: Path, trust: str
) -> None:
    cert_file, key_file = _certificate(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_file, key_file)
    tcp = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = tcp.extra(SocketAttribute.local_port)  # noqa: S610 - not Django
    listener = TLSListener(tcp, server_context, standard_compatible=False)
    transport = None
    if trust == "custom-ca":
        transport = _tls_transport(backend, ssl.create_default_context(cafile=str(cert_file)))
    elif trust == "unverified":
        transport = _tls_transport(backend, False)

    async def serve() -> None:
        # A handshake the client refuses ends that connection only, never the listener.
        await listener.serve(_answer_apps)

    async with anyio.create_task_group() as tg:
        tg.start_soon(serve)
        async with AsyncCodePush("k3y_Secret-0123456789", f"https://127.0.0.1:{port}",
                                 backend=backend, transport=transport, retry=None) as cp:
            if trust == "default":
                with pytest.raises(APIConnectionError, match=r"(?i)certificate") as info:
                    await cp.apps.list()
                assert info.value.request_sent is False
            else:
                assert await cp.apps.list() == []
        tg.cancel_scope.cancel()
    await listener.aclose()


# --- timeouts per phase -----------------------------------------------------------------------


class _Body:
    """A streamed body of ``size`` bytes in 64 KiB chunks (what an upload hands the transport)."""

    def __init__(self, size: int) -> None:
        self.length = size

    async def stream(self) -> AsyncIterator[bytes]:
        chunk = b"x" * 65536
        for _ in range(self.length // len(chunk)):
            yield chunk


async def _read_all(stream: SocketStream) -> None:
    async with stream:
        with anyio.move_on_after(30):
            async for _ in stream:
                pass


@pytest.mark.parametrize("phase", ["read", "write"])
async def test_each_phase_times_out_on_its_own_budget(backend: str, phase: str) -> None:
    """A server that reads the body but never answers hits the read timeout; one that never
    reads it, the write timeout (aiohttp has none of its own: the SDK keeps it). Either way
    the request went out."""
    short, long = 0.3, 30.0
    timeouts = (Timeouts(read=short, write=long) if phase == "read"
                else Timeouts(read=long, write=short))
    request = WireRequest("releases.release", "POST", "/upload",
                          (("Content-Length", str(32 * 2**20)),), _Body(32 * 2**20))
    with socket.socket() as listening:
        # Never accepted, the connection's small buffers fill and the client's writes stall.
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        listening.bind(("127.0.0.1", 0))
        listening.listen(1)
        url = "http://{}:{}".format(*listening.getsockname())
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
        async with listener, anyio.create_task_group() as tg:
            if phase == "read":
                port = listener.extra(SocketAttribute.local_port)  # noqa: S610 - not Django
                url = f"http://127.0.0.1:{port}"
                tg.start_soon(listener.serve, _read_all)
            http = HttpSession(url, backend=backend)
            started = time.monotonic()
            with pytest.raises(APITimeoutError) as info:
                await http.send(request, timeouts)
            waited = time.monotonic() - started
            await http.aclose()
            tg.cancel_scope.cancel()
    assert info.value.request_sent is True
    assert waited < long / 3, waited


# --- streamed uploads -------------------------------------------------------------------------


PAYLOAD = bytes(range(256)) * (96 * 1024)  # 24 MiB


async def _sink(stream: SocketStream) -> None:
    """Answer requests, keeping none of a body: the history read first (empty), then the
    release of ``PAYLOAD``."""
    async with stream:
        buffer = b""
        while True:
            while b"\r\n\r\n" not in buffer:
                try:
                    buffer += await stream.receive()
                except anyio.EndOfStream:
                    return
            head, _, rest = buffer.partition(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            received = len(rest)
            while received < length:
                received += len(await stream.receive())
            buffer = b""
            if head.startswith(b"GET "):
                body = b'{"history":[]}'
                status = b"200 OK"
            else:
                body = b'{"package":{"label":"v1","appVersion":"1.0.0","packageHash":"%s"}}' % (
                    hashlib.sha256(PAYLOAD).hexdigest().encode())
                status = b"201 Created"
            await stream.send(b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n"
                              b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


async def test_a_big_release_streams_with_flat_memory_and_progress(backend: str) -> None:
    seen: list[tuple[int, int]] = []
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.extra(SocketAttribute.local_port)  # noqa: S610 - not Django
    url = f"http://127.0.0.1:{port}"
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, _sink)
        async with AsyncCodePush("k3y_Secret-0123456789", url, backend=backend,
                                 retry=None) as cp:
            tracemalloc.start()
            try:
                package = await cp.releases.release(
                    APP, "Staging", PAYLOAD, "1.0.0",
                    on_progress=lambda sent, total: seen.append((sent, total)))
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
        tg.cancel_scope.cancel()
    assert package.label == "v1"
    assert peak < len(PAYLOAD) / 2, peak  # chunks in flight, never the whole body again
    total = seen[-1][1]
    assert seen[0][0] == 0
    assert seen[-1][0] == total > len(PAYLOAD)
    assert [sent for sent, _ in seen] == sorted({sent for sent, _ in seen})
