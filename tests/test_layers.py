"""Imports point one way: store ← engine ← sources, knowledge ← runtime ← api ← cli (leaf modules import nothing)."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "lokal"
# a layer may import from the layers listed for it, and nothing above
ALLOWED = {
    "errors": set(), "options": {"errors"}, "config": {"errors"}, "client": {"config", "errors"},
    "store": {"errors", "options", "config"},
    "engine": {"errors", "options", "config", "store"},
    "sources": {"errors", "options", "config", "store", "engine"},
    "knowledge": {"errors", "options", "config", "store", "engine"},
    "batch": {"errors", "options", "config", "store"},
    "web": {"errors", "config", ""},
    "runtime": {"errors", "options", "config", "store", "engine", "knowledge", "client"},
    "api": {"errors", "options", "config", "store", "engine", "sources", "knowledge", "batch", "runtime", "web", ""},
    "cli": {"errors", "options", "config", "store", "engine", "sources", "knowledge", "batch", "client", "runtime",
            "api", ""},
}


def imported_layers(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            depth = len(path.relative_to(PACKAGE).parts) - 1
            if node.level > depth:
                found.add((node.module or "").split(".")[0])
    return found


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_one_way(path):
    layer = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
    if layer in ("__init__", "__main__"):
        return
    outside = imported_layers(path) - {layer}
    assert outside <= ALLOWED[layer], f"{path.name} imports {sorted(outside - ALLOWED[layer])}"
