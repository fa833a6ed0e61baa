"""The house (issue 14): every concept has one home, the layers import only downwards, nothing imports in a
circle. The layers and the forbidden imports are import-linter contracts in pyproject.toml
(``[tool.importlinter]``); the cycles are found here, with grimp (import-linter's graph), among dianta's
top-level subpackages and among its modules. Imports under ``if TYPE_CHECKING:`` never run and are left out;
imports inside functions count."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).parents[1]


def test_import_contracts_are_kept():
    proc = subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command; "
                           "lint_imports_command()", "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node of the directed graph ``edges`` (node ->
    the nodes it imports), each sorted, and one circle through each (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for nxt in successors:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(edges.get(nxt, ())))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
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
    return sorted(found)


def circle(edges: dict[str, set[str]], component: list[str]) -> list[str]:
    """One circle through the first node of ``component``: a shortest path back to it (breadth first)."""
    start, members = component[0], set(component)
    paths = {nxt: [start, nxt] for nxt in sorted(edges.get(start, set()) & members)}
    queue = list(paths)
    while queue:
        node = queue.pop(0)
        if start in edges.get(node, set()):
            return [*paths[node], start]
        for nxt in sorted(edges.get(node, set()) & members):
            if nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    return component


def report(edges: dict[str, set[str]], found: Iterable[list[str]]) -> str:
    return "\n".join(" -> ".join(circle(edges, c)) for c in found)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("dianta", exclude_type_checking_imports=True, cache_dir=None)


def _top(module: str) -> str:
    return ".".join(module.split(".")[:2])


def test_no_cycles_among_the_subpackages(graph: grimp.ImportGraph):
    edges: dict[str, set[str]] = {}
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if _top(module) != _top(imported):
                edges.setdefault(_top(module), set()).add(_top(imported))
    assert len(edges) > 10, "the graph holds dianta's subpackages"
    found = cycles(edges)
    assert not found, "subpackages that import each other in a circle:\n" + report(edges, found)


def test_no_cycles_among_the_modules(graph: grimp.ImportGraph):
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    assert "dianta.ledger.lake" in edges["dianta.ledger.store"]
    found = cycles(edges)
    assert not found, "modules that import each other in a circle:\n" + report(edges, found)


def test_the_cycle_finder_finds_circles_and_names_them():
    edges = {"a": {"b"}, "b": {"c", "d"}, "c": {"a"}, "d": set(), "e": {"e2"}, "e2": {"e"}, "f": {"a"}}
    assert cycles(edges) == [["a", "b", "c"], ["e", "e2"]]
    assert report(edges, cycles(edges)) == "a -> b -> c -> a\ne -> e2 -> e"
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_the_cycle_finder_sees_a_circle_grimp_reports():
    g = grimp.ImportGraph()
    for importer, imported in (("p.x", "p.y"), ("p.y", "p.z"), ("p.z", "p.x"), ("p.w", "p.x")):
        g.add_import(importer=importer, imported=imported)
    edges = {m: set(g.find_modules_directly_imported_by(m)) for m in g.modules}
    assert cycles(edges) == [["p.x", "p.y", "p.z"]]
