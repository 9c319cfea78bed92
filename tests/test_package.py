"""The built wheel: one `newsflow` package, usable from any folder without the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

from conftest import REPO

pytestmark = pytest.mark.slow


BUILD_LOG: list[str] = []  # what building the wheel printed


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The wheel built from this checkout, installed (without dependencies) into a folder of its own."""
    wheels = tmp_path_factory.mktemp("wheels")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(REPO)],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    BUILD_LOG.append(built.stdout + built.stderr)
    [wheel] = wheels.glob("newsflow-*.whl")
    target = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return wheel, target


def test_the_wheel_holds_one_top_level_package_with_its_data(installed):
    wheel, _ = installed
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.startswith("newsflow-")}
    assert tops == {"newsflow"}, tops  # no generic `flows`, `warehouse`, ... in site-packages
    assert any(n.startswith("newsflow/warehouse/sql/") and n.endswith(".sql") for n in names)
    assert sum(n.startswith("newsflow/samples/") for n in names) >= 13
    gx = "newsflow/expectations/gx/"
    assert {f"{gx}great_expectations.yml", f"{gx}expectations/.ge_store_backend_id", "newsflow/prefect.yaml"} <= set(names)
    for folder in ("expectations", "checkpoints", "validation_definitions"):  # a file per suite in each
        assert {n.rsplit("/", 1)[1] for n in names if n.startswith(f"{gx}{folder}/") and n.endswith(".json")} \
            == {"articles.json", "documents.json", "rejects.json", "runs.json"}, folder
    assert not any(n.startswith(f"{gx}uncommitted/") for n in names)
    # setuptools warned of every data folder missing from `packages` ("BuildBackendWarning: Package
    # 'newsflow.expectations.gx' is absent from the `packages` configuration").
    assert "Warning" not in BUILD_LOG[0], BUILD_LOG[0]


def test_installed_package_ingests_the_bundled_samples_from_another_folder(installed, tmp_path):
    _, target = installed
    env = {**os.environ, "PYTHONPATH": str(target), "PREFECT_HOME": str(tmp_path / "prefect")}
    env.pop("PREFECT_API_URL", None)
    where = subprocess.run([sys.executable, "-c", "import newsflow.flows.ingest as m; print(m.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert where.stdout.strip().startswith(str(target)), where.stdout + where.stderr  # not the checkout
    done = subprocess.run([sys.executable, "-m", "newsflow", "ingest", "--db", "w.duckdb", "--no-progress"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("18 inputs: 16 new articles, 1 duplicate, 1 rejected"), done.stdout


def test_installed_package_serves_its_shipped_deployments_from_another_folder(installed, tmp_path):
    """`newsflow serve` outside a checkout: the shipped prefect.yaml, its entrypoints in the package."""
    _, target = installed
    env = {**os.environ, "PYTHONPATH": str(target), "PREFECT_HOME": str(tmp_path / "prefect")}
    code = ("from newsflow.flows.serve import build_deployments, default_file; path = default_file(); "
            "print(path); print(sorted(d.name for d in build_deployments(path)))")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    path, names = done.stdout.strip().splitlines()[-2:]
    assert path.startswith(str(target))
    assert names == str(sorted(["feeds-hourly", "inbox-hourly", "sitemaps-nightly", "validate-nightly"]))


def test_installed_package_validates_into_a_project_in_the_working_folder(installed, tmp_path):
    """`newsflow validate` outside a checkout keeps the GX project (history, Data Docs) in the working
    folder, started as a copy of the shipped one, and writes nothing into the installed package."""
    _, target = installed
    env = {**os.environ, "PYTHONPATH": str(target), "PREFECT_HOME": str(tmp_path / "prefect")}
    env.pop("PREFECT_API_URL", None)
    env.pop("NEWSFLOW_QUALITY__PROJECT", None)
    shipped = target / "newsflow" / "expectations" / "gx"
    before = sorted(p.relative_to(shipped) for p in shipped.rglob("*"))
    for command in (["ingest", "--db", "w.duckdb", "--no-progress"], ["validate", "--db", "w.duckdb"]):
        done = subprocess.run([sys.executable, "-m", "newsflow", *command], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
    project = tmp_path / "expectations" / "gx"
    assert sorted(p.name for p in (project / "expectations").glob("*.json")) == [
        "articles.json", "documents.json", "rejects.json", "runs.json"]
    assert any((project / "uncommitted" / "validations").rglob("*.json"))  # the history is here
    assert (project / "uncommitted" / "data_docs" / "local_site" / "index.html").is_file()
    assert sorted(p.relative_to(shipped) for p in shipped.rglob("*")) == before  # the package is untouched
