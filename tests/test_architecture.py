"""The import graph, as docs/architecture.md draws it: `bot` → `domain` ← `storage`.

Read from the source with `ast` (nothing is imported), so a forbidden arrow fails here
with the file and line that draws it, whether or not any test happens to execute it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
OURS = ("bot", "domain", "storage", "tests", "benchmarks")

# Libraries that do I/O or belong to an outer layer: the domain stays pure of them.
IO_LIBRARIES = ("asyncpg", "aiohttp", "telegram", "openai", "pgvector", "prometheus_client")


def imports_of(package: str) -> Iterator[tuple[str, int, str]]:
    """(file, line, imported module) for every import in a package, relative ones resolved."""
    for path in sorted((REPO / package).rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        here = path.relative_to(REPO).with_suffix("").parts
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield str(path.relative_to(REPO)), node.lineno, alias.name
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = ".".join(here[: len(here) - node.level])
                    module = f"{base}.{node.module}" if node.module else base
                else:
                    module = node.module or ""
                yield str(path.relative_to(REPO)), node.lineno, module


def top(module: str) -> str:
    return module.split(".")[0]


def arrows(package: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{file}:{line} imports {module}"
        for file, line, module in imports_of(package)
        if top(module) in forbidden
    ]


def test_the_domain_imports_nothing_of_ours_but_the_domain() -> None:
    assert arrows("domain", tuple(p for p in OURS if p != "domain")) == []


def test_the_domain_does_no_io() -> None:
    assert arrows("domain", IO_LIBRARIES) == []


def test_storage_never_imports_the_bot() -> None:
    assert arrows("storage", ("bot", "tests", "benchmarks")) == []


def test_storage_knows_nothing_of_telegram() -> None:
    assert arrows("storage", ("telegram", "aiohttp", "openai")) == []


def test_product_code_never_imports_tests_or_benchmarks() -> None:
    assert arrows("bot", ("tests", "benchmarks")) == []


@pytest.mark.parametrize("package", ["domain", "storage", "bot"])
def test_the_checker_sees_every_import(package: str) -> None:
    """Guards the guard: each package really imports something, so an empty walk (a
    moved folder, a parse that finds nothing) cannot pass the tests above."""
    assert {top(module) for _, _, module in imports_of(package)} & {package, "__future__"}


def test_the_checker_sees_an_import_wherever_it_stands(tmp_path: Path, monkeypatch) -> None:
    """An import inside a function or a relative one is an arrow too."""
    package = tmp_path / "domain"
    package.mkdir()
    (package / "sneaky.py").write_text(
        "from __future__ import annotations\n"
        "import storage.users\n"
        "def later():\n"
        "    from bot.views import refusals\n"
        "    import asyncpg as pg\n"
        "from .sibling import thing\n"
    )
    monkeypatch.setattr(__import__(__name__, fromlist=["REPO"]), "REPO", tmp_path)
    assert [module for _, _, module in imports_of("domain")] == [
        "__future__",
        "storage.users",
        "domain.sibling",
        "bot.views",
        "asyncpg",
    ]
