"""The import graph holds the layering: `domain` imports nothing of ours but `domain`
(no storage, no bot, no asyncpg or telegram), and `storage` never imports `bot`.
Read from the source (every import statement, wherever it stands), not by importing."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# What each layer may not import: our other packages, and the I/O libraries of the others.
FORBIDDEN = {
    "domain": {"bot", "storage", "benchmarks", "scripts", "tests", "asyncpg", "telegram"},
    "storage": {"bot", "benchmarks", "scripts", "tests", "telegram"},
}


def imported(path: Path) -> set[str]:
    """The top-level packages a module imports (relative imports are its own package)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_only_what_it_may(layer: str) -> None:
    modules = sorted((REPO / layer).rglob("*.py"))
    assert modules, f"no modules found under {layer}/"
    crossings = {
        str(path.relative_to(REPO)): sorted(imported(path) & FORBIDDEN[layer]) for path in modules
    }
    assert {m: names for m, names in crossings.items() if names} == {}


def test_the_check_sees_an_import_wherever_it_stands(tmp_path: Path) -> None:
    module = tmp_path / "sneaky.py"
    module.write_text(
        "from __future__ import annotations\n"
        "import storage.users\n"
        "def later():\n"
        "    from bot.views import refusals\n"
        "    import asyncpg as pg\n"
        "from .sibling import thing\n"
    )
    assert imported(module) == {"__future__", "storage", "bot", "asyncpg"}
