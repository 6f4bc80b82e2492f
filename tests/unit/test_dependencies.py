"""Every third-party module the product imports at run time is a runtime dependency.

CI and the Docker image install with a plain ``pip install .`` (no extras): a module imported by
``swansync/`` (or by the simulator it can start, ``trackersim/``) but declared only in the
``dev`` extra works in every test run and dies on a user's machine (issue 10: ``swansync pull
--logdir`` raised ``ModuleNotFoundError: No module named 'yaml'``). Imports under
``if TYPE_CHECKING:`` are not run time.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("swansync", "trackersim")  # trackersim runs inside `swansync demo` / `sim serve`


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(tree: ast.AST) -> set[str]:
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for other in node.orelse:
                visit(other)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def third_party_imports() -> dict[str, set[str]]:
    """Top-level module -> the product files importing it (stdlib and our own left out)."""
    out: dict[str, set[str]] = {}
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for module in _runtime_imports(tree):
                if module in sys.stdlib_module_names or module in PRODUCT:
                    continue
                out.setdefault(module, set()).add(str(path.relative_to(ROOT)))
    return out


def declared_dependencies() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = set()
    for spec in project["dependencies"]:
        m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", spec)
        assert m, spec
        names.add(_normalize(m.group(1)))
    return names


def test_every_runtime_import_is_a_runtime_dependency() -> None:
    imports = third_party_imports()
    assert "polars" in imports and "requests" in imports  # the walk sees real imports
    dists = importlib.metadata.packages_distributions()
    declared = declared_dependencies()
    missing = {}
    for module, files in sorted(imports.items()):
        provided_by = {_normalize(d) for d in dists.get(module, [])}
        if not provided_by & declared:
            missing[module] = (sorted(provided_by) or ["<not installed>"], sorted(files)[:3])
    assert missing == {}, (
        "imported at run time but not in [project] dependencies of pyproject.toml "
        f"(module: (distribution, files)): {missing}"
    )


def test_the_check_sees_type_checking_imports_as_not_runtime() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "import yaml\n"
        "if TYPE_CHECKING:\n    import numpy\nelse:\n    import pandas\n"
        "def f():\n    import psutil\n"
    )
    assert _runtime_imports(tree) == {"typing", "yaml", "pandas", "psutil"}


def _dockerfile_runs() -> str:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    return " ".join(line[4:] for line in text.splitlines() if line.startswith("RUN "))


def test_the_image_installs_without_extras_and_imports_every_module(tmp_path: Path) -> None:
    import subprocess

    runs = _dockerfile_runs()
    assert "pip install -c constraints.txt . " in runs  # no [dev] or other extras
    m = re.search(r'python -c "([^"]+)"', runs)
    assert m, "the Dockerfile's import check is missing"
    # The same check, here (it must at least be valid and pass where everything is installed).
    done = subprocess.run(
        [sys.executable, "-c", m.group(1)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
