"""The rooms of the code and the direction of imports between them (docs/architecture.md).

Every `import` of a newsflow module, at module level or inside a function, must point down the
layers below; third-party frameworks stay in the rooms that own them; and the module-level import
graph has no cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import package_modules

# room -> the rooms it may import (besides itself and the root package's VERSION)
ALLOWED = {
    "newsflow.transforms": set(),
    "newsflow.acquire": {"newsflow.transforms"},
    "newsflow.warehouse": {"newsflow.transforms"},
    "newsflow.expectations": {"newsflow.transforms"},
    "newsflow.settings": {"newsflow.acquire", "newsflow.warehouse", "newsflow.expectations", "newsflow.transforms"},
    "newsflow.flows": {"newsflow.settings", "newsflow.acquire", "newsflow.warehouse", "newsflow.expectations",
                       "newsflow.transforms"},
    "newsflow.cli": {"newsflow.flows", "newsflow.settings", "newsflow.acquire", "newsflow.warehouse",
                     "newsflow.expectations", "newsflow.transforms"},
    "newsflow.__main__": {"newsflow.cli"},
}
# Frameworks and the only rooms that may import them.
FRAMEWORKS = {
    "prefect": {"newsflow.flows", "newsflow.cli"},
    "great_expectations": {"newsflow.expectations"},
    "duckdb": {"newsflow.warehouse", "newsflow.flows", "newsflow.cli"},
    "httpx": {"newsflow.acquire"},
    "click": {"newsflow.cli"},
}


def room_of(module: str) -> str:
    for room in ALLOWED:
        if module == room or module.startswith(room + "."):
            return room
    return "newsflow"  # the root package: VERSION only


def imports(file: Path, module: str, top_level_only: bool = False) -> list[tuple[str, int]]:
    """(imported module, line) for every import in the file; relative imports resolved."""
    tree = ast.parse(file.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else ast.walk(tree)
    found = []
    for node in nodes:
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = module.split(".")[: -node.level] if not file.name == "__init__.py" else module.split(".")[: len(module.split(".")) - node.level + 1]
                base = ".".join([*pkg, base]) if base else ".".join(pkg)
            found.append((base, node.lineno))
            # `from newsflow.acquire import web` imports the submodule newsflow.acquire.web
            found += [(f"{base}.{alias.name}", node.lineno) for alias in node.names]
    return found


MODULES = package_modules()


def test_the_rooms_are_found():
    assert {"newsflow.cli", "newsflow.settings", "newsflow.flows.ingest", "newsflow.acquire.fetch",
            "newsflow.transforms.extract", "newsflow.warehouse.load", "newsflow.expectations.runner"} <= set(MODULES)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down_the_layers(module):
    room = room_of(module)
    allowed = ALLOWED.get(room, set()) | {room}
    bad = []
    for target, line in imports(MODULES[module], module):
        if target == "newsflow" or not target.startswith("newsflow."):
            if target.split(".")[0] in FRAMEWORKS and room not in FRAMEWORKS[target.split(".")[0]]:
                bad.append(f"line {line}: {target} (a framework {room} must not use)")
            continue
        if target in MODULES or target.rsplit(".", 1)[0] in MODULES or target in ALLOWED:
            target_room = room_of(target)
            if target_room != "newsflow" and target_room not in allowed:
                bad.append(f"line {line}: {target} ({room} may import {sorted(allowed)})")
    assert not bad, f"{module} ({MODULES[module]}):\n" + "\n".join(bad)


def test_no_import_cycle_between_modules():
    graph = {m: {t for t, _ in imports(f, m, top_level_only=True) if t in MODULES and t != m}
             for m, f in MODULES.items()}
    done, path = set(), []

    def visit(node):
        if node in path:
            raise AssertionError("import cycle: " + " -> ".join(path[path.index(node):] + [node]))
        if node in done:
            return
        path.append(node)
        for nxt in sorted(graph[node]):
            visit(nxt)
        path.pop()
        done.add(node)

    for m in sorted(graph):
        visit(m)


def test_a_wrong_import_is_caught(tmp_path):
    """The checker itself: a transform that imports the warehouse is reported."""
    bad = tmp_path / "bad.py"
    bad.write_text("from newsflow.warehouse.db import connect\nimport prefect\n")
    targets = [t for t, _ in imports(bad, "newsflow.transforms.bad")]
    assert "newsflow.warehouse.db" in targets and "prefect" in targets
    assert room_of("newsflow.warehouse.db.connect") == "newsflow.warehouse"
    assert "newsflow.warehouse" not in ALLOWED["newsflow.transforms"]


# The flows and the CLI run no SQL of their own: queries are warehouse functions (docs/architecture.md).
SQL_CALLS = {"execute", "executemany", "sql"}
SQL_ALLOWED = {
    "newsflow.flows.commit": "SET memory_limit on the run's connection: a setting, not a query",
}


def sql_calls(file: Path) -> list[int]:
    """Lines that call a DB-API/DuckDB query method (con.execute(...), con.sql(...))."""
    tree = ast.parse(file.read_text(encoding="utf-8"))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SQL_CALLS]


@pytest.mark.parametrize("module", sorted(m for m in MODULES if room_of(m) in ("newsflow.flows", "newsflow.cli")))
def test_flows_and_cli_run_no_sql_of_their_own(module):
    if module in SQL_ALLOWED:
        pytest.skip(SQL_ALLOWED[module])
    assert not sql_calls(MODULES[module]), f"{module}: SQL at lines {sql_calls(MODULES[module])}; " \
                                            "make it a function in newsflow.warehouse"


def test_a_query_in_a_flow_is_caught(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f(con):\n    return con.execute('SELECT 1').fetchall()\n")
    assert sql_calls(bad) == [2]
