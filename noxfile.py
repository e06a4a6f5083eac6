"""Developer and CI sessions: ``nox`` runs tests, lint, typecheck, package and integration."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "typecheck", "docs", "package", "integration", "official"]
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.error_on_missing_interpreters = True

PYPROJECT = nox.project.load_toml("pyproject.toml")


def _group(name: str) -> list[str]:
    return list(nox.project.dependency_groups(PYPROJECT, name))


@nox.session
@nox.parametrize("backend", ["httpx", "httpx2", "aiohttp"])
def tests(session: nox.Session, backend: str) -> None:
    """The unit, wire, emulator and contract test suite, on each HTTP backend.

    Clients without a transport run on ``backend``; the in-process ones on httpx (httpx2 in
    the httpx2 session): aiohttp has no in-process transport.
    """
    extras = "emulator,cli" if backend == "httpx" else f"emulator,cli,{backend}"
    session.install("-e", f".[{extras}]", *_group("test"))
    session.run(
        "pytest",
        "--ignore=tests/integration",
        *session.posargs,
        env={"CODEPUSH_TEST_BACKEND": backend},
    )


@nox.session
def lint(session: nox.Session) -> None:
    """ruff over the package, tests, examples and benchmarks; lint-imports over the layers."""
    session.install(*_group("lint"))
    session.run("ruff", "check", ".")
    session.run("lint-imports")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the package (the emulator included) and the examples."""
    session.install("-e", ".[emulator,cli]", *_group("typecheck"))
    session.run("mypy", "--strict", "codepush_async", "examples")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the docs site strictly (a broken link or reference fails) into a temp folder."""
    import tempfile

    session.install(*_group("docs"))
    with tempfile.TemporaryDirectory(prefix="codepush-docs-") as site:
        session.run("mkdocs", "build", "--strict", "--site-dir", site,
                    env={"NO_MKDOCS_2_WARNING": "1"})


@nox.session
def mutate(session: nox.Session) -> None:
    """Mutation testing (mutmut) of the core client modules; slow, not run by default.

    ``nox -s mutate -- _core.retry _wire.codec --max-children 2``: only those modules, 2
    workers.
    """
    session.install("-e", ".[emulator]", *_group("mutate"))
    session.run("python", "tools/mutate.py", *session.posargs)


@nox.session
def integration(session: nox.Session) -> None:
    """The SDK against a real community server (npm code-push-server 5.7.1 + MariaDB).

    Installs MariaDB (apt-get, as root) and the npm package when missing, starts both on
    127.0.0.1 in a temp folder and stops them by PID, even when tests fail.
    """
    session.install("-e", ".[emulator]", *_group("test"))
    session.log("starting MariaDB and code-push-server@5.7.1 (installed first when missing)")
    session.run("pytest", "tests/integration", *session.posargs, env={"CODEPUSH_COMMUNITY": "1"})


OFFICIAL_SCRIPT = Path(__file__).resolve().parent.parent / "shared" / "tools" / "official-server.sh"
OFFICIAL_SOURCE = "code-push-server-ff1d84c.tar.gz"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_official(
    session: nox.Session, workdir: str, *, unique_tempfile: bool, redis: bool = False
) -> dict[str, str]:
    """Start a fresh official server (built once into ``workdir``); its URL, keys, e-mails.

    ``redis``: with Redis beside it (device reports become metrics, answers are cached) and
    blob URLs that download the packages as released (the script's ``OFFICIAL_REDIS=1
    OFFICIAL_BLOB_URLS=1``).
    """
    env = {"OFFICIAL_UNIQUE_TEMPFILE": "1"} if unique_tempfile else {}
    if redis:
        env |= {"OFFICIAL_REDIS": "1", "OFFICIAL_BLOB_URLS": "1"}
    out = session.run(
        "bash", str(OFFICIAL_SCRIPT), "start", workdir, str(_free_port()),
        external=True, silent=True, env=env,
    )
    state = dict(line.split("=", 1) for line in str(out).splitlines() if "=" in line)
    with_redis = f", Redis at {state['REDIS']}" if state.get("REDIS") else ""
    session.log(f"official server {state.get('COMMIT', '?')[:7]} at {state['URL']}{with_redis}")
    return state


def _official_missing() -> str | None:
    if not OFFICIAL_SCRIPT.is_file():
        return f"no {OFFICIAL_SCRIPT} (the official server's source and script sit in ../shared)"
    if not (OFFICIAL_SCRIPT.parent / OFFICIAL_SOURCE).is_file() and not any(
        os.environ.get(name) for name in ("OFFICIAL_TARBALL", "OFFICIAL_MIRROR")
    ):
        return f"no {OFFICIAL_SOURCE} beside {OFFICIAL_SCRIPT} (the official server's source)"
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node and npm are needed to build the official server"
    return None


def _redis_missing() -> str | None:
    for tool in ("redis-server", "openssl"):
        if shutil.which(tool) is None:
            return f"{tool} is needed for the official server's Redis (apt-get install {tool})"
    return None


def _ensure_redis(session: nox.Session) -> bool:
    """redis-server (apt-get, as root, when missing): True when present; CI fails without it."""
    missing = _redis_missing()
    if missing is not None and os.geteuid() == 0:
        session.run("apt-get", "update", "-qq", external=True)
        session.run("apt-get", "install", "-y", "-qq", "redis-server", "openssl", external=True)
        missing = _redis_missing()
    if missing is not None:
        if os.environ.get("CI") == "true":
            session.error(f"CI needs the official server with Redis: {missing}")
        session.warn(f"not running the device scenarios on the official server: {missing}")
    return missing is None


@nox.session
def official(session: nox.Session) -> None:
    """The SDK against the official microsoft/code-push-server (JsonStorage; Redis for devices).

    ``../shared/tools/official-server.sh`` builds it from its source snapshot (npm registry)
    into ``$OFFICIAL_DIR`` (default ``~/.cache/codepush-async/official-server``) and starts
    it on 127.0.0.1: the contract suite and the quickstart run with its test-rig switch
    ``OFFICIAL_UNIQUE_TEMPFILE=1`` (deterministic results), the device scenarios on a server
    of their own with Redis (``redis-server``, installed with apt-get when missing, as root)
    and working blob URLs, the upload race test without the switch (the real server).
    Stopped by PID even when tests fail. Without the source it skips; in CI (``CI=true``) it
    fails instead, as it does without Redis.
    """
    missing = _official_missing()
    if missing is not None and os.geteuid() == 0 and OFFICIAL_SCRIPT.is_file():
        session.run("apt-get", "update", "-qq", external=True)
        session.run("apt-get", "install", "-y", "-qq", "nodejs", "npm", external=True)
        missing = _official_missing()
    if missing is not None:
        if os.environ.get("CI") == "true":
            session.error(f"CI needs the official server: {missing}")
        session.skip(missing)
    session.install("-e", ".[emulator]", *_group("test"))
    workdir = os.environ.get("OFFICIAL_DIR") or str(
        Path.home() / ".cache" / "codepush-async" / "official-server"
    )
    # The scenarios that take a target (the rest of tests/contract is emulator-only).
    scenarios = sorted(
        str(path)
        for path in Path("tests/contract").glob("test_*.py")
        if "target: Target" in path.read_text(encoding="utf-8")
    )
    own = set(_OWN_OFFICIAL_SERVER) | set(_DEVICE_SCENARIOS) | set(_MIGRATION_SCENARIOS)
    # It allows 100 releases per 15 minutes per process: the release-heavy identity
    # scenarios get a server of their own (a restart resets its in-memory limiter), and the
    # device scenarios one with Redis and working blob URLs.
    groups = [
        ([s for s in scenarios if s not in own], "official-json", False),
        (list(_OWN_OFFICIAL_SERVER), "official-json", False),
    ]
    if _ensure_redis(session):
        groups.append(([s for s in _DEVICE_SCENARIOS if Path(s).is_file()], "official-redis", True))
        # Migration onto the server and back (its releases in a rate-limit window of their own).
        groups.append((list(_MIGRATION_SCENARIOS), "official-redis", True))
    try:
        for group, traits, redis in groups:
            server = _start_official(session, workdir, unique_tempfile=True, redis=redis)
            session.run("pytest", *group, *session.posargs, env=_contract_env(server, traits))
        session.run(
            "python", "examples/quickstart.py",
            env={"CODEPUSH_SERVER_URL": server["URL"], "CODEPUSH_ACCESS_KEY": server["KEY"]},
        )
        server = _start_official(session, workdir, unique_tempfile=False)
        race = {"CODEPUSH_OFFICIAL_URL": server["URL"], "CODEPUSH_OFFICIAL_KEY": server["KEY"]}
        session.run("pytest", "tests/official", *session.posargs, env=race)
    finally:
        session.run("bash", str(OFFICIAL_SCRIPT), "stop", workdir, external=True, silent=True)


_OWN_OFFICIAL_SERVER = ("tests/contract/test_identity.py",)
_MIGRATION_SCENARIOS = ("tests/contract/test_migration.py",)
# The device side (update checks, reports, metrics, downloads, rollouts on device metrics).
_DEVICE_SCENARIOS = (
    "tests/contract/test_device_fidelity.py",
    "tests/contract/test_device_probe.py",
    "tests/contract/test_rollouts_on_devices.py",
)


def _contract_env(server: dict[str, str], traits: str) -> dict[str, str]:
    """The variables that point the contract scenarios at a started official server."""
    return {
        "CODEPUSH_TEST_SERVER_URL": server["URL"],
        "CODEPUSH_TEST_ACCESS_KEY": server["KEY"],
        "CODEPUSH_TEST_OTHER_EMAIL": server["EMAIL2"],
        "CODEPUSH_TEST_OTHER_ACCESS_KEY": server["KEY2"],
        "CODEPUSH_TEST_SERVER_TRAITS": traits,
        "CODEPUSH_TEST_TARGETS": "real",
    }


@nox.session
def package(session: nox.Session) -> None:
    """Build the wheel and sdist; smoke-test the wheel installed away from the source tree.

    The wheel goes into fresh venvs in a temp folder (with and without the ``emulator``
    extra) and runs ``tests/packaging/smoke_installed.py`` there (import, license, the
    served emulator, the quickstart round trip); the unpacked sdist runs its own suite.
    """
    import shutil
    import tarfile
    import tempfile
    import zipfile
    from pathlib import Path

    root = Path.cwd().resolve()
    work = Path(tempfile.mkdtemp(prefix="codepush-package-"))
    try:
        # virtualenv makes the venvs (build's too): it needs no ensurepip, which Debian's
        # python3 lacks without the python3-venv package.
        session.install("build", "virtualenv")
        session.log("building the sdist, then the wheel from it")
        session.run("python", "-m", "build", "--outdir", str(work / "dist"))
        (wheel,) = (work / "dist").glob("*.whl")
        (sdist,) = (work / "dist").glob("*.tar.gz")
        wheel_names = set(zipfile.ZipFile(wheel).namelist())
        with tarfile.open(sdist) as archive:
            sdist_names = {name.split("/", 1)[-1] for name in archive.getnames()}
            archive.extractall(work / "sdist", filter="data")
        for needed in ("codepush_async/py.typed", "LICENSE"):
            if not any(n == needed or n.endswith(f".dist-info/licenses/{needed}")
                       for n in wheel_names):
                session.error(f"the wheel lacks {needed}")
        for needed in ("LICENSE", "examples/quickstart.py", "docs/v1-wire.md",
                       "docs/index.md", "docs/snippets/emulator_pytest_plugin.py",
                       "tests/docs/test_quickstart.py", "tests/docs/test_snippets.py",
                       "README.md"):
            if needed not in sdist_names:
                session.error(f"the sdist lacks {needed}")
        for mode, spec in (("with-extra", f"{wheel}[emulator]"), ("without-extra", str(wheel))):
            venv = work / f"venv-{mode}"
            session.log(f"installing the wheel ({mode}) into a fresh venv at {venv}")
            session.run("python", "-m", "virtualenv", "--quiet", str(venv))
            python = str(venv / "bin" / "python")
            session.run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        spec, external=True)
            run_dir = work / f"run-{mode}"
            run_dir.mkdir()
            shutil.copy(root / "tests" / "packaging" / "smoke_installed.py", run_dir)
            shutil.copy(root / "examples" / "quickstart.py", run_dir)
            session.chdir(run_dir)
            session.run(python, "smoke_installed.py", mode, external=True,
                        env={"CODEPUSH_SOURCE_TREE": str(root)})
        (unpacked,) = (work / "sdist").iterdir()
        session.log(f"running the sdist's own suite in {unpacked}")
        session.install(f"{unpacked}[emulator]", *_group("test"))
        session.chdir(unpacked)
        session.run("pytest", "-q", "-p", "no:cacheprovider", "--ignore=tests/integration")
    finally:
        session.chdir(root)
        shutil.rmtree(work, ignore_errors=True)
