"""The shape of the code: imports flow one way, nothing imports the CLI."""

import ast
from pathlib import Path

import pytest

import mnistbench

PACKAGE = Path(mnistbench.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The mnistbench modules ``path`` imports, anywhere in it (functions and
    ``TYPE_CHECKING`` blocks too), each by its full name."""
    modules = {_module_name(p) for p in PACKAGE.rglob("*.py")}
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            # `from mnistbench import data` imports the module mnistbench.data
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            names = [n if n in modules else node.module for n in names]
        else:
            continue
        found |= {n for n in names if n in modules}
    return found


def _graph() -> dict[str, set[str]]:
    graph = {}
    for path in PACKAGE.rglob("*.py"):
        name = _module_name(path)
        # A package's own submodules, imported by its __init__, are its parts.
        graph[name] = {m for m in _imports(path) if m != name}
    return graph


def test_nothing_imports_the_cli():
    for name, imported in _graph().items():
        if not name.startswith("mnistbench.cli"):
            cli = sorted(m for m in imported if m.startswith("mnistbench.cli"))
            assert not cli, f"{name} imports {cli}"


def test_no_import_circles():
    graph = _graph()

    def parent_package(child: str, parent: str) -> bool:
        return child.startswith(parent + ".")

    # A package's __init__ imports its submodules and they import their
    # siblings; an edge from a submodule up to its own package is not a circle
    # of modules, but of a module and its parts, and is left out.
    edges = {a: {b for b in bs if not parent_package(a, b)} for a, bs in graph.items()}
    seen, stack, circles = set(), [], []

    def visit(node):
        if node in stack:
            circles.append([*stack[stack.index(node) :], node])
            return
        if node in seen:
            return
        seen.add(node)
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            visit(nxt)
        stack.pop()

    for node in sorted(edges):
        visit(node)
    assert circles == []


@pytest.mark.parametrize(
    ("below", "above"),
    [
        ("mnistbench.executors", "mnistbench.runner"),
        ("mnistbench.jobs", "mnistbench.executors"),
        ("mnistbench.engines", "mnistbench.runner"),
        ("mnistbench.plan", "mnistbench.executors"),
        ("mnistbench.data", "mnistbench.pipelines"),
        ("mnistbench.results", "mnistbench.report"),
        ("mnistbench.results", "mnistbench.compare"),
        ("mnistbench.report", "mnistbench.publish"),
    ],
)
def test_the_flow_goes_one_way(below, above):
    """Modules below never import the ones above them."""
    for name, imported in _graph().items():
        if name == below or name.startswith(below + "."):
            up = [m for m in imported if m == above or m.startswith(above + ".")]
            assert not up, f"{name} imports {up}"
