"""``python -m codepush_async.emulator``: serve the emulator on a local port with a ready key."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import require_extra

try:
    require_extra("python -m codepush_async.emulator")
except ModuleNotFoundError as _missing:
    print(_missing, file=sys.stderr)
    sys.exit(1)

from ._emulator import (
    DEFAULT,
    DIALECTS,
    MAX_UNPACKED_SIZE,
    REQUEST_BODY_LIMIT,
    REQUEST_LOG_SIZE,
    CodePushEmulator,
)
from ._serve import base_url, bind_socket, make_server


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m codepush_async.emulator",
        description="Serve an in-memory CodePush management server for local development.",
    )
    parser.add_argument("--port", type=int, default=3000, help="port (0 picks a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default loopback)")
    parser.add_argument("--email", default="dev@example.com", help="e-mail of the ready account")
    parser.add_argument("--name", default=None, help="display name of the ready account")
    parser.add_argument(
        "--dialect", default="classic", choices=DIALECTS, help="classic, or v1 (/api/v1)"
    )
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=None,
        help="requests per window (0 disables; default 100, v1 1000)",
    )
    parser.add_argument(
        "--rate-limit-window", type=float, default=None, help="seconds (default 900, v1 3600)"
    )
    parser.add_argument(
        "--max-package-size-mb", type=float, default=200.0, help="release upload limit"
    )
    parser.add_argument(
        "--max-unpacked-size-mb",
        type=float,
        default=MAX_UNPACKED_SIZE / (1024 * 1024),
        help="bytes a released zip may unpack to (a bomb is refused)",
    )
    parser.add_argument("--storage-dir", default=None, help="keep uploaded packages here")
    parser.add_argument(
        "--request-log-size",
        type=_non_negative,
        default=REQUEST_LOG_SIZE,
        help=f"recent requests kept in memory (default {REQUEST_LOG_SIZE})",
    )
    parser.add_argument(
        "--request-body-limit",
        type=_non_negative,
        default=REQUEST_BODY_LIMIT,
        help=f"bytes of each request body kept (default {REQUEST_BODY_LIMIT})",
    )
    parser.add_argument(
        "--no-redis", action="store_true", help="metrics answer {} as without Redis (classic)"
    )
    parser.add_argument("--ssl-certfile", default=None, help="serve HTTPS with this PEM cert")
    parser.add_argument("--ssl-keyfile", default=None, help="the certificate's PEM private key")
    parser.add_argument("--log-level", default="warning")
    return parser


def emulator_from(args: argparse.Namespace) -> CodePushEmulator:
    """The emulator the parsed command line describes."""
    return CodePushEmulator(
        args.dialect,
        rate_limit=DEFAULT if args.rate_limit is None else (args.rate_limit or None),
        rate_limit_window=DEFAULT if args.rate_limit_window is None else args.rate_limit_window,
        max_package_size=int(args.max_package_size_mb * 1024 * 1024),
        max_unpacked_size=int(args.max_unpacked_size_mb * 1024 * 1024),
        storage_dir=args.storage_dir,
        request_log_size=args.request_log_size,
        request_body_limit=args.request_body_limit,
        redis=not args.no_redis,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Print the URL and an access key (flushed), then serve until interrupted."""
    args = _parser().parse_args(argv)
    emulator = emulator_from(args)
    key = emulator.create_account(args.email, args.name)
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    if (args.ssl_certfile is None) != (args.ssl_keyfile is None):
        print("--ssl-certfile and --ssl-keyfile go together", file=sys.stderr)
        sock.close()
        return 2
    url = base_url(args.host, sock.getsockname()[1], https=args.ssl_certfile is not None)
    print(f"CodePush emulator ({args.dialect}) listening on {url}", flush=True)
    print(f"Account: {args.email}", flush=True)
    print(f"Access key: {key}", flush=True)
    if args.dialect == "v1":
        print(f"API base: {url}/api/v1", flush=True)
    server = make_server(
        emulator.app,
        log_level=args.log_level,
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
    )
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
