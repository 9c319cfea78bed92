"""Run the suites on a run's batch or on the whole warehouse, with GX Core on pandas DataFrames.

GX 1.24 cannot validate DuckDB through its SQL datasource, so callers pass DataFrames (a batch built
in memory, or `con.sql("FROM articles").df()`). GX takes 2-3 s to import, so it is imported inside
`validate()` only; importing this module costs nothing.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Protocol

from newsflow.expectations.suites import (
    QUARANTINE_ID,
    QUARANTINE_TABLE,
    REQUIRED_COLUMNS,
    RESIDUE_MARKERS,
    SUITES,
    Check,
    QualityConfig,
    checks,
)

if TYPE_CHECKING:
    import pandas as pd

DQ_COLUMNS = ("run_id", "suite", "expectation", "column_name", "success", "observed_value", "severity",
              "validated_at", "expectation_type")
GX_INDEX = "gx-index.html"
OBSERVED_MAX = 300  # characters of observed_value kept in dq_results
_EXAMPLES = 3  # offending values or ids quoted per failed check
_PARTIAL = 20  # GX's partial_unexpected_count: examples a SUMMARY result keeps
# The column that names a failing row in observed_value (rejects rows have no id).
INDEX_COLUMNS = {"articles": QUARANTINE_ID, "documents": "document_id", "runs": "run_id"}
_RESIDUE = {name: re.compile(r"^[ \t]*(?:" + p + ")", re.I | re.M) for name, p in RESIDUE_MARKERS.items()}


class ValidationFailed(Exception):
    """A critical expectation failed: the batch must not be committed."""

    def __init__(self, report: Report):
        self.report = report
        reasons = "\n  - ".join(report.critical_failures)
        super().__init__(f"data quality check failed for run {report.run_id} "
                         f"({len(report.critical_failures)} critical):\n  - {reasons}")


@dataclass
class Report:
    """What one validation found. `results` rows have the columns of the `dq_results` table."""

    run_id: str
    results: list[dict[str, Any]] = field(default_factory=list)
    validated_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    critical_failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    quarantine: dict[str, list[str]] = field(default_factory=dict)
    """article_id -> names of the warning checks its row failed; keep these rows out of `articles`"""
    passed: int = 0
    failed: int = 0
    seconds: float = 0.0
    docs_index: Path | None = None
    """index.html of the Data Docs folder: every result in one static table, linking the GX pages"""
    docs_gx_index: Path | None = None
    """GX's own index page; its table is drawn by JavaScript from CDNs, so it needs internet"""

    @property
    def ok(self) -> bool:
        """No critical failure: the batch may be committed."""
        return not self.critical_failures

    def failing(self, fail_on: str = "critical") -> list[str]:
        """The failures that fail a validation at `fail_on` severity: the critical ones, and with
        "warning" (`newsflow validate --fail-on warning`) the warnings too."""
        return self.critical_failures + (self.warnings if fail_on == "warning" else [])

    def results_frame(self) -> pd.DataFrame:
        """The results as a DataFrame with exactly the `dq_results` columns, ready to INSERT."""
        import pandas as pd

        return pd.DataFrame(self.results, columns=list(DQ_COLUMNS))

    def raise_for_critical(self) -> None:
        if self.critical_failures:
            raise ValidationFailed(self)


def quiet_gx_environment() -> None:
    """GX offline and silent: no analytics. Must run before `great_expectations` is imported."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"


def load_gx() -> None:
    """Import GX now (2-3 s), quietly: callers pay it before they hold a transaction open."""
    quiet_gx_environment()
    import great_expectations  # noqa: F401


def result_format_for(table: str) -> dict[str, Any]:
    """GX result format of a table's checkpoint: failing rows' ids, and every one for quarantine."""
    if table == QUARANTINE_TABLE:
        # COMPLETE + index column: every failing row's article_id, for quarantine.
        return {"result_format": "COMPLETE", "unexpected_index_column_names": [QUARANTINE_ID],
                "return_unexpected_index_query": False}
    result_format: dict[str, Any] = {"result_format": "SUMMARY"}
    if table in INDEX_COLUMNS:
        result_format["unexpected_index_column_names"] = [INDEX_COLUMNS[table]]
    return result_format


def validate(frames: Mapping[str, pd.DataFrame | Rows], config: QualityConfig | None, run_id: str,
             docs_dir: Path | None = None, *, now: datetime | None = None,
             user: Mapping[str, list[dict[str, Any]]] | None = None, chunk_rows: int | None = None) -> Report:
    """Validate each table's rows against its suite; build Data Docs into `docs_dir` if given.

    `frames` maps table name (articles, documents, rejects, runs) to a DataFrame with that table's
    columns, or to `Rows` (a run's staged rows read back a chunk at a time); any subset may be given,
    but `runs` needs `documents` and `rejects` to check its counts. A DataFrame is cut into chunks
    of `chunk_rows` (None: one chunk). `user` holds the expectations a user added to the GX
    project's stored suites, as their JSON (`project.stored_user_expectations`): they run after the
    built-ins, with their `meta.severity`.

    Rows are checked a chunk at a time, so memory does not grow with the run: GX validates each
    chunk and the results of an expectation are merged (counts summed, examples and quarantined ids
    in row order), which gives what one validation of all the rows gives. Expectations that compare
    rows with each other (uniqueness) or summarize a column run once, on a frame of only the
    columns they read (ids, hashes). A table that fits in one chunk is validated in one GX run.
    """
    started = time.perf_counter()
    now = now or datetime.now(timezone.utc)
    all_checks = checks(config, now)
    prepared = _prepare(frames, chunk_rows)

    quiet_gx_environment()
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )
    from great_expectations.expectations.row_conditions import Column

    from newsflow.expectations.project import expectations_from_json, parameter_values, user_check

    sites = {}
    if docs_dir is not None:
        docs_dir = Path(docs_dir)
        docs_dir.mkdir(parents=True, exist_ok=True)
        sites = {"newsflow": {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir.resolve())},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }}
    context = gx.get_context(mode="ephemeral", project_config=DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        data_docs_sites=sites,
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    ))
    source = context.data_sources.add_pandas("newsflow")

    report = Report(run_id=run_id)
    order = {c.name: i for i, c in enumerate(all_checks)}  # results in suite order, not GX's
    gx_run = RunIdentifier(run_name=run_id)
    # The user's expectations may use the built-ins' suite parameters ({"$PARAMETER": "min_words"}).
    params = parameter_values(config or QualityConfig(), now) if user else None

    runners: dict[str, tuple] = {}
    positions: dict[str, int] = {}  # expectation id -> its place in the table's list of expectations

    def run(name: str, expectations: list[tuple[int, Any]], frame: pd.DataFrame, result_format: dict,
            chunk: int | None = None) -> list:
        """One GX validation of `frame` with the suite `name` of (place, expectation) (added once).

        Chunk i of a table is GX run `<run_id>-chunk-<i>`: else each chunk's Data Docs page would
        overwrite the last one's (same suite, run and batch).
        """
        if name not in runners:
            # Built whole, then added once: add_expectation() on a stored suite re-saves it every time.
            suite = context.suites.add(gx.ExpectationSuite(name=name, expectations=[e for _, e in expectations]))
            positions.update((e.id, i) for (i, _), e in zip(expectations, suite.expectations))  # ids given by add
            batch = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe(name)
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=f"{name}_validation", data=batch, suite=suite))
            checkpoint = None
            if docs_dir is not None:
                # One checkpoint per suite: a checkpoint's batch_parameters (the DataFrame) apply to all
                # its validation definitions. Docs are built once below, not per checkpoint (2x faster).
                checkpoint = context.checkpoints.add(gx.Checkpoint(
                    name=f"{name}_checkpoint", validation_definitions=[definition], actions=[],
                    result_format=result_format))
            runners[name] = (definition, checkpoint)
        definition, checkpoint = runners[name]
        if checkpoint is not None:
            run_name = gx_run if chunk is None else RunIdentifier(f"{run_id}-chunk-{chunk:04d}", gx_run.run_time)
            outcome = checkpoint.run(batch_parameters={"dataframe": frame}, expectation_parameters=params,
                                     run_id=run_name)
            (validation,) = outcome.run_results.values()
        else:
            validation = definition.run(batch_parameters={"dataframe": frame}, expectation_parameters=params,
                                        result_format=result_format, run_id=gx_run)
        return list(validation.results)

    for table, rows in prepared.items():
        table_checks = [c for c in all_checks if c.table == table]
        by_name = {c.name: c for c in table_checks}
        stored = user[table] if user and user.get(table) else []

        def expectations(keep=lambda e: True) -> list[tuple[int, Any]]:
            """Fresh GX objects (one can be in one suite only): the built-ins, then the user's, by place."""
            built = [*(_expectation(gxe, Column, c) for c in table_checks), *expectations_from_json(table, stored)]
            return [(i, e) for i, e in enumerate(built) if keep(e)]

        everything = expectations()
        users = {i: user_check(table, e) for i, e in everything[len(table_checks):]}
        result_format = result_format_for(table)
        chunks = iter(rows.chunks())
        pending = [next(chunks)]
        if (second := next(chunks, None)) is None:  # every row in one frame: one GX run, GX's own results
            results = run(table, everything, _prepare_chunk(table, pending.pop()), result_format)
        else:
            pending.append(second)
            del second
            merged: dict[int, _Merged] = {}
            row_wise = expectations(_row_wise)

            def frames():
                while pending:  # popped, so that no chunk outlives its turn
                    yield _prepare_chunk(table, pending.pop(0))
                for chunk in chunks:
                    yield _prepare_chunk(table, chunk)

            for i, frame in enumerate(frames(), 1):
                for result in run(f"{table}.chunks", row_wise, frame, result_format, chunk=i):
                    place = positions[result.expectation_config.id]
                    merged.setdefault(place, _Merged(result.expectation_config, params)).add(result)
            results = [merged[k] for k in sorted(merged)]
            if across := expectations(lambda e: not _row_wise(e)):
                needed = _columns_read([e for _, e in across], rows.column_names, INDEX_COLUMNS.get(table))
                results += run(f"{table}.whole", across, _prepare_chunk(table, rows.columns(needed)), result_format)
        ordered = []
        for result in results:
            config_ = result.expectation_config
            place = positions[config_.id]
            check = by_name.get((config_.meta or {}).get("check")) if place < len(table_checks) else users[place]
            ordered.append(((order.get(check.name, len(order)), place), check, result))
        for _, check, result in sorted(ordered, key=lambda r: r[0]):
            _record(report, table, check, result)

    if docs_dir is not None:
        context.build_data_docs(site_names=["newsflow"])
        # GX's index draws its table with scripts from CDNs (blank offline): keep it as
        # gx-index.html and make our static page the folder's index.
        (docs_dir / "index.html").replace(docs_dir / GX_INDEX)
        report.docs_gx_index = docs_dir / GX_INDEX
    report.quarantine = {k: sorted(v) for k, v in sorted(report.quarantine.items())}
    if docs_dir is not None:
        report.docs_index = _write_summary_html(report, docs_dir)
    report.seconds = time.perf_counter() - started
    return report


def verdict(report: Report, fail_on: str = "critical") -> str:
    """The one wording of a validation's outcome, wherever it is shown (CLI, Data Docs index, Prefect
    artifact): `passed`, `passed with warnings`, or `FAILED` when an expectation of `fail_on`
    severity or worse failed (`newsflow validate --fail-on warning` fails on a warning too)."""
    if report.failing(fail_on):
        return "FAILED"
    return "passed with warnings" if report.failed else "passed"


def markdown_summary(report: Report, max_rows: int = 30, fail_on: str = "critical") -> str:
    """A Markdown summary of the report, for a Prefect artifact or a terminal."""
    lines = [
        f"# Data quality: {verdict(report, fail_on)}",
        "",
        f"Run `{report.run_id}`: {report.passed} expectations passed, {report.failed} failed "
        f"({len(report.critical_failures)} critical), {len(report.quarantine)} articles quarantined, "
        f"{report.seconds:.2f} s.",
    ]
    if report.docs_index:
        lines += ["", f"Data Docs: `{report.docs_index}`"]
    failed = [r for r in report.results if not r["success"]]
    if failed:
        failed.sort(key=lambda r: (r["severity"] != "critical", r["suite"], r["expectation"]))
        lines += ["", "| severity | suite | expectation | column | observed |", "|---|---|---|---|---|"]
        for r in failed[:max_rows]:
            lines.append(f"| {r['severity']} | {r['suite']} | {r['expectation']} | {r['column_name'] or ''} "
                         f"| {_md_cell(r['observed_value'])} |")
        if len(failed) > max_rows:
            lines.append(f"\n…and {len(failed) - max_rows} more failed expectations (see dq_results).")
    if report.quarantine:
        lines += ["", "## Quarantined articles", "", "| article_id | caught by |", "|---|---|"]
        for article_id, names in list(report.quarantine.items())[:max_rows]:
            lines.append(f"| {article_id} | {', '.join(names)} |")
        if len(report.quarantine) > max_rows:
            lines.append(f"\n…and {len(report.quarantine) - max_rows} more.")
    return "\n".join(lines) + "\n"


def text_summary(report: Report, max_rows: int = 30, fail_on: str = "critical") -> str:
    """A plain-text summary for a terminal: counts, then failures grouped by severity."""
    status = verdict(report, fail_on)
    failed = [r for r in report.results if not r["success"]]
    by_severity = {sev: [r for r in failed if r["severity"] == sev] for sev in ("critical", "warning")}
    lines = [f"Data quality: {status} (run {report.run_id})",
             f"{report.passed + report.failed} expectations: {report.passed} passed, {report.failed} failed "
             f"({len(by_severity['critical'])} critical, {len(by_severity['warning'])} warning); "
             f"{len(report.quarantine)} articles quarantined; {report.seconds:.1f} s"]
    for severity, rows in by_severity.items():
        if not rows:
            continue
        lines += ["", f"{severity} failures ({len(rows)}):"]
        for r in sorted(rows, key=lambda r: (r["suite"], r["expectation"]))[:max_rows]:
            column = f" [{r['column_name']}]" if r["column_name"] else ""
            lines.append(f"  {r['suite']}.{r['expectation']}{column}: {r['observed_value'] or ''}")
        if len(rows) > max_rows:
            lines.append(f"  ...and {len(rows) - max_rows} more (SELECT * FROM dq_results WHERE run_id = "
                         f"'{report.run_id}' AND NOT success)")
    if report.docs_index:
        lines += ["", f"Data Docs: {report.docs_index}"]
    return "\n".join(lines) + "\n"


def _write_summary_html(report: Report, docs_dir: Path, fail_on: str = "critical") -> Path:
    """A plain-HTML page of the results, linking each suite to its GX validation page.

    GX's own index builds its table with jQuery and bootstrap-table loaded from CDNs, so it
    shows an empty table offline; its validation pages are static and open fine.
    """
    from html import escape

    pages = {table: found for table in sorted({r["suite"] for r in report.results})
             if (found := _validation_pages(docs_dir, table, report.run_id))}
    status = verdict(report, fail_on)
    rows = []
    for r in sorted(report.results, key=lambda r: (r["success"], r["severity"] != "critical", r["suite"])):
        suite = escape(r["suite"])
        if r["suite"] in pages:
            suite = f'<a href="{escape(pages[r["suite"]][0][2])}">{suite}</a>'
        rows.append(f'<tr class="{"ok" if r["success"] else r["severity"]}"><td>{"pass" if r["success"] else "FAIL"}</td>'
                    f'<td>{escape(r["severity"])}</td><td>{suite}</td><td>{escape(r["expectation"])}</td>'
                    f'<td>{escape(r["column_name"] or "")}</td><td>{escape(r["observed_value"] or "")}</td></tr>')
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>newsflow data quality: {escape(report.run_id)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}}
tr.critical{{background:#fdd}}tr.warning{{background:#ffd}}</style></head><body>
<h1>Data quality: {status}</h1>
<p>Run <code>{escape(report.run_id)}</code>: {report.passed} expectations passed, {report.failed} failed
({len(report.critical_failures)} critical), {len(report.quarantine)} articles quarantined.
GX's own index: <a href="{GX_INDEX}">{GX_INDEX}</a> (needs internet for its scripts); suites and their
validation pages: {"; ".join(_page_links(table, found) for table, found in pages.items())}.</p>
<table><tr><th>result</th><th>severity</th><th>suite</th><th>expectation</th><th>column</th><th>observed</th></tr>
{chr(10).join(rows)}
</table></body></html>
"""
    path = docs_dir / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


def _validation_pages(docs_dir: Path, table: str, run_id: str) -> list[tuple[str, str, str]]:
    """(GX suite, label, path) of this run's validation pages of a table.

    One page, or, when validate() ran the table in chunks, a page per chunk (suite `<table>.chunks`)
    and one for the expectations that read every row at once (`<table>.whole`).
    """
    found = []
    folder = docs_dir / "validations" / table  # GX turns a suite name's dots into folders
    runs = [(table, "validation", folder / run_id),
            *((f"{table}.chunks", f"chunk {int(d.name.rsplit('-', 1)[1])}", d)
              for d in sorted((folder / "chunks").glob(f"{run_id}-chunk-*"))),
            (f"{table}.whole", "all rows", folder / "whole" / run_id)]
    for suite, label, run_dir in runs:
        found += [(suite, label, page.relative_to(docs_dir).as_posix()) for page in sorted(run_dir.rglob("*.html"))]
    return found


def _page_links(table: str, pages: list[tuple[str, str, str]]) -> str:
    """`table (validation)` or `table (chunk 1, chunk 2, all rows)`, linking the suite and validation pages."""
    from html import escape

    links = ", ".join(f'<a href="{escape(path)}">{escape(label)}</a>' for _, label, path in pages)
    suite_page = "expectations/" + pages[0][0].replace(".", "/") + ".html"
    return f'<a href="{escape(suite_page)}">{escape(table)}</a> ({links})'


def residue_found(text: str) -> list[tuple[str, str]]:
    """(marker, matched text) for each boilerplate residue marker found in `text`."""
    return [(name, m.group(0).strip()) for name, rx in _RESIDUE.items() if (m := rx.search(text))]


class Rows(Protocol):
    """A table's rows for validation, without holding them all: every column a chunk at a time, or
    chosen columns of every row (in the same row order). warehouse.staged.StagedRows reads a run's
    staged rows this way; FrameRows cuts a DataFrame."""

    column_names: list[str]

    def chunks(self) -> Iterator[pd.DataFrame]:
        """Every row, a chunk at a time, in order; at least one (empty) frame when there is none."""

    def columns(self, names: list[str]) -> pd.DataFrame:
        """The `names` columns of every row, in the order of `chunks`."""


class FrameRows:
    """A DataFrame as Rows: `chunk_rows` rows at a time (None: the whole frame as one chunk)."""

    def __init__(self, frame: pd.DataFrame, chunk_rows: int | None = None):
        self.frame, self.chunk_rows = frame, chunk_rows
        self.column_names = list(frame.columns)

    def chunks(self) -> Iterator[pd.DataFrame]:
        size = self.chunk_rows or max(len(self.frame), 1)
        yield self.frame.iloc[:size]
        for start in range(size, len(self.frame), size):
            yield self.frame.iloc[start:start + size]

    def columns(self, names: list[str]) -> pd.DataFrame:
        return self.frame[names]


def _prepare(frames: Mapping[str, pd.DataFrame | Rows], chunk_rows: int | None = None) -> dict[str, Rows]:
    """Check the tables' columns, and derive the runs checks' columns, without touching the caller's frames."""
    import pandas as pd

    unknown = set(frames) - set(SUITES)
    if unknown:
        raise ValueError(f"no suite for {sorted(unknown)}; frames may be any of {list(SUITES)}")
    if "runs" in frames and not {"documents", "rejects"} <= set(frames):
        raise ValueError("validating `runs` needs the `documents` and `rejects` frames too (to check counts)")
    out: dict[str, Rows] = {t: frames[t] if hasattr(frames[t], "chunks") else FrameRows(frames[t], chunk_rows)
                            for t in SUITES if t in frames}
    for table, rows in out.items():
        missing = [c for c in REQUIRED_COLUMNS[table] if c not in rows.column_names]
        if missing:
            raise ValueError(f"the {table} frame lacks columns {missing}; pass the table's columns "
                             f"(see expectations.suites.REQUIRED_COLUMNS)")
    if "runs" in out:  # a few rows: derived whole (documents and rejects give their run_id only)
        runs = pd.concat(list(out["runs"].chunks()))
        out["runs"] = FrameRows(_derive_runs(runs, out["documents"].columns(["run_id"]),
                                             out["rejects"].columns(["run_id"])))
    return out


def _prepare_chunk(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """What the checks need of one chunk of `table`, without touching the caller's frame."""
    import pandas as pd

    if table == "articles" and "published_at" in frame.columns:
        # Naive timestamps are taken as UTC, as the warehouse (TimeZone=UTC) does.
        frame = frame.copy(deep=False)  # copy-on-write: cheap
        frame["published_at"] = pd.to_datetime(frame["published_at"], utc=True)
    return frame


# Map expectations that still compare a row with other rows: they need every row at once.
_CROSS_ROW = frozenset({"ExpectColumnValuesToBeUnique", "ExpectCompoundColumnsToBeUnique",
                        "ExpectMulticolumnValuesToBeUnique", "ExpectColumnValuesToBeIncreasing",
                        "ExpectColumnValuesToBeDecreasing"})


def _row_wise(expectation) -> bool:
    """True when each row passes or fails on its own, so chunks' results add up to the whole's."""
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )

    return (isinstance(expectation, (ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation))
            and type(expectation).__name__ not in _CROSS_ROW)


def _columns_read(expectations: list, available: list[str], index_column: str | None) -> list[str]:
    """The columns `expectations` read (plus the id column that names failing rows); all of them if one
    names no column or filters rows by a condition."""
    wanted = [index_column] if index_column in available else []
    for e in expectations:
        kwargs = e.configuration.kwargs
        named = [kwargs[k] for k in ("column", "column_A", "column_B") if kwargs.get(k)] + list(kwargs.get("column_list") or [])
        if not named or kwargs.get("row_condition"):
            return list(available)
        wanted += [c for c in named if c in available and c not in wanted]
    return wanted


class _Merged:
    """One row-wise expectation's results over the chunks, read like a GX result by `_record`."""

    def __init__(self, config, params: Mapping[str, Any] | None):
        self.expectation_config = config
        mostly = config.kwargs.get("mostly", 1.0)
        if isinstance(mostly, dict) and "$PARAMETER" in mostly:  # a suite parameter
            mostly = (params or {}).get(mostly["$PARAMETER"], 1.0)
        self.mostly = 1.0 if mostly is None else float(mostly)
        self.exception_info: dict = {}
        self.successes: list[bool] = []
        self.element_count = self.missing_count = 0
        self.unexpected_count: int | None = None
        self.lists: dict[str, list] = {}

    def add(self, result) -> None:
        res = result.result or {}
        self.successes.append(bool(result.success))
        if not self.exception_info and _error(result.exception_info or {}):
            self.exception_info = result.exception_info
        self.element_count += res.get("element_count") or 0
        self.missing_count += res.get("missing_count") or 0
        if res.get("unexpected_count") is not None:
            self.unexpected_count = (self.unexpected_count or 0) + res["unexpected_count"]
        for key in ("unexpected_list", "unexpected_index_list", "partial_unexpected_list",
                    "partial_unexpected_index_list"):
            if res.get(key):
                kept = self.lists.setdefault(key, [])
                # GX keeps 20 partial examples; the complete lists (quarantine) keep every row.
                kept += res[key][:max(0, _PARTIAL - len(kept))] if key.startswith("partial") else res[key]

    @property
    def success(self) -> bool:
        """GX's rule for map expectations, on the summed counts (vacuously true without rows)."""
        if _error(self.exception_info):
            return False
        if self.unexpected_count is None:
            return all(self.successes)
        considered = self.element_count - self.missing_count
        if not self.element_count or not considered:
            return True
        return (considered - self.unexpected_count) / considered >= self.mostly

    @property
    def result(self) -> dict:
        return {"element_count": self.element_count, "unexpected_count": self.unexpected_count,
                "missing_count": self.missing_count, **self.lists}


def _derive_runs(runs: pd.DataFrame, documents: pd.DataFrame, rejects: pd.DataFrame) -> pd.DataFrame:
    """Add the columns the runs checks compare: count sums, rows seen per run, and rates."""
    counts = runs["new_articles"] + runs["duplicates"] + runs["rejected"]
    if "quarantined" in runs.columns:  # quarantined articles are inputs that became neither
        counts = counts + runs["quarantined"].fillna(0)
    seen = (documents["run_id"].value_counts().reindex(runs["run_id"], fill_value=0).to_numpy()
            + rejects["run_id"].value_counts().reindex(runs["run_id"], fill_value=0).to_numpy())
    # Re-reads (an input read again that gave the article it gave before: reprocess, --refresh) are
    # duplicates by design, as an unchanged input skipped unread would have been none: the rate is
    # that of the other inputs, so a run gets the same rate whether its known inputs were re-read or
    # skipped. None left (a reprocess that changed nothing): no rate (NULL, not checked).
    rereads = runs["rereads"].fillna(0) if "rereads" in runs.columns else 0
    fresh = runs["inputs"] - rereads
    # Rejects are read again at every run while unchanged files are not: against the inputs alone, a
    # re-run of a corpus with 3 bad files of 100 would warn of a 100% reject rate.
    considered = runs["inputs"] + (runs["unchanged"].fillna(0) if "unchanged" in runs.columns else 0)
    return runs.assign(counts_total=counts.astype("int64"), documents_and_rejects=seen.astype("int64"),
                       duplicate_rate=(runs["duplicates"] - rereads) / fresh.where(fresh > 0),
                       reject_rate=runs["rejected"] / considered.where(considered > 0))


def _expectation(gxe, column_cls, check: Check):
    """The GX expectation object for a check; severity and check name travel in it."""
    kwargs = dict(check.kwargs)
    if "row_condition" in kwargs:
        name, value = kwargs.pop("row_condition")
        kwargs["row_condition"] = column_cls(name) == value
    return getattr(gxe, check.expectation)(
        **kwargs, severity=check.severity,
        meta={"check": check.name, "quarantine": check.quarantines},
        notes=f"**{check.severity}**{' (quarantines rows)' if check.quarantines else ''}: {check.description}",
    )


def _record(report: Report, table: str, check: Check, result) -> None:
    """Turn one GX expectation result into a dq_results row, a reason, and quarantined ids."""
    success = bool(result.success)
    observed = _observed(check, result.result or {}, result.exception_info or {})
    report.results.append({
        "run_id": report.run_id, "suite": table, "expectation": check.name, "column_name": check.column,
        "success": success, "observed_value": observed, "severity": check.severity,
        "validated_at": report.validated_at, "expectation_type": result.expectation_config.type,
    })
    if success:
        report.passed += 1
        return
    report.failed += 1
    reason = f"{table}.{check.name} ({check.description}): {observed}"
    if check.severity == "critical":
        report.critical_failures.append(reason)
        return
    report.warnings.append(reason)
    if check.quarantines:
        for row in (result.result or {}).get("unexpected_index_list") or []:
            report.quarantine.setdefault(str(row[QUARANTINE_ID]), []).append(check.name)


def _observed(check: Check, res: dict, exc: dict) -> str:
    """A short text for dq_results.observed_value: the metric, or how many rows failed and examples."""
    if error := _error(exc):
        return _clip(f"error: {error}")
    if "observed_value" in res:
        return _clip(_short(res["observed_value"]))
    if "unexpected_count" not in res:
        return ""
    text = f"{res['unexpected_count']} of {res.get('element_count')} rows unexpected"
    if not res["unexpected_count"]:
        return text
    id_column = INDEX_COLUMNS.get(check.table)
    rows = res.get("unexpected_index_list") or res.get("partial_unexpected_index_list")
    if rows and id_column:
        values = res.get("unexpected_list") or []
        examples = [f"{row.get(id_column)} {_offending(check, row, values[i] if i < len(values) else None)}".strip()
                    for i, row in enumerate(rows[:_EXAMPLES])]
        text += ": " + "; ".join(examples)
    elif values := res.get("partial_unexpected_list"):
        text += ", e.g. " + ", ".join(_example(v) for v in values[:_EXAMPLES])
    return _clip(text)


def _offending(check: Check, row: dict, value: Any) -> str:
    """What was wrong in one failing row, for the examples in observed_value."""
    kw = check.kwargs
    if check.name == "text_no_residue" and value is not None:
        return ", ".join(f"{marker} {snippet[:40]!r}" for marker, snippet in residue_found(str(value))[:2])
    if "column_A" in kw:
        return f"{kw['column_A']}={_example(row.get(kw['column_A']))} vs {kw['column_B']}={_example(row.get(kw['column_B']))}"
    column = kw.get("column")
    if column and column in row and column != INDEX_COLUMNS.get(check.table):
        return _example(row[column])
    return ""


def _error(exc: dict) -> str | None:
    """The message of an exception GX caught while checking; it nests them per metric."""
    if exc.get("raised_exception"):
        return str(exc.get("exception_message"))
    for value in exc.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message"))
    return None


def _plain(value: Any) -> Any:
    """numpy scalars (and tuples of them) as plain Python values, so they print as 7 not np.int64(7);
    pandas's marks for a missing value (NaN, NaT, NA) as None, so they print as NULL, as in the warehouse."""
    import pandas as pd

    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") and not isinstance(value, (str, bytes)) else value


def _example(value: Any) -> str:
    """A failing row's value as the examples print it: plain Python, missing as NULL, shortened."""
    return _short(_plain(value))


def _short(value: Any, width: int = 60) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, datetime):
        return value.isoformat()
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _clip(text: str) -> str:
    return text if len(text) <= OBSERVED_MAX else text[: OBSERVED_MAX - 1] + "…"


def _md_cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")
