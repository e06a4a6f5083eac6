"""A minimal HTTP/1.1 sink on 127.0.0.1: reads each request body, answers 201 JSON.

A GET (the history the SDK reads before a release, to prove it) is answered with an empty
history.

Run as a separate process by the benchmarks so the server's work is not the client's.
Prints its port on the first line. ``_sink.py [SMALL_HASH LARGE_HASH]``: the answer's
``packageHash`` is SMALL_HASH for bodies under 1 MB, else LARGE_HASH (what the
benchmark sends), so the SDK's release integrity check runs and passes.
"""

from __future__ import annotations

import socket
import socketserver
import sys

HASHES = sys.argv[1:3] if len(sys.argv) >= 3 else ["", ""]
SMALL_BODY = 1024 * 1024


def reply(package_hash: str) -> bytes:
    body = b'{"package":{"label":"v1","appVersion":"1.0.0","size":0,"packageHash":"%s"}}' % (
        package_hash.encode()
    )
    return (
        b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )


REPLIES = [reply(h) for h in HASHES]
EMPTY_HISTORY = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 14\r\n\r\n" + b'{"history":[]}')


class Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        while True:
            headers = {}
            line = self.rfile.readline()
            if not line:
                return
            is_get = line.startswith(b"GET ")
            while True:
                line = self.rfile.readline()
                if line in (b"\r\n", b"\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            if headers.get("expect", "").lower() == "100-continue":
                self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                self.wfile.flush()
            remaining = int(headers.get("content-length", "0"))
            answer = REPLIES[0] if remaining < SMALL_BODY else REPLIES[1]
            if is_get:
                answer = EMPTY_HISTORY
            buffer = bytearray(1024 * 1024)
            view = memoryview(buffer)
            while remaining:
                got = self.rfile.readinto(view[: min(remaining, len(buffer))])
                if not got:
                    return
                remaining -= got
            self.wfile.write(answer)
            self.wfile.flush()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main() -> None:
    with Server(("127.0.0.1", 0), Handler) as server:
        server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        print(server.server_address[1], flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            sys.exit(0)


if __name__ == "__main__":
    main()
