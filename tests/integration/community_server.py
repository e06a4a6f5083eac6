"""A real community CodePush server (npm ``code-push-server@5.7.1``) on a private MariaDB.

``with community_server() as server:`` installs what is missing (MariaDB from Debian, the
npm package into a reusable cache folder), starts both on free 127.0.0.1 ports in a fresh
temp folder and yields the URL and an access key; on exit (errors and Ctrl-C included) it
stops both by PID and removes the folder. ``python -m tests.integration.community_server``
starts one by hand and waits for Ctrl-C. Only the stdlib and httpx are used.

Environment: ``CODEPUSH_COMMUNITY_DIR`` (where the npm package is cached, default
``~/.cache/codepush-async/community-server``); ``CODEPUSH_COMMUNITY_KEEP=1`` keeps the
work folder (logs, database) after the end, for debugging.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any

import httpx

__all__ = [
    "ADMIN_ACCOUNT",
    "ADMIN_EMAIL",
    "ADMIN_PASSWORD",
    "PACKAGE",
    "CommunityServer",
    "CommunityServerError",
    "community_server",
    "default_install_dir",
]

PACKAGE_VERSION = "5.7.1"
PACKAGE = f"code-push-server@{PACKAGE_VERSION}"
HOST = "127.0.0.1"
ADMIN_ACCOUNT = "admin"
ADMIN_PASSWORD = "123456"
ADMIN_EMAIL = "lisong2010@gmail.com"  # the default account seeded by `code-push-server-db init`
DB_NAME = "codepush"
KEY_TTL_MS = 30 * 24 * 3600 * 1000  # without a ttl the server makes a key that is born expired
START_TIMEOUT = 60.0
_SAFE_SQL_VALUE = re.compile(r"[A-Za-z0-9._%+@-]{1,100}")

logger = logging.getLogger(__name__)


class CommunityServerError(RuntimeError):
    """The community server or its database could not be installed or started."""


@dataclass(frozen=True)
class CommunityServer:
    """A running server: where it listens, an admin access key and what to stop."""

    url: str
    access_key: str
    server_pid: int
    db_pid: int
    db_port: int
    workdir: Path
    install_dir: Path
    admin_email: str = ADMIN_EMAIL
    timings: Mapping[str, float] = field(default_factory=dict)
    server_process: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)

    def is_alive(self) -> bool:
        """Whether the server still runs: some inputs crash it (see ``server_log``)."""
        return self.server_process is None or self.server_process.poll() is None

    def server_log(self, lines: int = 40) -> str:
        """The end of the server's output (its crashes end up there)."""
        return _tail(self.workdir / "server.log", lines)

    def sql(self, statement: str) -> str:
        """Run SQL as root in the server's database; its tab-separated output (tests only)."""
        return _run(
            [
                _tool("mariadb"),
                "--no-defaults",
                "--protocol=tcp",
                f"-h{HOST}",
                f"-P{self.db_port}",
                "-uroot",
                "--batch",
                "--skip-column-names",
                DB_NAME,
                "-e",
                statement,
            ],
            what="mariadb query",
        )

    def add_account(self, email: str, username: str | None = None) -> None:
        """Register another account straight in the database (sign-up needs mail and redis).

        It gets admin's password; collaborator and transfer tests need a second account.
        """
        username = username or email.split("@", 1)[0]
        for value in (email, username):
            if not _SAFE_SQL_VALUE.fullmatch(value):
                raise ValueError(f"unsafe value for the users table: {value!r}")
        identical = secrets.token_hex(5)[:9]  # the unique per-user id baked into its keys
        ack_code = secrets.token_hex(3)[:5]
        cols = "username, password, email, identical, ack_code, created_at"
        values = f"'{username}', password, '{email}', '{identical}', '{ack_code}', NOW()"
        # Every value is checked above or made here, so this text is safe SQL.
        stmt = f"INSERT INTO users ({cols}) SELECT {values} FROM users WHERE id = 1"  # noqa: S608
        self.sql(stmt)

    def create_access_key(
        self, account: str = ADMIN_ACCOUNT, password: str = ADMIN_PASSWORD
    ) -> str:
        """A new access key for ``account`` (user name or e-mail), e.g. one from ``add_account``."""
        return _create_access_key(self.url, account, password)


def default_install_dir() -> Path:
    """Where the npm package is cached: ``$CODEPUSH_COMMUNITY_DIR`` or the user cache."""
    configured = os.environ.get("CODEPUSH_COMMUNITY_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "codepush-async" / "community-server"


Say = Callable[[str], None]


def _log(message: str) -> None:
    logger.info("%s", message)


class _Timer:
    """Wall-clock seconds per named step, told (``say``) as each one starts and ends."""

    def __init__(self, say: Say = _log) -> None:
        self.steps: dict[str, float] = {}
        self.say = say

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        self.say(f"community server: {name} ...")
        started = time.monotonic()
        try:
            yield
        finally:
            self.steps[name] = round(time.monotonic() - started, 3)
            self.say(f"community server: {name} took {self.steps[name]:.2f}s")


def _tool(name: str, *fallbacks: str) -> str:
    """The full path of a program (``/usr/sbin`` is often not on a user's PATH)."""
    found = shutil.which(name)
    if found:
        return found
    for candidate in (*fallbacks, f"/usr/sbin/{name}", f"/usr/bin/{name}"):
        if os.access(candidate, os.X_OK):
            return candidate
    raise CommunityServerError(f"{name} not found on PATH")


def _has_tool(name: str) -> bool:
    try:
        _tool(name)
    except CommunityServerError:
        return False
    return True


def _run(
    cmd: Sequence[str],
    *,
    what: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 120.0,
) -> str:
    """Run a command to completion; its output, or an error that quotes it."""
    try:
        done = subprocess.run(  # noqa: S603 - fixed argv built here, no shell
            list(cmd),
            cwd=cwd,
            env=None if env is None else dict(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise CommunityServerError(f"{what}: no result after {timeout:.0f}s") from error
    if done.returncode != 0:
        raise CommunityServerError(
            f"{what} failed ({done.returncode}): {' '.join(cmd)}\n{done.stdout}{done.stderr}"
        )
    return done.stdout


def _ensure_mariadb(say: Say = _log) -> None:
    """Install ``mariadb-server`` from Debian when its programs are missing (root only)."""
    if all(_has_tool(t) for t in ("mariadbd", "mariadb-install-db", "mariadb-admin", "mariadb")):
        say("community server: MariaDB is installed")
        return
    if os.geteuid() != 0:
        raise CommunityServerError(
            "MariaDB is missing: run `apt-get update && apt-get install -y mariadb-server`"
        )
    say("community server: MariaDB is missing: apt-get install mariadb-server (about 30 s)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    apt = _tool("apt-get")
    try:
        _run([apt, "install", "-y", "mariadb-server"], what="apt-get install", env=env, timeout=900)
    except CommunityServerError:
        # A fresh image has no package lists yet.
        say("community server: no package lists yet: apt-get update, then install again")
        _run([apt, "update"], what="apt-get update", env=env, timeout=300)
        _run([apt, "install", "-y", "mariadb-server"], what="apt-get install", env=env, timeout=900)


def _ensure_package(install_dir: Path, say: Say = _log) -> Path:
    """The installed package's folder, ``npm install``-ing it once into ``install_dir``.

    A marker written after a complete install makes later runs reuse it; a file lock
    keeps parallel test processes from installing at the same time.
    """
    package_dir = install_dir / "node_modules" / "code-push-server"
    marker = install_dir / f".installed-{PACKAGE_VERSION}"
    if marker.exists() and (package_dir / "bin" / "www").exists():
        say(f"community server: {PACKAGE} is installed in {install_dir}")
        return package_dir
    install_dir.mkdir(parents=True, exist_ok=True)
    with (install_dir / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists() and (package_dir / "bin" / "www").exists():
            return package_dir
        say(f"community server: npm install {PACKAGE} into {install_dir} (first run only)")
        manifest = install_dir / "package.json"
        if not manifest.exists():
            # Keeps npm from walking up into some parent project.
            manifest.write_text(json.dumps({"name": "codepush-community-server", "private": True}))
        _run(
            [
                _tool("npm"),
                "install",
                PACKAGE,
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
            ],
            what="npm install",
            cwd=install_dir,
            timeout=900,
        )
        if not (package_dir / "bin" / "www").exists():
            raise CommunityServerError(f"npm install left no {package_dir / 'bin' / 'www'}")
        marker.write_text(PACKAGE + "\n")
    return package_dir


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class _Running:
    """A background process with its log, and how long it may take to stop."""

    name: str
    proc: subprocess.Popen[bytes]
    out: IO[bytes]
    log: Path
    grace: float


class _Processes:
    """The background processes started so far, stopped newest first."""

    def __init__(self) -> None:
        self._running: list[_Running] = []

    def start(
        self,
        name: str,
        cmd: Sequence[str],
        *,
        log: Path,
        grace: float,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.Popen[bytes]:
        out = log.open("ab")
        try:
            # A session of its own: a terminal's Ctrl-C reaches only us, and we stop it.
            proc = subprocess.Popen(  # noqa: S603 - fixed argv built here, no shell
                list(cmd),
                cwd=cwd,
                env=None if env is None else dict(env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except BaseException:
            out.close()
            raise
        self._running.append(_Running(name, proc, out, log, grace))
        return proc

    def discard(self, proc: subprocess.Popen[bytes]) -> None:
        """Stop a process that failed to start (its log is already in the error)."""
        for running in list(self._running):
            if running.proc is proc:
                self._running.remove(running)
                _stop(running, report_death=False)

    def stop_all(self) -> None:
        while self._running:
            _stop(self._running.pop())


def _stop(running: _Running, *, report_death: bool = True) -> None:
    """Terminate, wait up to its grace period, then kill; always reap and close the log.

    A process that died on its own (the server crashes on some inputs) is reported
    with the end of its log, since the work folder goes away with it.
    """
    proc = running.proc
    try:
        if proc.poll() is not None:
            if report_death:
                logger.warning(
                    "community server: %s (pid %d) had died (exit %s) before the end:\n%s",
                    running.name,
                    proc.pid,
                    proc.returncode,
                    _tail(running.log, 40),
                )
            return
        proc.terminate()
        try:
            proc.wait(running.grace)
        except subprocess.TimeoutExpired:
            logger.warning(
                "community server: %s (pid %d) ignored SIGTERM; killing it", running.name, proc.pid
            )
            proc.kill()
            proc.wait()
    except BaseException:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        raise
    finally:
        running.out.close()


def _wait_for(
    what: str,
    ready: Callable[[], bool],
    proc: subprocess.Popen[bytes],
    log: Path,
    timeout: float = START_TIMEOUT,
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise CommunityServerError(
                f"{what}: process exited with {proc.returncode}\n{_tail(log)}"
            )
        if ready():
            return
        if time.monotonic() > deadline:
            raise CommunityServerError(f"{what}: not ready after {timeout:.0f}s\n{_tail(log)}")
        time.sleep(0.1)


def _mariadb_config(work: Path, port: int) -> Path:
    lines = [
        "[mysqld]",
        f"datadir={work / 'db'}",
        f"socket={work / 'mariadb.sock'}",
        f"pid-file={work / 'mariadb.pid'}",
        f"log-error={work / 'mariadb.err'}",
        f"tmpdir={work / 'tmp'}",
        f"port={port}",
        f"bind-address={HOST}",
        "skip-name-resolve",
        "skip-log-bin",
        "performance_schema=OFF",
        # A throwaway database: trade durability for speed.
        "innodb_buffer_pool_size=64M",
        "innodb_log_file_size=16M",
        "innodb_flush_log_at_trx_commit=0",
        "innodb_doublewrite=0",
        "sync_binlog=0",
    ]
    if os.geteuid() == 0:
        lines.append("user=root")
    cnf = work / "my.cnf"
    cnf.write_text("\n".join(lines) + "\n")
    return cnf


def _db_ping(port: int) -> Callable[[], bool]:
    cmd = [
        _tool("mariadb-admin"),
        "--no-defaults",
        "--protocol=tcp",
        f"-h{HOST}",
        f"-P{port}",
        "-uroot",
        "--connect-timeout=2",
        "ping",
    ]

    def ping() -> bool:
        done = subprocess.run(cmd, capture_output=True, check=False, timeout=10)  # noqa: S603
        return done.returncode == 0

    return ping


def _http_ready(url: str) -> Callable[[], bool]:
    def ready() -> bool:
        try:
            httpx.get(url + "/", timeout=2, trust_env=False)
        except httpx.HTTPError:
            return False
        return True

    return ready


def _start_database(procs: _Processes, work: Path, timer: _Timer) -> tuple[int, int]:
    """Initialise and start a private mariadbd; its (pid, port)."""
    for folder in ("db", "tmp"):
        (work / folder).mkdir()
    with timer.step("mariadb-install-db"):
        cnf = _mariadb_config(work, _free_port())
        _run(
            [
                _tool("mariadb-install-db"),
                f"--defaults-file={cnf}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ],
            what="mariadb-install-db",
            timeout=120,
        )
    with timer.step("mariadbd start"):
        for attempt in range(3):
            port = _free_port()  # a new one per attempt, in case another process took it
            cnf = _mariadb_config(work, port)
            proc = procs.start(
                "mariadbd",
                [_tool("mariadbd"), f"--defaults-file={cnf}"],
                log=work / "mariadbd.log",
                grace=20,
            )
            try:
                _wait_for("mariadbd", _db_ping(port), proc, work / "mariadb.err")
            except CommunityServerError:
                procs.discard(proc)
                if attempt == 2:
                    raise
                continue
            return proc.pid, port
    raise AssertionError("unreachable")


def _server_env(package_dir: Path, work: Path, port: int, db_port: int) -> dict[str, str]:
    for folder in ("storage", "data", "node-tmp"):
        (work / folder).mkdir(exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(work)),
        "LANG": "C.UTF-8",
        "NODE_ENV": "production",
        "HOST": HOST,  # without it the server listens on 0.0.0.0
        "PORT": str(port),
        "RDS_HOST": HOST,
        "RDS_PORT": str(db_port),
        "RDS_USERNAME": "root",
        "DATA_BASE": DB_NAME,
        "STORAGE_TYPE": "local",
        "STORAGE_DIR": str(work / "storage"),
        "LOCAL_DOWNLOAD_URL": f"http://{HOST}:{port}/download",
        "DATA_DIR": str(work / "data"),
        "TMPDIR": str(work / "node-tmp"),
        "TOKEN_SECRET": secrets.token_hex(32),
    }


def _start_server(
    procs: _Processes, package_dir: Path, work: Path, db_port: int, timer: _Timer
) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``bin/www`` on a free port; its process and url."""
    with timer.step("server start"):
        for attempt in range(3):
            port = _free_port()
            url = f"http://{HOST}:{port}"
            proc = procs.start(
                "code-push-server",
                [_tool("node"), str(package_dir / "bin" / "www")],
                cwd=package_dir,
                env=_server_env(package_dir, work, port, db_port),
                log=work / "server.log",
                grace=10,
            )
            try:
                _wait_for("code-push-server", _http_ready(url), proc, work / "server.log")
            except CommunityServerError:
                procs.discard(proc)
                if attempt == 2:
                    raise
                continue
            return proc, url
    raise AssertionError("unreachable")


def _create_access_key(
    url: str, account: str = ADMIN_ACCOUNT, password: str = ADMIN_PASSWORD
) -> str:
    """Log in and create an access key (always with a ttl: without one it is born expired)."""
    with httpx.Client(base_url=url, timeout=30, trust_env=False) as http:
        login = http.post("/auth/login", json={"account": account, "password": password})
        body: Any = login.json() if login.is_success else None
        token = body.get("results", {}).get("tokens") if isinstance(body, dict) else None
        if not isinstance(token, str):  # a failed login is a 200 {"status": "ERROR", ...}
            raise CommunityServerError(
                f"login as {account} failed: {login.status_code} {login.text}"
            )
        created = http.post(
            "/accessKeys",
            headers={"Authorization": f"Bearer {token}"},
            json={
                "friendlyName": f"harness-{secrets.token_hex(4)}",
                "createdBy": "harness",
                "ttl": KEY_TTL_MS,
            },
        )
        key = created.json().get("accessKey", {}).get("name") if created.is_success else None
        if not isinstance(key, str):
            raise CommunityServerError(
                f"access key creation failed: {created.status_code} {created.text}"
            )
        return key


@contextlib.contextmanager
def community_server(
    install_dir: Path | None = None, *, say: Say = _log
) -> Iterator[CommunityServer]:
    """Start a community server on 127.0.0.1 for the ``with`` block, then stop and clean up.

    ``install_dir`` (default: ``default_install_dir()``) caches the npm package; ``say``
    is told each step as it starts and ends (the installs can take a minute).
    """
    timer = _Timer(say)
    install_dir = install_dir or default_install_dir()
    with timer.step("install mariadb (if missing)"):
        _ensure_mariadb(say)
    with timer.step("install npm package (if missing)"):
        package_dir = _ensure_package(install_dir, say)
    procs = _Processes()
    work = Path(tempfile.mkdtemp(prefix="codepush-community-"))
    try:
        started = time.monotonic()
        db_pid, db_port = _start_database(procs, work, timer)
        with timer.step("schema init"):
            out = _run(
                [
                    _tool("node"),
                    str(package_dir / "bin" / "db"),
                    "init",
                    "--dbhost",
                    HOST,
                    "--dbport",
                    str(db_port),
                    "--dbuser",
                    "root",
                    "--dbname",
                    DB_NAME,
                ],
                what="code-push-server-db init",
                cwd=package_dir,
                timeout=60,
            )
            if "success" not in out:  # it prints the error and still exits 0
                raise CommunityServerError(f"code-push-server-db init failed:\n{out}")
        server, url = _start_server(procs, package_dir, work, db_port, timer)
        with timer.step("login + access key"):
            key = _create_access_key(url)
        timer.steps["start total"] = round(time.monotonic() - started, 3)
        say(f"community server: ready at {url} (started in {timer.steps['start total']:.1f}s)")
        yield CommunityServer(
            url=url,
            access_key=key,
            server_pid=server.pid,
            db_pid=db_pid,
            db_port=db_port,
            workdir=work,
            install_dir=install_dir,
            timings=timer.steps,
            server_process=server,
        )
    finally:
        with timer.step("stop"):
            try:
                procs.stop_all()
            finally:
                if os.environ.get("CODEPUSH_COMMUNITY_KEEP") == "1":
                    logger.warning("community server: kept the work folder %s", work)
                else:
                    shutil.rmtree(work, ignore_errors=True)


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> int:
    """Start a server, print how to reach it, and wait for Ctrl-C (or SIGTERM)."""
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with it ignored
    try:
        with community_server() as server:
            print(f"CODEPUSH_SERVER_URL={server.url}", flush=True)
            print(f"CODEPUSH_ACCESS_KEY={server.access_key}", flush=True)
            print(
                f"server pid {server.server_pid}, mariadbd pid {server.db_pid} "
                f"(port {server.db_port}), work folder {server.workdir}",
                flush=True,
            )
            print("timings (s): " + json.dumps(server.timings), flush=True)
            print("Press Ctrl-C to stop.", flush=True)
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
