"""The plugin's fixtures under every async test runner, each in a sub-project of its own.

pytester runs the docs' complete test file under pytest-asyncio (strict and auto mode),
under anyio's plugin, and with both plugins installed, each with warnings as errors.
"""

from __future__ import annotations

from pathlib import Path

import pytest

# The docs show it in full on the emulator page.
TEST_FILE = Path(__file__).resolve().parents[2] / "docs" / "snippets" / "emulator_pytest_plugin.py"


def docs_test_file() -> str:
    """The docs' example test file (it starts ``# test_releases.py``)."""
    source = TEST_FILE.read_text()
    assert source.startswith("# test_releases.py\n")
    return source


def _as_anyio(source: str) -> str:
    return source.replace("@pytest.mark.asyncio", "@pytest.mark.anyio")


ANYIO_CONFTEST = """
import pytest

@pytest.fixture
def anyio_backend():
    return "asyncio"
"""

PYTEST_ASYNCIO_INI = """
[pytest]
asyncio_mode = {mode}
asyncio_default_fixture_loop_scope = function
filterwarnings = error
"""


def _outcome(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", *args)


def test_pytest_asyncio_strict_mode(pytester: pytest.Pytester) -> None:
    pytester.makeini(PYTEST_ASYNCIO_INI.format(mode="strict"))
    pytester.makepyfile(test_releases=docs_test_file())
    result = _outcome(pytester, "-p", "no:anyio")
    result.assert_outcomes(passed=2)


def test_pytest_asyncio_auto_mode(pytester: pytest.Pytester) -> None:
    pytester.makeini(PYTEST_ASYNCIO_INI.format(mode="auto"))
    unmarked = docs_test_file().replace("@pytest.mark.asyncio\n", "")
    assert "mark" not in unmarked
    pytester.makepyfile(test_releases=unmarked)
    result = _outcome(pytester, "-p", "no:anyio")
    result.assert_outcomes(passed=2)


def test_pytest_asyncio_with_one_loop_per_module(pytester: pytest.Pytester) -> None:
    """Each test gets its own client, bound to the shared loop and closed on another."""
    pytester.makeini(
        PYTEST_ASYNCIO_INI.format(mode="strict") + "asyncio_default_test_loop_scope = module\n"
    )
    pytester.makepyfile(test_releases=docs_test_file())
    result = _outcome(pytester, "-p", "no:anyio")
    result.assert_outcomes(passed=2)


def test_anyio_plugin(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    pytester.makeconftest(ANYIO_CONFTEST)
    pytester.makepyfile(test_releases=_as_anyio(docs_test_file()))
    result = _outcome(pytester, "-p", "no:asyncio")
    result.assert_outcomes(passed=2)


def test_both_plugins_installed(pytester: pytest.Pytester) -> None:
    pytester.makeini(PYTEST_ASYNCIO_INI.format(mode="strict"))
    pytester.makeconftest(ANYIO_CONFTEST)
    pytester.makepyfile(
        test_with_asyncio=docs_test_file(), test_with_anyio=_as_anyio(docs_test_file())
    )
    result = _outcome(pytester)
    result.assert_outcomes(passed=4)

