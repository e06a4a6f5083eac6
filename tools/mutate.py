"""Mutation testing of the core client modules with mutmut, one module at a time.

Each module is mutated in a work folder of its own (``build/mutate/<module>``) and its
mutants run only against the tests of its layer's folder (``_core.retry``:
``tests/unit/core/``) and those ``[tool.codepush-async.mutate]`` in pyproject.toml adds,
so a run stays affordable on a small machine. Prints the score per module and names every
surviving mutant (``cd build/mutate/<module> && mutmut show <name>`` shows its diff).

Usage: ``python tools/mutate.py [MODULE ...] [--max-children N]`` (``nox -s mutate``); a
module is named by its dotted path in the package (``_core.retry``, ``lib.rollouts``).
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "codepush_async"
WORK = ROOT / "build" / "mutate"
KILLED = ("killed", "timeout", "caught by type check")
_RESULT = re.compile(r"^\s*(\S+): (.+?)\s*$")


def _settings() -> dict[str, Any]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    settings: dict[str, Any] = pyproject["tool"]["codepush-async"]["mutate"]
    return settings


def _layer_tests(module: str) -> list[str]:
    """The test folder mirroring the module's layer (``_core.retry``: ``tests/unit/core``)."""
    folder = f"tests/unit/{module.split('.')[0].lstrip('_')}"
    return [folder] if (ROOT / folder).is_dir() else []


def _tests(module: str, config: dict[str, Any], everywhere: list[str]) -> list[str]:
    """The layer's folder, the module's ``also`` and ``everywhere``, none inside another."""
    chosen = list(dict.fromkeys([*_layer_tests(module), *config.get("also", []), *everywhere]))
    folders = [path for path in chosen if (ROOT / path).is_dir()]
    return [path for path in chosen
            if not any(path.startswith(f"{folder}/") for folder in folders)]


def _patterns(module: str, functions: list[str]) -> list[str]:
    """mutmut's names for the mutants of ``functions`` (``Class.method`` or ``function``)."""
    prefix = f"{PACKAGE}.{module}."
    if not functions:
        return [f"{prefix}*"]
    names = []
    for function in functions:
        owner, _, name = function.rpartition(".")
        mangled = f"xǁ{owner}ǁ{name}" if owner else f"x_{name}"
        names.append(f"{prefix}{mangled}__mutmut_*")
    return names


def _prepare(module: str, tests: list[str], deselect: list[str]) -> Path:
    """A fresh copy of the package, the tests and pyproject.toml set up for ``module``
    (``deselect``: test ids left out, for tests that cannot pass on mutmut's copy)."""
    work = WORK / module
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / PACKAGE, work / PACKAGE, ignore=ignore)
    shutil.copytree(ROOT / "tests", work / "tests", ignore=ignore)
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    header = "[tool.mutmut]\n"
    if header not in text:
        sys.exit("pyproject.toml has no [tool.mutmut] table")
    source = f"{PACKAGE}/{module.replace('.', '/')}.py"
    extra = (
        f"only_mutate = [{_toml_str(source)}]\n"
        "pytest_add_cli_args_test_selection = ["
        f"{', '.join(map(_toml_str, [*tests, *_deselect_args(deselect)]))}]\n"
    )
    (work / "pyproject.toml").write_text(text.replace(header, header + extra, 1), "utf-8")
    return work


def _deselect_args(test_ids: list[str]) -> list[str]:
    return [arg for test_id in test_ids for arg in ("--deselect", test_id)]


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class RunFailed(Exception):
    """mutmut could not score a module (its clean test run failed, say)."""


def _run_module(module: str, tests: list[str], config: dict[str, Any],
                max_children: int | None) -> Counter[str]:
    if not (ROOT / PACKAGE / f"{module.replace('.', '/')}.py").is_file():
        sys.exit(f"{module}: no such module in {PACKAGE}")
    missing = [name for name in tests if not (ROOT / name).exists()]
    if missing:
        sys.exit(f"{module}: tests not found: {', '.join(missing)}")
    work = _prepare(module, tests, list(config.get("deselect", [])))
    patterns = _patterns(module, list(config.get("functions", [])))
    mutmut = str(Path(sys.executable).with_name("mutmut"))
    children = [] if max_children is None else ["--max-children", str(max_children)]
    print(f"== {module}: mutants of {', '.join(patterns)}\n   tests: {' '.join(tests)}",
          flush=True)
    log = work / "mutmut-run.log"
    with log.open("w") as out:
        done = subprocess.run([mutmut, "run", *children, *patterns], cwd=work, stdout=out,
                              stderr=subprocess.STDOUT, check=False)
    if done.returncode:
        raise RunFailed(f"mutmut run failed (exit {done.returncode}); see {log}")
    listing = subprocess.run([mutmut, "results", "--all", "true"], cwd=work, check=True,
                             capture_output=True, text=True).stdout
    statuses: Counter[str] = Counter()
    survivors = []
    for line in listing.splitlines():
        match = _RESULT.match(line)
        if match is None or not any(fnmatch.fnmatchcase(match[1], p) for p in patterns):
            continue
        statuses[match[2]] += 1
        if match[2] not in KILLED:
            survivors.append(f"{match[1]} ({match[2]})")
    for survivor in survivors:
        print(f"   survived: {survivor}")
    return statuses


def _score(statuses: Counter[str]) -> tuple[int, int, float]:
    total = sum(statuses.values())
    killed = sum(statuses[name] for name in KILLED)
    return killed, total, 100.0 * killed / total if total else 100.0


def main() -> None:
    settings = _settings()
    modules: list[str] = settings["scored"]
    options: dict[str, dict[str, Any]] = settings.get("modules", {})
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", metavar="MODULE", help=f"of: {' '.join(modules)}")
    parser.add_argument("--max-children", type=int, help="parallel workers (default: all CPUs)")
    args = parser.parse_args()
    unknown = [name for name in args.modules if name not in modules]
    if unknown:
        parser.error(f"unknown modules {unknown}; configured: {' '.join(modules)}")
    stray = sorted(set(options) - set(modules))
    if stray:
        parser.error(f"options for modules that are not scored: {stray}")
    results: dict[str, tuple[int, int, float]] = {}
    failures: dict[str, str] = {}
    for name in args.modules or modules:
        config = options.get(name, {})
        tests = _tests(name, config, settings.get("everywhere", []))
        try:
            results[name] = _score(_run_module(name, tests, config, args.max_children))
        except RunFailed as exc:  # the other modules are still worth scoring
            print(f"   {name}: {exc}", flush=True)
            failures[name] = str(exc)
    width = max(len(name) for name in [*results, *failures, "module"]) + 1
    print(f"\n{'module':<{width}} killed / mutants   score")
    for name, (killed, total, score) in results.items():
        print(f"{name:<{width}} {killed:>6} / {total:<7}  {score:6.1f} %")
    for name, problem in failures.items():
        print(f"{name:<{width}} not scored: {problem}")
    killed = sum(k for k, _, _ in results.values())
    total = sum(t for _, t, _ in results.values())
    print(f"{'all':<{width}} {killed:>6} / {total:<7}  {100.0 * killed / max(total, 1):6.1f} %")
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
