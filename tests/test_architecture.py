"""The floors hold, counted from the code itself (not from the import-linter contract, which could be
edited to match the code): no cycle between any two packages, no import hidden inside a function, no
module grown past its size without saying why. ARCHITECTURE.md explains the floors."""
import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PORTAL = ROOT / "portal"
MAX_LINES = 400
# Function-level imports are allowed only where the app does not exist yet: the app factory and the
# click commands of the CLI modules (they run before/outside the app's import graph).
ALLOWED_INNER = {("portal", "create_app"), ("portal", "register_blueprints"), ("portal", "configure_jinja")}


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PORTAL.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = modules()


def package_of(module: str) -> str:
    """The unit of the floor plan: portal.<package> (or the root module portal itself)."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else module


def absolute(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if MODULES[module].name != "__init__.py":
        base = base[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(module: str):
    """(imported module, line, enclosing function or None) for every portal import of the module."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))

    def walk(node, function):
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, child.lineno, function
            elif isinstance(child, ast.ImportFrom):
                target = absolute(module, child)
                for alias in child.names:
                    candidate = f"{target}.{alias.name}"
                    yield (candidate if candidate in MODULES else target), child.lineno, function
            yield from walk(child, inner)

    for target, line, function in walk(tree, None):
        if target == "portal" or target.startswith("portal."):
            yield target, line, function


def package_graph() -> dict[str, set[str]]:
    graph = defaultdict(set)
    for module in MODULES:
        for target, _, _ in imports_of(module):
            a, b = package_of(module), package_of(target)
            if a != b:
                graph[a].add(b)
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm; components of more than one package are cycles."""
    index, low, stack, on_stack, result, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.add(item)
                if item == node:
                    break
            result.append(component)

    for node in sorted(set(graph) | {n for targets in graph.values() for n in targets}):
        if node not in index:
            visit(node)
    return result


def test_no_cycle_between_packages():
    graph = package_graph()
    graph.pop("portal", None)          # the app factory imports every package: it is the root, not a floor
    cycles = [sorted(c) for c in strongly_connected(graph) if len(c) > 1]
    assert cycles == []


def test_no_cycle_between_modules_of_a_package():
    graph = defaultdict(set)
    for module in MODULES:
        for target, _, _ in imports_of(module):
            if package_of(module) == package_of(target) != "portal" and target != module:
                graph[module].add(target)
    cycles = [sorted(c) for c in strongly_connected(graph) if len(c) > 1]
    # A package's __init__ defines its blueprint and imports its views, which import the blueprint back:
    # Flask's own blueprint pattern, not a cycle of code.
    cycles = [c for c in cycles if not any(m == package_of(m) for m in c)]
    assert cycles == []


def test_no_import_inside_functions():
    hidden = []
    for module, path in MODULES.items():
        for target, line, function in imports_of(module):
            if function is None or (module, function) in ALLOWED_INNER or path.name == "cli.py":
                continue
            hidden.append(f"{path.relative_to(ROOT)}:{line} {function}() imports {target}")
    assert hidden == []


def test_lower_floors_never_import_upward():
    """The same rule as the import-linter contract, from the code: platform imports no other floor,
    registry only the platform, documents and auth only those two."""
    allowed = {
        "portal.platform": set(),
        "portal.registry": {"portal.platform"},
        "portal.documents": {"portal.platform", "portal.registry"},
        "portal.auth": {"portal.platform", "portal.registry"},
    }
    graph = package_graph()
    wrong = {pkg: sorted(graph.get(pkg, set()) - ok) for pkg, ok in allowed.items() if graph.get(pkg, set()) - ok}
    assert wrong == {}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_stay_small_or_say_why(module):
    path = MODULES[module]
    lines = path.read_text(encoding="utf-8").count("\n")
    if lines > MAX_LINES:
        docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        assert "Size:" in docstring, f"{path.relative_to(ROOT)} has {lines} lines and no 'Size:' reason"


def test_the_counter_sees_a_cycle(tmp_path):
    """The cycle finder itself: a two-package circle is found, a chain is not."""
    assert [sorted(c) for c in strongly_connected({"a": {"b"}, "b": {"a"}, "c": {"a"}}) if len(c) > 1] == [["a", "b"]]
    assert [c for c in strongly_connected({"a": {"b"}, "b": {"c"}}) if len(c) > 1] == []
