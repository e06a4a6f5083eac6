"""What users see of the public names: documented, and exceptions named by their public path."""

from __future__ import annotations

import ast
import importlib
import inspect
import itertools
import traceback
from pathlib import Path

import attrs
import pytest

import codepush_async
from codepush_async import NotFoundError, Package

PUBLIC = [(name, getattr(codepush_async, name)) for name in codepush_async.__all__]
EXCEPTIONS = [value for _, value in PUBLIC
              if isinstance(value, type) and issubclass(value, BaseException)]


def _source_module(name: str) -> str:
    """The module ``codepush_async/__init__.py`` imports ``name`` from."""
    tree = ast.parse(Path(codepush_async.__file__).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and any(a.name == name for a in node.names):
            return f"codepush_async.{node.module}"
    raise AssertionError(f"{name} is not imported by codepush_async/__init__.py")


def _attribute_docstring(module: str, name: str) -> str | None:
    """The string right under ``name = ...`` in ``module`` (what API references show)."""
    body = ast.parse(inspect.getsource(importlib.import_module(module))).body
    for node, after in itertools.pairwise(body):
        targets = node.targets if isinstance(node, ast.Assign) else []
        if any(isinstance(t, ast.Name) and t.id == name for t in targets) and (
            isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
        ):
            return str(after.value.value)
    return None


@pytest.mark.parametrize(("name", "value"), PUBLIC, ids=[name for name, _ in PUBLIC])
def test_every_public_name_has_a_docstring_of_its_own(name: str, value: object) -> None:
    if inspect.isclass(value) or inspect.isfunction(value):
        doc = vars(value).get("__doc__") if inspect.isclass(value) else value.__doc__
    else:  # a value (a version string, a union of types): documented where it is assigned
        doc = _attribute_docstring(_source_module(name), name)
    assert doc is not None, f"{name} has no docstring"
    assert doc.strip(), f"{name} has an empty docstring"


def test_exceptions_show_their_public_path_in_tracebacks() -> None:
    assert len(EXCEPTIONS) >= 25
    assert {cls.__module__ for cls in EXCEPTIONS} == {"codepush_async"}
    try:
        raise NotFoundError("App 'x' does not exist.", 404)
    except NotFoundError as error:
        shown = traceback.format_exception_only(type(error), error)
    assert shown == ["codepush_async.NotFoundError: App 'x' does not exist.\n"]


def test_models_keep_their_defining_module() -> None:
    """cattrs reads an attrs model's string annotations through its ``__module__``."""
    models = [value for _, value in PUBLIC if attrs.has(value)]
    assert models
    assert all(cls.__module__.startswith("codepush_async.") for cls in models)
    assert Package.__module__ == "codepush_async._models.entities"
