"""The package's modules import one another without a circle.

grimp reads every import, those under ``TYPE_CHECKING`` and inside functions included.
This complements ``lint-imports`` (pyproject.toml), whose contracts compare packages and
siblings: here a package and its own modules count as well.
"""

from __future__ import annotations

import graphlib

import grimp
import pytest


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("codepush_async", cache_dir=None)


def _imports(graph: grimp.ImportGraph) -> dict[str, set[str]]:
    return {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}


def test_no_module_imports_itself_back(graph: grimp.ImportGraph) -> None:
    imports = _imports(graph)
    assert len(imports) > 50  # the whole package was read
    try:
        graphlib.TopologicalSorter(imports).prepare()
    except graphlib.CycleError as error:
        pytest.fail(f"import circle: {' -> '.join(error.args[1])}")
