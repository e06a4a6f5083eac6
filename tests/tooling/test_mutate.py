"""``nox -s mutate`` (tools/mutate.py): each scored module, its tests and options are real."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
if sys.version_info < (3, 11):  # pragma: no cover
    pytest.importorskip("tomli")


def _load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mutate_tool", ROOT / "tools" / "mutate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


mutate = _load_tool()
SETTINGS: dict[str, Any] = mutate._settings()
SCORED: list[str] = SETTINGS["scored"]
OPTIONS: dict[str, dict[str, Any]] = SETTINGS.get("modules", {})


def _source(module: str) -> Path:
    return ROOT / "codepush_async" / f"{module.replace('.', '/')}.py"


def _defined(tree: ast.AST, prefix: str = "") -> set[str]:
    """The functions of a module by mutmut's option names: ``function`` or ``Class.method``."""
    names = set()
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(f"{prefix}{node.name}")
        elif isinstance(node, ast.ClassDef) and not prefix:
            names |= _defined(node, f"{node.name}.")
    return names


@pytest.mark.parametrize("module", SCORED)
def test_a_scored_module_exists_with_tests_and_the_functions_named(module: str) -> None:
    assert _source(module).is_file()
    config = OPTIONS.get(module, {})
    tests = mutate._tests(module, config, SETTINGS["everywhere"])
    assert [path for path in tests if not (ROOT / path).exists()] == []
    assert set(tests) - set(SETTINGS["everywhere"]), "only the shared tests"
    functions = set(config.get("functions", []))
    assert functions - _defined(ast.parse(_source(module).read_text("utf-8"))) == set()


def test_options_are_only_for_scored_modules() -> None:
    assert set(OPTIONS) - set(SCORED) == set()


def test_a_module_runs_its_layers_folder_and_no_file_twice() -> None:
    everywhere = ["tests/unit/wire/test_arguments.py", "tests/unit/core/test_secrets.py"]
    config = {"also": ["tests/unit/release", "tests/unit/release/test_hashing.py"]}
    assert mutate._tests("_wire.codec", config, everywhere) == [
        "tests/unit/wire", "tests/unit/release", "tests/unit/core/test_secrets.py"]
    assert mutate._tests("lib.bulk", {}, []) == ["tests/unit/lib"]
    assert mutate._tests("_client", {"also": ["tests/unit/core"]}, []) == ["tests/unit/core"]


def test_functions_become_mutmuts_mutant_names() -> None:
    assert mutate._patterns("_core.retry", []) == ["codepush_async._core.retry.*"]
    assert mutate._patterns("_client", ["AsyncCodePush._call", "_check_retry"]) == [
        "codepush_async._client.x\u01c1AsyncCodePush\u01c1_call__mutmut_*",
        "codepush_async._client.x__check_retry__mutmut_*",
    ]
