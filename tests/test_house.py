"""Issue 13's house rules that no other test states: declared dependencies, build requirements, an
isolated Prefect home for tests, retries only where a fault can pass, and names that say one thing."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import sys
import tomllib
from pathlib import Path

from conftest import PREFECT_TEST_HOME, REPO, package_modules

MODULES = package_modules()
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_every_third_party_import_is_a_declared_dependency():
    project = PYPROJECT["project"]
    declared = {_name(r) for r in project["dependencies"]}
    declared |= {_name(r) for extra in project["optional-dependencies"].values() for r in extra}
    owners = importlib.metadata.packages_distributions()
    missing = {}
    for module, file in MODULES.items():
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
            for name in names:
                top = name.split(".")[0]
                if top == "newsflow" or top in sys.stdlib_module_names:
                    continue
                dists = {d.lower().replace("_", "-") for d in owners.get(top, [top])}
                if not dists & declared:
                    missing.setdefault(top, set()).add(module)
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"


def test_build_requirements_fit_the_metadata():
    """`license = "MIT"` (a PEP 639 SPDX string) needs setuptools 77 or later."""
    requires = PYPROJECT["build-system"]["requires"]
    [setuptools] = [r for r in requires if _name(r) == "setuptools"]
    if isinstance(PYPROJECT["project"].get("license"), str):
        floor = re.search(r">=\s*(\d+)", setuptools)
        assert floor and int(floor.group(1)) >= 77, setuptools


def test_the_lock_file_pins_every_dependency_exactly():
    lock = (REPO / "requirements.lock").read_text(encoding="utf-8")
    pinned = {_name(line) for line in lock.splitlines() if "==" in line and not line.startswith("#")}
    assert {_name(r) for r in PYPROJECT["project"]["dependencies"]} <= pinned
    assert "-r requirements.lock" in (REPO / "Makefile").read_text(encoding="utf-8")


def test_tests_run_with_their_own_prefect_home():
    from prefect.settings import get_current_settings

    home = Path(get_current_settings().home).resolve()
    assert home == Path(PREFECT_TEST_HOME).resolve() and home != (Path.home() / ".prefect").resolve()
    assert os.environ.get("PREFECT_API_URL") is None  # a user's server never receives test runs


def test_only_the_load_is_retried_and_only_for_transient_faults():
    from newsflow.flows.batches import process_batch
    from newsflow.flows.commit import commit
    from newsflow.flows.retries import is_transient, retry_transient

    assert process_batch.retries == 0  # pure work on bytes already read: a failure is bad input or a bug
    assert commit.retries == 2 and commit.retry_condition_fn is retry_transient
    import duckdb

    assert is_transient(duckdb.TransactionException("write-write conflict"))
    assert not is_transient(FileNotFoundError("gone")) and not is_transient(ValueError("bad input"))


def test_no_two_classes_or_stage_functions_share_a_name():
    """One name, one thing: no class name in two modules, and no stage function twice."""
    seen: dict[str, str] = {}
    twice = []
    for module, file in MODULES.items():
        for node in ast.parse(file.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                if node.name in seen:
                    twice.append(f"class {node.name}: {seen[node.name]} and {module}")
                seen[node.name] = module
    assert not twice, twice
    from newsflow.transforms import stories
    from newsflow.warehouse import similarity

    assert not hasattr(stories, "assign_stories") and hasattr(similarity, "assign_stories")
