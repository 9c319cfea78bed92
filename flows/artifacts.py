"""Prefect artifacts on the run the user opens.

A deployment's run (scheduled-ingest) runs `ingest` as a subflow; the summary and the data-quality
report are made inside it. `publish` puts each artifact on the current run and, when that run is a
subflow, on the top-level run as well, so the deployment's run page shows them.

Artifact keys, one per kind (README "Prefect"): `ingest-run` (counts and stage seconds of an ingest
run), `data-quality` (the batch's GX results, from the load), `warehouse-validation` (a
whole-warehouse `validate` run).
"""

from __future__ import annotations

from newsflow.flows.guards import nonfatal

INGEST_RUN = "ingest-run"
DATA_QUALITY = "data-quality"
WAREHOUSE_VALIDATION = "warehouse-validation"


def publish(markdown: str, key: str, description: str | None = None) -> None:
    """A markdown artifact on this run and on its top-level flow run (if different).

    Never raises: artifacts are published after the run's COMMIT, and an API that refuses one
    (down, overloaded) must not fail a run whose data is loaded; a warning says what is missing.
    """
    with nonfatal(f"artifact {key!r} not published"):
        _publish(markdown, key, description)


def _publish(markdown: str, key: str, description: str | None) -> None:
    from prefect.artifacts import create_markdown_artifact
    from prefect.runtime import flow_run

    create_markdown_artifact(markdown, key=key, description=description)
    root, here = flow_run.root_flow_run_id, flow_run.id
    if root and here and str(root) != str(here):
        from prefect.client.orchestration import get_client
        from prefect.client.schemas.actions import ArtifactCreate

        with get_client(sync_client=True) as client:
            client.create_artifact(ArtifactCreate(key=key, type="markdown", data=markdown, description=description,
                                                  flow_run_id=root))
