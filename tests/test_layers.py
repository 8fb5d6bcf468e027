"""The package's layers: each stage imports only from stages before it, and no cycles.

Imports under ``if TYPE_CHECKING:`` are for annotations only and are not counted.  The
package root (``transport_sim``, which only holds ``__version__`` and lazy re-exports)
may be imported by anyone for ``__version__``.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "transport_sim"

#: Stages in data-flow order; a module may import from its own stage and earlier ones.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "units", "codes", "io", "paths"),
    ("kernels",),
    ("scenario",),
    ("network",),
    ("fleets",),
    ("policy",),
    ("charging",),
    ("demand",),
    ("sim",),
    ("accounting",),
    ("results",),
    ("report",),
    ("pipeline",),
    ("sweep",),
    ("cli", "__main__"),
)
RANK = {name: i for i, names in enumerate(LAYERS) for name in names}
#: What kernels may import from the package besides other kernels.
KERNEL_ALLOWED = {"codes", "errors", "units"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(tree: ast.AST, module: str) -> set[str]:
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("transport_sim"))
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:
                pkg = module.split(".")[: -node.level or None]
                base = ".".join([*pkg, node.module])
            if base.startswith("transport_sim"):
                for alias in node.names:  # `from transport_sim.x import y` may import x.y
                    candidate = f"{base}.{alias.name}"
                    if (PACKAGE.parent / (candidate.replace(".", "/") + ".py")).exists():
                        found.add(candidate)
                    else:
                        found.add(base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    found.discard(module)
    return found


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        graph[module] = _runtime_imports(ast.parse(path.read_text(encoding="utf-8")), module)
    return graph


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_stage_has_a_layer() -> None:
    stages = {_stage(m) for m in _graph()} - {"", "__init__"}
    assert stages <= set(RANK), f"stages without a layer: {sorted(stages - set(RANK))}"


def test_stages_import_only_downward() -> None:
    bad = []
    for module, imports in _graph().items():
        here = _stage(module)
        if here == "":
            continue  # the package root only re-exports lazily
        for target in imports:
            there = _stage(target)
            if there == "":
                continue  # `from transport_sim import __version__`
            if RANK[there] > RANK[here]:
                bad.append(f"{module} -> {target}")
    assert not bad, "upward imports:\n" + "\n".join(sorted(bad))


def test_kernels_import_only_constants() -> None:
    bad = [
        f"{module} -> {target}"
        for module, imports in _graph().items()
        if _stage(module) == "kernels"
        for target in imports
        if _stage(target) not in {"kernels", *KERNEL_ALLOWED}
    ]
    assert not bad, "\n".join(bad)


def test_no_import_cycles_at_run_time() -> None:
    graph = _graph()
    # only edges between modules of the package (packages resolve to their __init__)
    edges: dict[str, set[str]] = defaultdict(set)
    for module, imports in graph.items():
        edges[module] = {t for t in imports if t in graph and t != "transport_sim"}
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def dfs(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                dfs(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            dfs(node)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize("limit", [800])
def test_modules_are_small(limit: int) -> None:
    """No module over ``limit`` lines except compiled kernels, which say why they are long."""
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > limit and "kernels" not in path.parts:
            long.append(f"{path.relative_to(PACKAGE)}: {n} lines")
    assert not long, "\n".join(long)
