"""The package's modules import one another without a circle.

grimp reads every import, those under ``TYPE_CHECKING`` and inside functions included.
This complements ``lint-imports`` (pyproject.toml), whose contracts compare packages and
siblings: here a package and its own modules count as well.
"""

from __future__ import annotations

import graphlib

import grimp
import pytest

# Imports that close a circle today; the layout work of issue 19 removes them, and each
# must then leave this list (test_known_circle_imports_still_exist says which).
KNOWN_CIRCLE_IMPORTS = {
    ("codepush_async._models.converter", "codepush_async._exceptions"),
    ("codepush_async._models.export", "codepush_async._models.converter"),
    ("codepush_async.lib.bulk", "codepush_async._client"),
    ("codepush_async.lib.rollouts", "codepush_async._client"),
}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("codepush_async", cache_dir=None)


def _imports(graph: grimp.ImportGraph) -> dict[str, set[str]]:
    return {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}


def test_no_module_imports_itself_back(graph: grimp.ImportGraph) -> None:
    imports = _imports(graph)
    assert len(imports) > 50  # the whole package was read
    for importer, imported in KNOWN_CIRCLE_IMPORTS:
        imports[importer].discard(imported)
    try:
        graphlib.TopologicalSorter(imports).prepare()
    except graphlib.CycleError as error:
        pytest.fail(f"import circle: {' -> '.join(error.args[1])}")


def test_known_circle_imports_still_exist(graph: grimp.ImportGraph) -> None:
    gone = {edge for edge in KNOWN_CIRCLE_IMPORTS if not graph.direct_import_exists(
        importer=edge[0], imported=edge[1])}
    assert gone == set(), "no longer imported: drop them from KNOWN_CIRCLE_IMPORTS"

