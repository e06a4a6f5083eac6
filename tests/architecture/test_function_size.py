"""The request loop, the sub-clients and the automation wings keep their functions short.

A function of more than 60 lines (its ``def`` to its last line) in ``_core``, ``_client``,
``_resources``, ``lib`` or ``cli`` is to be split into smaller ones with one job each.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import codepush_async

PACKAGE = Path(codepush_async.__file__).parent
CHECKED = ["_core", "_client.py", "_resources", "lib", "cli"]
MAX_LINES = 60



def _functions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, int]]:
    """Each function's dotted name (``Class.method``) and length in lines, nested ones too."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            assert node.end_lineno is not None
            yield f"{prefix}{node.name}", node.end_lineno - node.lineno + 1
            yield from _functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{prefix}{node.name}.")
        else:
            yield from _functions(node, prefix)


def _lengths() -> dict[str, int]:
    lengths = {}
    for name in CHECKED:
        root = PACKAGE / name
        for path in [root] if root.is_file() else sorted(root.rglob("*.py")):
            where = path.relative_to(PACKAGE).as_posix()
            for function, lines in _functions(ast.parse(path.read_text("utf-8"))):
                lengths[f"{where}::{function}"] = lines
    return lengths


def test_no_function_is_longer_than_sixty_lines() -> None:
    lengths = _lengths()
    assert len(lengths) > 100  # the files were read
    too_long = {name: lines for name, lines in lengths.items() if lines > MAX_LINES}
    assert too_long == {}


def test_a_long_function_is_measured_from_def_to_its_last_line() -> None:
    source = "class A:\n    def f(self):\n" + "        x = 1\n" * 60 + "\n    def g(self): pass\n"
    assert dict(_functions(ast.parse(source))) == {"A.f": 61, "A.g": 1}
