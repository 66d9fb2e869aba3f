"""The shape of kg/: no import cycle, packages import only the layers below them, no
import inside a function without a comment saying why, no module over 600 lines, no
function over 60 lines (complexity is ruff's C901 and PLR0915, in make lint)."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "kg"

#: The layers, lowest first: a module may import its own layer and those before it.
#: (docs/architecture.md draws them.)
LAYERS = (
    ("kg", "kg.resources", "kg.prefixes", "kg.config", "kg.background", "kg.timings"),
    ("kg.sparql",),
    ("kg.rdf",),
    ("kg.validation",),
    ("kg.stages", "kg.importers"),
    ("kg.web",),
    ("kg.build",),
    ("kg.remote",),
    ("kg.cli",),
)
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 60


@dataclass
class Module:
    name: str
    path: Path
    tree: ast.Module
    lines: list[str]
    imports: set[str] = field(default_factory=set)


def _name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _targets(module: Module, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        parts = module.name.split(".")
        if module.path.name != "__init__.py":
            parts = parts[:-1]
        parts = parts[: len(parts) - node.level + 1]
        base = ".".join(parts + ([node.module] if node.module else []))
    return [base] + [f"{base}.{alias.name}" for alias in node.names]


def _modules() -> dict[str, Module]:
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        modules[_name(path)] = Module(_name(path), path, ast.parse(text), text.splitlines())
    for module in modules.values():
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                module.imports |= {
                    t for t in _targets(module, node) if t in modules and t != module.name
                }
    return modules


MODULES = _modules()


def _cycles(modules: dict[str, Module]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in modules:
        if root in index:
            continue
        work = [(root, iter(sorted(modules[root].imports)))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(modules[child].imports))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def layer_of(name: str) -> int:
    """The index in LAYERS of the longest prefix naming ``name``'s package."""
    best, depth = -1, -1
    for i, members in enumerate(LAYERS):
        for member in members:
            if (name == member or name.startswith(member + ".")) and len(member) > depth:
                best, depth = i, len(member)
    if best < 0:
        raise AssertionError(f"{name}: in no layer of LAYERS")
    return best


def test_no_import_cycle() -> None:
    assert _cycles(MODULES) == []


def test_cycles_are_found() -> None:
    a = Module("kg.a", PACKAGE / "a.py", ast.parse(""), [], {"kg.b"})
    b = Module("kg.b", PACKAGE / "b.py", ast.parse(""), [], {"kg.c"})
    c = Module("kg.c", PACKAGE / "c.py", ast.parse(""), [], {"kg.a"})
    assert _cycles({"kg.a": a, "kg.b": b, "kg.c": c}) == [["kg.a", "kg.b", "kg.c"]]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_only_layers_below(name: str) -> None:
    own = layer_of(name)
    upward = sorted(t for t in MODULES[name].imports if layer_of(t) > own)
    assert upward == [], f"{name} (layer {LAYERS[own][0]}) imports a higher layer"


def _commented(module: Module, node: ast.stmt) -> bool:
    """An import whose line, or the line above it, carries a comment."""
    here = module.lines[node.lineno - 1]
    above = module.lines[node.lineno - 2].strip() if node.lineno > 1 else ""
    return "#" in here or above.startswith("#")


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_inside_functions_say_why(name: str) -> None:
    module = MODULES[name]
    silent = [
        f"{module.path.name}:{sub.lineno}"
        for node in ast.walk(module.tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for sub in ast.walk(node)
        if isinstance(sub, ast.Import | ast.ImportFrom) and not _commented(module, sub)
    ]
    assert silent == [], "imports inside functions with no comment saying why"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_sizes(name: str) -> None:
    module = MODULES[name]
    assert len(module.lines) <= MAX_MODULE_LINES
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(module.tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == []
