"""Developer and CI sessions: ``nox`` runs tests, lint, typecheck, package and integration."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck", "package", "integration"]
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.error_on_missing_interpreters = True

PYPROJECT = nox.project.load_toml("pyproject.toml")


def _group(name: str) -> list[str]:
    return list(nox.project.dependency_groups(PYPROJECT, name))


@nox.session
def tests(session: nox.Session) -> None:
    """The unit, wire, emulator and contract test suite."""
    session.install("-e", ".[emulator]", *_group("test"))
    session.run("pytest", "--ignore=tests/integration", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff over the package, tests, examples and benchmarks."""
    session.install(*_group("lint"))
    session.run("ruff", "check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the package (the emulator included) and the examples."""
    session.install("-e", ".[emulator]", *_group("typecheck"))
    session.run("mypy", "--strict", "codepush_async", "examples")


@nox.session
def integration(session: nox.Session) -> None:
    """The SDK against a real community server (npm code-push-server 5.7.1 + MariaDB).

    Installs MariaDB (apt-get, as root) and the npm package when missing, starts both on
    127.0.0.1 in a temp folder and stops them by PID, even when tests fail.
    """
    session.install("-e", ".[emulator]", *_group("test"))
    session.log("starting MariaDB and code-push-server@5.7.1 (installed first when missing)")
    session.run("pytest", "tests/integration", *session.posargs, env={"CODEPUSH_COMMUNITY": "1"})


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
                       "tests/test_quickstart.py", "README.md"):
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
