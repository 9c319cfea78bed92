"""The GX project in `expectations/gx/`: stored suites, checkpoints, validation results, Data Docs.

A GX user works on it with GX's own API:

    import great_expectations as gx
    context = gx.get_context(mode="file", project_root_dir="expectations")
    suite = context.suites.get("articles")
    suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(
        column="site_name", meta={"severity": "warning"}))   # add_expectation saves the suite

and the next `newsflow validate` runs it, and so does every ingest's batch gate (runner.validate reads
the user's expectations from the suite files: stored_user_expectations). Each table (articles, documents, rejects, runs) has a suite,
a validation definition and a checkpoint of that name (a checkpoint's batch parameters, the table's
DataFrame, apply to all its definitions, so one checkpoint per table).

The built-in expectations come from `suites.checks()` and carry `meta.check` (their name) and
`meta.severity`; thresholds that come from settings are GX suite parameters (`{"$PARAMETER": …}`)
filled in at run time, so the stored JSON does not change with newsflow.toml or the clock. Any other
expectation in a stored suite is the user's: it runs as stored, with `meta.severity` (critical or
warning; default: GX's own `severity`, itself critical by default); `meta.quarantine: true` on an
articles warning holds failing rows back. GX is imported lazily (2-3 s).
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from newsflow.expectations.suites import (
    QUARANTINE_TABLE,
    SEVERITIES,
    SUITES,
    Check,
    QualityConfig,
    checks,
)

if TYPE_CHECKING:
    import pandas as pd

    from newsflow.expectations.runner import Report

SHIPPED_ROOT = Path(__file__).resolve().parent  # the project newsflow ships (in a checkout: expectations/gx)
PROJECT_ROOT = Path("expectations")
"""The default project folder, like every default path: relative to the working directory. In a checkout
that is the shipped project; anywhere else (an installed package), `newsflow validate` starts one there
as a copy of the shipped one, so the history and a user's expectations never live inside site-packages."""
DATASOURCE = "newsflow"
SITE = "local_site"  # GX's default Data Docs site in a file project: gx/uncommitted/data_docs/local_site

# Settings-driven thresholds, stored as suite parameters: check -> {kwarg: parameter name}.
PARAMETERS: dict[str, dict[str, str]] = {
    "word_count_in_bounds": {"min_value": "min_words", "max_value": "max_words"},
    "language_allowed": {"value_set": "languages"},
    "language_prob_floor": {"min_value": "min_language_prob"},
    "published_at_plausible": {"min_value": "earliest_published", "max_value": "latest_published"},
    "duplicate_rate_in_bounds": {"max_value": "max_duplicate_rate"},
    "reject_rate_in_bounds": {"max_value": "max_reject_rate"},
}


def parameter_values(config: QualityConfig, now: datetime) -> dict[str, Any]:
    """The run-time values of the suite parameters in PARAMETERS."""
    return {"min_words": config.min_words, "max_words": config.max_words, "languages": list(config.languages),
            "min_language_prob": config.min_language_prob, "earliest_published": config.earliest_published,
            "latest_published": now + config.future_tolerance, "max_duplicate_rate": config.max_duplicate_rate,
            "max_reject_rate": config.max_reject_rate}


def get_context(root: Path | str | None = None):
    """GX's file data context of the project in `root` (default `PROJECT_ROOT`; a copy of the shipped one if missing)."""
    from newsflow.expectations.runner import quiet_gx_environment

    quiet_gx_environment()
    import great_expectations as gx

    root = Path(root or PROJECT_ROOT)
    if not (root / "gx").exists() and root.resolve() != SHIPPED_ROOT:
        # a new project starts as the shipped one (its datasource and settings), without its history
        shutil.copytree(SHIPPED_ROOT / "gx", root / "gx", ignore=shutil.ignore_patterns("uncommitted", "__pycache__"))
    return gx.get_context(mode="file", project_root_dir=str(root))


def builtin_expectations(table: str, config: QualityConfig | None = None) -> list:
    """The built-in expectations of a table's suite, as stored (thresholds as suite parameters)."""
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    from newsflow.expectations.runner import _expectation

    defaults = QualityConfig()
    # `mostly` cannot be a suite parameter: the stored value follows the setting (saved when it changes).
    config = config or defaults
    out = []
    for check in checks(QualityConfig(min_title_rate=config.min_title_rate), datetime(2000, 1, 1, tzinfo=timezone.utc)):
        if check.table != table:
            continue
        kwargs = dict(check.kwargs)
        for kwarg, name in PARAMETERS.get(check.name, {}).items():
            kwargs[kwarg] = {"$PARAMETER": name}
        expectation = _expectation(gxe, Column, replace(check, kwargs=kwargs))
        expectation.meta = {**(expectation.meta or {}), "severity": check.severity}
        out.append(expectation)
    return out


def builtin_names() -> frozenset[str]:
    """Every check suites.py can make, whatever the settings (the language checks exist only when
    languages are listed): a stored expectation whose meta.check is one of these is built-in, never a user's."""
    then = datetime(2000, 1, 1, tzinfo=timezone.utc)
    return frozenset(c.name for config in (QualityConfig(), QualityConfig(languages=("en",)))
                     for c in checks(config, then))


def stored_user_expectations(root: Path | str | None = None) -> dict[str, list[dict[str, Any]]]:
    """The user's expectations in the project's stored table suites, as their JSON: {table: [expectation]}.

    Reads the suite files (gx/expectations/<table>.json) without GX, so a run whose project holds only
    the built-in expectations (marked by meta.check) pays nothing for it. Tables with none are left out.
    """
    folder = Path(root or PROJECT_ROOT) / "gx" / "expectations"
    builtin = builtin_names()
    out = {}
    for table in SUITES:
        path = folder / f"{table}.json"
        if not path.is_file():
            continue
        try:
            suite = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot read the GX suite {path}: {exc}") from exc
        users = [e for e in suite.get("expectations") or []
                 if isinstance(e, dict) and (e.get("meta") or {}).get("check") not in builtin]
        if users:
            out[table] = users
    return out


def expectations_from_json(table: str, stored: list[dict[str, Any]]) -> list:
    """GX expectation objects, not yet in a suite, for stored expectation JSON (GX's own schema reads it)."""
    from great_expectations.core.expectation_suite import ExpectationSuite, ExpectationSuiteSchema

    # Without their stored ids: GX adds an expectation to one suite only, and the run's suite is new.
    out = []
    for entry in stored:
        entry = {k: v for k, v in entry.items() if k != "id"}
        try:
            suite = ExpectationSuite(**ExpectationSuiteSchema().load({"name": table, "expectations": [entry]}))
        except Exception as exc:  # say which suite and expectation, not a marshmallow trace
            suite, error = None, f"{type(exc).__name__}: {exc}"
        else:
            error = "unknown type or arguments"
        # GX logs and drops an expectation it cannot build; a user's check must not vanish silently.
        if suite is None or len(suite.expectations) != 1:
            raise ValueError(f"the GX project's suite {table!r} has an expectation GX cannot read "
                             f"({entry.get('type')!r}, {entry.get('kwargs')}): {error}")
        out.extend(suite.expectations)
    return out


def _shape(expectation) -> dict:
    """What makes two expectations the same, for deciding whether a stored suite is up to date."""
    config = expectation.configuration.to_json_dict()
    config.pop("id", None)
    return config


def ensure_project(context, config: QualityConfig | None = None) -> dict[str, Any]:
    """Create what is missing (datasource, assets, suites, definitions, checkpoints); refresh built-ins.

    A stored suite keeps its user expectations; its built-in ones (meta.check) are replaced only when
    they differ from suites.py, so an unchanged project is not rewritten. Returns {table: checkpoint}.
    """
    import great_expectations as gx
    from great_expectations.exceptions import DataContextError

    try:
        source = context.data_sources.get(DATASOURCE)
    except (KeyError, ValueError, DataContextError):
        source = context.data_sources.add_pandas(DATASOURCE)
    builtin = builtin_names()
    checkpoints = {}
    for table in SUITES:
        try:
            asset = source.get_asset(table)
        except (LookupError, ValueError, DataContextError):
            asset = source.add_dataframe_asset(table)
        try:
            batch = asset.get_batch_definition(table)
        except (KeyError, LookupError, ValueError, DataContextError):
            batch = asset.add_batch_definition_whole_dataframe(table)
        wanted = builtin_expectations(table, config)
        try:
            suite = context.suites.get(table)
        except DataContextError:
            suite = context.suites.add(gx.ExpectationSuite(name=table, expectations=wanted))
        else:
            stored = [e for e in suite.expectations if (e.meta or {}).get("check") in builtin]
            if [_shape(e) for e in stored] != [_shape(e) for e in wanted]:
                users = [e for e in suite.expectations if e not in stored]
                suite.expectations = wanted + users
                suite.save()
        try:
            definition = context.validation_definitions.get(table)
        except DataContextError:
            definition = context.validation_definitions.add(gx.ValidationDefinition(name=table, data=batch, suite=suite))
        try:
            checkpoint = context.checkpoints.get(table)
        except DataContextError:
            from newsflow.expectations.runner import result_format_for

            checkpoint = context.checkpoints.add(gx.Checkpoint(
                name=table, validation_definitions=[definition], actions=[], result_format=result_format_for(table)))
        checkpoints[table] = checkpoint
    return checkpoints


def user_check(table: str, expectation) -> Check:
    """A Check describing a user's expectation, so its results are recorded like the built-ins'."""
    meta = expectation.meta or {}
    severity = meta.get("severity") or getattr(getattr(expectation, "severity", None), "value", "critical")
    if severity not in SEVERITIES:
        severity = "critical" if severity != "info" else "warning"
    kwargs = {k: v for k, v in expectation.configuration.kwargs.items() if k in ("column", "column_A", "column_B",
                                                                                 "column_list")}
    name = meta.get("check") or f"{expectation.expectation_type}" + (f"_{kwargs['column']}" if "column" in kwargs else "")
    description = (expectation.description or expectation.notes or expectation.expectation_type)
    # Opt-in, as for the built-ins: a failing warning on articles holds its rows back.
    quarantine = table == QUARANTINE_TABLE and meta.get("quarantine") is True
    return Check(name, table, type(expectation).__name__, kwargs, severity, str(description), quarantine)


def build_docs(context, results: list) -> Path:
    """Data Docs: the pages of `results` (this call's validations) and of the suites, then the index;
    the site's folder.

    As GX's own UpdateDataDocsAction does: a full build renders every stored validation again
    (~8 ms each), so a nightly `validate` slowed down as its history grew. A site without an index
    (the first build, or after `uncommitted/data_docs` was deleted) is built in full.
    """
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

    site = Path(context.root_directory) / "uncommitted" / "data_docs" / SITE
    if not (site / "index.html").is_file():
        context.build_data_docs(site_names=[SITE])
        return site
    suites = [ExpectationSuiteIdentifier(name) for name in SUITES]  # a suite edited since shows as it is now
    context.build_data_docs(site_names=[SITE], resource_identifiers=[*results, *suites])
    return site


def validate_project(frames: Mapping[str, pd.DataFrame], config: QualityConfig | None, run_id: str,
                     root: Path | str | None = None, docs_dir: Path | None = None, *,
                     now: datetime | None = None, fail_on: str = "critical") -> Report:
    """Run each table's checkpoint of the GX project on its frame; results and Data Docs kept in the project.

    `docs_dir`, if given, gets a copy of the project's Data Docs (every stored validation) plus
    newsflow's static index.html of this run, headed by its verdict at `fail_on` (runner.verdict).
    """
    from newsflow.expectations.runner import GX_INDEX, Report, _prepare, _prepare_chunk, _record, _write_summary_html

    started = time.perf_counter()
    config = config or QualityConfig()
    now = now or datetime.now(timezone.utc)
    current = {c.name: c for c in checks(config, now)}
    # Whole tables, one frame each (FrameRows without a chunk size): the project's checkpoints run once.
    prepared = {t: _prepare_chunk(t, rows.frame) for t, rows in _prepare(frames).items()}
    context = get_context(root)
    for table, stored in stored_user_expectations(root).items():
        expectations_from_json(table, stored)  # GX would log and skip one it cannot build
    checkpoints = ensure_project(context, config)

    from great_expectations.core.run_identifier import RunIdentifier

    report = Report(run_id=run_id)
    gx_run = RunIdentifier(run_name=run_id, run_time=now)
    params = parameter_values(config, now)
    order = {name: i for i, name in enumerate(current)}
    results = []
    for table, frame in prepared.items():
        outcome = checkpoints[table].run(batch_parameters={"dataframe": frame}, expectation_parameters=params,
                                         run_id=gx_run)
        (validation,) = outcome.run_results.values()
        results.extend(outcome.run_results)  # their ValidationResultIdentifiers, for the Data Docs
        suite = {e.id: e for e in context.suites.get(table).expectations}
        rows = []
        for result in validation.results:
            cfg = result.expectation_config
            name = (cfg.meta or {}).get("check")
            if name in current:
                check = current[name]
            else:
                expectation = suite.get(cfg.id)
                check = user_check(table, expectation) if expectation else Check(
                    cfg.type, table, cfg.type, {}, "critical", cfg.type)
            rows.append((order.get(check.name, len(order)), check, result))
        for _, check, result in sorted(rows, key=lambda r: r[0]):
            _record(report, table, check, result)
    site = build_docs(context, results)
    report.quarantine = {k: sorted(v) for k, v in sorted(report.quarantine.items())}
    if docs_dir is not None:
        docs_dir = Path(docs_dir)
        shutil.copytree(site, docs_dir, dirs_exist_ok=True)
        (docs_dir / "index.html").replace(docs_dir / GX_INDEX)
        report.docs_gx_index = docs_dir / GX_INDEX
        report.docs_index = _write_summary_html(report, docs_dir, fail_on)
    report.seconds = time.perf_counter() - started
    return report
