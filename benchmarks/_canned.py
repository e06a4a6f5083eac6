"""A minimal asyncio HTTP/1.1 server on 127.0.0.1 answering canned CodePush JSON bodies.

Run in its own process by ``overhead.py`` so the server's work is not the client's. It keeps
connections alive, reads request bodies by ``Content-Length`` and sends a ``Date`` header like
real servers. Prints its port on the first line.
"""

from __future__ import annotations

import asyncio
import json
import sys
from email.utils import formatdate

PACKAGE = {
    "appVersion": "1.0.0",
    "blobUrl": "https://blobs.example.com/abc",
    "description": "fix crash",
    "diffPackageMap": {"oldhash": {"size": 10, "url": "https://blobs.example.com/diff"}},
    "isDisabled": False,
    "isMandatory": True,
    "label": "v3",
    "manifestBlobUrl": "https://blobs.example.com/manifest",
    "packageHash": "5f1a",
    "releaseMethod": "Upload",
    "releasedBy": "owner@example.com",
    "rollout": None,
    "size": 1234,
    "uploadTime": 1_700_000_000_000,
}
APP = {
    "name": "App",
    "collaborators": {"owner@example.com": {"permission": "Owner", "isCurrentAccount": True}},
    "deployments": ["Production", "Staging"],
    "os": "iOS",
    "platform": "React-Native",
}
DEPLOYMENT = {"name": "Production", "key": "deployment-key-1", "package": PACKAGE}
BODIES = {
    ("GET", "/apps"): {"apps": [dict(APP, name=f"App{i}") for i in range(5)]},
    ("GET", "/apps/App"): {"app": APP},
    ("GET", "/apps/App/deployments/Production"): {"deployment": DEPLOYMENT},
    ("GET", "/apps/App/deployments/Production/history"): {
        # as a server keeps it: labels and upload times grow along the history
        "history": [
            dict(PACKAGE, label=f"v{i + 1}", uploadTime=PACKAGE["uploadTime"] + i * 60_000)
            for i in range(50)
        ]
    },
    ("PATCH", "/apps/App/deployments/Production/release"): {"package": PACKAGE},
}
ENCODED = {key: json.dumps(body).encode() for key, body in BODIES.items()}


def _reply(status: str, body: bytes, date: str) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json; charset=utf-8\r\n"
        f"Date: {date}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            length = 0
            for line in lines[1:]:
                if line[:15].lower() == "content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            body = ENCODED.get((method, path))
            date = formatdate(usegmt=True)
            if body is None:
                writer.write(_reply("404 Not Found", b'{"message":"Not Found"}', date))
            else:
                writer.write(_reply("200 OK", body, date))
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main() -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=512)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
