"""Readable Prefect run names: what a run works on and when, instead of `expert-chupacabra`.

Prefect calls these with no arguments while the run starts; the run's parameters come from
`prefect.runtime`. Names are for people (UI, `prefect flow-run ls`); ids stay the keys.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import PurePosixPath
from typing import Any


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`1 input`, `2 inputs`: a count with its noun in the number it takes."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def _stamp() -> str:
    from prefect.runtime import flow_run

    when = flow_run.scheduled_start_time or datetime.now(timezone.utc)
    return f"{when:%Y%m%d-%H%M%S}"


def _label(value: Any) -> str:
    """The last path segment of a file, directory or URL, shortened."""
    text = str(value).rstrip("/")
    name = PurePosixPath(text.split("?", 1)[0]).name or text
    return name[:40]


def _overrides(settings: Any) -> dict:
    if settings is None:
        return {}
    if hasattr(settings, "model_dump"):
        return settings.model_dump(exclude_none=True)
    return dict(settings)


def _source_label(parameters: dict) -> str:
    inputs = parameters.get("inputs") or []
    sources = _overrides(parameters.get("settings")).get("sources")
    if inputs:
        return _label(inputs[0]) + (f"+{len(inputs) - 1}" if len(inputs) > 1 else "")
    if sources:
        return _label(sources)
    return "samples"


def ingest_run_name() -> str:
    """ingest-<first input or sources file>-<time>, e.g. ingest-inbox-20250304-083000."""
    from prefect.runtime import flow_run

    return f"ingest-{_source_label(flow_run.parameters)}-{_stamp()}"


def deployment_run_name() -> str:
    """<deployment>-<time> for a deployed run (inbox-hourly-20250304-081500), else <flow>-<what>-<time>."""
    from prefect.runtime import deployment, flow_run

    if deployment.name:
        return f"{deployment.name}-{_stamp()}"
    what = "warehouse" if flow_run.flow_name == "validate" else _source_label(flow_run.parameters)
    return f"{flow_run.flow_name}-{what}-{_stamp()}"


def batch_run_name() -> str:
    """process-batch-<first>..<last>-(<n>): the batch's first and last inputs."""
    from prefect.runtime import task_run

    items = task_run.parameters.get("items") or []
    if not items:
        return "process-batch-empty"
    first, last = _label(items[0].origin), _label(items[-1].origin)
    return f"process-batch-{first}..{last}-({len(items)})" if len(items) > 1 else f"process-batch-{first}"


def load_run_name() -> str:
    """load-<newsflow run id>: the `runs.run_id` the load writes."""
    from prefect.runtime import task_run

    run = task_run.parameters.get("run")
    return f"load-{run.run_id[:12]}" if run is not None else "load"
