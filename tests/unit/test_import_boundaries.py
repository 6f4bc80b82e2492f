"""The simulators are test oracles: they never import swansync, and swansync imports them only
where a user asks for one (``swansync demo``, ``swansync sim serve``)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The only product modules allowed to start a simulator (lazily, inside the command).
SIM_USERS = {"swansync/cli/commands.py", "swansync/demo.py"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _top_level(name: str) -> str:
    return name.split(".", 1)[0]


def _modules(package: str) -> list[Path]:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no modules found under {package}/"
    return files


def test_simulators_never_import_swansync() -> None:
    offenders = {
        str(p.relative_to(ROOT)): sorted(m for m in _imports(p) if _top_level(m) == "swansync")
        for p in _modules("trackersim")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_swansync_imports_simulators_only_in_demo_and_sim_serve() -> None:
    users = {
        str(p.relative_to(ROOT))
        for p in _modules("swansync")
        if any(_top_level(m) == "trackersim" for m in _imports(p))
    }
    assert users <= SIM_USERS, users - SIM_USERS


def test_simulator_imports_in_the_product_are_lazy() -> None:
    """A module-level import would load the simulator on every ``swansync`` start."""
    for rel in SIM_USERS:
        tree = ast.parse((ROOT / rel).read_text(encoding="utf-8"))
        for node in tree.body:
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not any(_top_level(n) == "trackersim" for n in names), rel
