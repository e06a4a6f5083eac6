"""A streamed release goes through an HTTP proxy intact (a loopback proxy stand-in)."""

from __future__ import annotations

import hashlib

import anyio
import pytest
from anyio.abc import SocketStream

from codepush_async import AsyncCodePush
from tests.conftest import ACCESS_KEY

pytestmark = pytest.mark.anyio

PAYLOAD = bytes(range(256)) * 20_000  # 5 MB, several chunks
REPLY_BODY = b'{"package":{"label":"v1","appVersion":"1.0.0","packageHash":"%s"}}' % (
    hashlib.sha256(PAYLOAD).hexdigest().encode()
)


HISTORY_BODY = b'{"history":[]}'


class RecordingProxy:
    """Accepts HTTP/1.1 requests on loopback, one per connection, and records them.

    A GET (the history read before a release) is answered with an empty history, the
    release with 201; ``request_line``, ``headers`` and ``body`` are the last request's.
    """

    def __init__(self) -> None:
        self.request_lines: list[bytes] = []
        self.request_line = b""
        self.headers: dict[str, str] = {}
        self.body = b""

    async def handle(self, stream: SocketStream) -> None:
        buffer = b""
        while b"\r\n\r\n" not in buffer:
            buffer += await stream.receive()
        head, _, rest = buffer.partition(b"\r\n\r\n")
        self.request_line, *lines = head.split(b"\r\n")
        self.request_lines.append(self.request_line)
        self.headers = {
            k.strip().lower(): v.strip()
            for k, v in (line.decode().split(":", 1) for line in lines)
        }
        length = int(self.headers.get("content-length", "0"))
        while len(rest) < length:
            rest += await stream.receive()
        self.body = rest
        status, body = ((b"200 OK", HISTORY_BODY) if self.request_line.startswith(b"GET ")
                        else (b"201 Created", REPLY_BODY))
        await stream.send(
            b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body
        )
        await stream.aclose()


async def test_release_streams_through_a_proxy() -> None:
    proxy = RecordingProxy()
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.extra(anyio.abc.SocketAttribute.local_port)  # noqa: S610 - not Django
    payload = PAYLOAD

    async with anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, proxy.handle)
        async with AsyncCodePush(
            ACCESS_KEY, "http://codepush.internal:3000", proxy=f"http://127.0.0.1:{port}",
            retry=None,
        ) as cp:
            package = await cp.releases.release("My App", "Staging", payload, "1.0.0")
        tg.cancel_scope.cancel()
    await listener.aclose()

    assert package.label == "v1"
    assert proxy.request_lines == [
        b"GET http://codepush.internal:3000/apps/My%20App/deployments/Staging/history HTTP/1.1",
        b"POST http://codepush.internal:3000/apps/My%20App/deployments/Staging/release HTTP/1.1",
    ]
    assert proxy.headers["authorization"] == f"Bearer {ACCESS_KEY}"
    assert int(proxy.headers["content-length"]) == len(proxy.body)
    assert "transfer-encoding" not in proxy.headers
    assert payload in proxy.body
    boundary = proxy.headers["content-type"].split("boundary=", 1)[1]
    assert proxy.body.endswith(f'{{"appVersion":"1.0.0"}}\r\n--{boundary}--\r\n'.encode())
