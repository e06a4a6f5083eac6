"""Developer and CI sessions: ``nox`` runs tests, lint and typecheck."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck", "integration"]
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
    session.run("pytest", "tests/integration", *session.posargs, env={"CODEPUSH_COMMUNITY": "1"})
