"""The `newsflow` command line: a thin layer over the flows and the warehouse."""

from __future__ import annotations

import atexit
import os
import signal
import sys
import traceback

import click

QUIET_ENV = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "GX_ANALYTICS_ENABLED": "false",
    # Prefect's console handler shows only what breaks the run; logs still reach the API (and UI).
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "CRITICAL",
}


class SettingOption(click.Option):
    """An option for a setting: its help shows the setting's default, read from the settings models
    (never a copy in this file) when the help is shown, so `newsflow --help` stays light."""

    def __init__(self, *args, setting: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.setting = setting

    def get_help_record(self, ctx):
        from newsflow.settings import default_of

        record = super().get_help_record(ctx)
        default = default_of(self.setting)
        return record and (record[0], f"{record[1]} [default: {default}]" if default is not None else record[1])


class Failure(click.ClickException):
    """A run-level failure: one line on stderr, exit 1."""

    def show(self, file=None):
        click.echo(f"error: {self.format_message()}", err=True)


def _settings(**overrides):
    import tomllib

    from pydantic import ValidationError

    from newsflow.settings import UnknownSetting, config_path, load_settings

    try:
        return load_settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(part) for part in first["loc"]]
        name = ".".join(loc)
        flag = next((part for part in reversed(loc) if overrides.get(part) is not None), None)
        env = f"NEWSFLOW_{'__'.join(loc).upper()}"
        if not loc:  # a check across settings (dask_address without runner dask): its message names them
            raise click.UsageError(f"settings: {first['msg'].removeprefix('Value error, ')}") from exc
        if flag:
            where = f"--{flag.replace('_', '-')}"
        elif env.lower() in {name.lower() for name in os.environ}:  # pydantic reads names case-insensitively
            where = env
        else:  # the config file, or (not set anywhere: a check of several settings) where it may be set
            where = str(_config_file() or f"{env} or newsflow.toml")
        message = first["msg"].removeprefix("Value error, ")
        raise click.UsageError(f"setting {name} ({where}): {message}") from exc
    except UnknownSetting as exc:  # a NEWSFLOW_* variable that names no setting
        raise click.UsageError(str(exc)) from exc
    except FileNotFoundError as exc:
        raise click.UsageError(str(exc)) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:  # the config file itself
        raise click.UsageError(f"{config_path()}: not a valid config file (TOML): {exc}") from exc


def _config_file():
    from newsflow.settings import config_path

    try:
        return config_path()
    except FileNotFoundError:
        return None


def _check_db(settings, existing: bool = False) -> None:
    """The warehouse path names a file in an existing folder (nothing is created on a typo); with
    `existing`, a warehouse that is already there (a command that only reads or redoes runs): every
    such command says the same when there is none, and exits 1."""
    from newsflow.warehouse.errors import NoWarehouse

    db = settings.db
    if db.is_dir():
        raise click.UsageError(f"--db {db}: is a directory; name the warehouse file, e.g. {db / 'newsflow.duckdb'}")
    if existing and not db.is_file():  # a typo in --db must not create an empty warehouse
        raise Failure(str(NoWarehouse(db)))
    parent = db.parent if str(db.parent) else None
    if parent is not None and not parent.is_dir():
        raise click.UsageError(f"--db {db}: the folder {parent} does not exist; create it first (mkdir -p {parent})")


def _set_log_level(ctx, param, value):
    if value:
        level = "DEBUG" if param.name == "debug" else "INFO"
        os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = level
        if level == "DEBUG":
            os.environ["PREFECT_LOGGING_LEVEL"] = level
    return value


def _check_inputs(ctx, param, value):
    """No input is empty and every URL is one newsflow fetches. A path that does not exist is not
    refused here: like one in a sources file or a deployment, it becomes the run's `not_found`
    reject, and the other inputs are still ingested."""
    import re

    for given in value:
        if not given.strip():
            raise click.BadParameter("an empty input names nothing (to ingest the current folder, give '.')",
                                     ctx=ctx, param=param)
        scheme = re.match(r"^([A-Za-z][A-Za-z0-9+.\-]*)://", given)
        if scheme and scheme.group(1).lower() not in ("http", "https"):  # refused now, not after Prefect starts
            raise click.BadParameter(f"{given!r}: only http:// and https:// URLs are fetched", ctx=ctx, param=param)
    return value


def _check_sources(settings) -> None:
    """A broken sources file is a usage error, reported before any work starts."""
    if settings.sources:
        from newsflow.acquire.sources import SourcesError, load_sources

        try:
            load_sources(settings.sources)
        except SourcesError as exc:
            raise click.UsageError(str(exc)) from exc


def debug_option(command):
    """--debug, accepted before or after the subcommand name."""
    return click.option("--debug", is_flag=True, expose_value=False, callback=_set_log_level,
                        help="Show full tracebacks and Prefect's debug logs.")(command)


def log_options(command, verbose_help: str = "Show Prefect's flow and task logs."):
    """--debug and --verbose, for the commands that run Prefect flows (and the group, for them)."""
    command = debug_option(command)
    return click.option("-v", "--verbose", is_flag=True, expose_value=False, callback=_set_log_level,
                        help=verbose_help)(command)


def group_log_options(command):
    """The group's --debug and --verbose, for whichever subcommand follows."""
    return log_options(command, "Show Prefect's flow and task logs (ingest, reprocess, serve).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@group_log_options
@click.version_option(package_name="newsflow")
def cli():
    """newsflow: ingest news articles into a DuckDB warehouse.

    Articles are read, stripped of boilerplate, normalized, deduplicated and loaded
    into tables you can query with SQL (articles, documents, removed_segments,
    rejects, runs). Settings come from newsflow.toml (or $NEWSFLOW_CONFIG), then
    NEWSFLOW_* environment variables, then flags.

    Example: newsflow ingest articles/ --db news.duckdb
    """


@cli.command()
@log_options
@click.argument("inputs", nargs=-1, callback=_check_inputs)
@click.option("--db", type=click.Path(dir_okay=False), cls=SettingOption, setting="db", help="Warehouse file.")
@click.option("--sources", type=click.Path(exists=True, dir_okay=False),
              help="Sources file (TOML): outlets with their feeds, sitemaps, URL patterns and rate.")
@click.option("--refresh", is_flag=True, default=None,
              help="Fetch URLs again even if already ingested, with no conditional requests; read unchanged files again.")
@click.option("--allow-private-hosts", is_flag=True, default=None,
              help="Allow URLs on loopback, private and link-local addresses (intranets, tests).")
@click.option("--user-agent", cls=SettingOption, setting="user_agent", help="User-Agent header for every request.")
@click.option("--batch-size", type=int, cls=SettingOption, setting="batch_size", help="Articles per Prefect task.")
@click.option("--workers", type=int, cls=SettingOption, setting="workers", help="Batches processed at once.")
@click.option("--min-words", type=int, cls=SettingOption, setting="min_words", help="Reject articles with fewer words after cleaning.")
@click.option("--lock-timeout", type=float, cls=SettingOption, setting="lock_timeout", help="Seconds to wait for another process's lock on --db.")
@click.option("--runner", type=click.Choice(["threads", "processes", "dask"]),
              cls=SettingOption, setting="runner",
              help="Where batches run: threads or processes (the same: a run of more than one batch "
                   "hands them to up to --workers worker processes), or Dask.")
@click.option("--address", help="Dask scheduler to use with --runner dask, e.g. tcp://host:8786 "
                                "[default: start a local cluster of --workers processes].")
@click.option("--progress/--no-progress", default=None, help="Progress bar [default: on when stderr is a terminal].")
@click.option("--source-name", metavar="NAME",
              help="The outlet of this run's INPUTS, stored in documents.source (and articles.site_name when the page names none).")
def ingest(inputs, db, sources, refresh, allow_private_hosts, user_agent, batch_size, workers, min_words,
           lock_timeout, runner, address, progress, source_name):
    """Ingest article files and web pages into the warehouse.

    INPUTS are files or directories (searched recursively) of .html, .htm and
    .txt files, each optionally gzip-compressed (.gz), and http(s) URLs: article
    pages, RSS/Atom/JSON feeds and sitemaps (told apart by their content). With
    --sources, the outlets in a sources file are fetched too. With no INPUTS and
    no --sources, the bundled sample corpus is ingested. Inputs that cannot be
    fetched, read (a path that does not exist, too) or hold no article are
    recorded in the rejects table and the run goes on; an exact copy of a known article adds a documents row that
    points at the existing article. A file unchanged since an earlier run (same
    path, outlet and stat stamp) and URLs already ingested are not read or
    fetched again (unless --refresh); feeds and sitemaps are asked for
    conditionally.

    Exit status: 0 when the run completes (even with rejects), 1 when it fails
    or none of its inputs could be read or fetched, 130 when interrupted
    (Ctrl-C; it says whether the run had been committed).

    Example: newsflow ingest https://example.org/rss.xml newsflow/samples --db newsflow.duckdb
    """
    if address and runner not in (None, "dask"):
        raise click.UsageError(f"--address names a Dask scheduler; it needs --runner dask, not --runner {runner}")
    if address and runner is None:
        runner = "dask"  # --address names a Dask scheduler, so it implies --runner dask
    settings = _settings(db=db, batch_size=batch_size, workers=workers, min_words=min_words,
                         lock_timeout=lock_timeout, runner=runner, dask_address=address, sources=sources,
                         refresh=refresh, allow_private_hosts=allow_private_hosts, user_agent=user_agent,
                         source_name=source_name)
    _check_db(settings)
    _check_sources(settings)
    from newsflow.flows.run import run_ingest  # Prefect is imported only when a flow runs

    show_bar = sys.stderr.isatty() if progress is None else progress
    summary = run_ingest(list(inputs), settings, show_progress=show_bar)
    _echo_run(summary)
    if not summary.inputs and not (summary.unchanged or summary.already_ingested or summary.filtered
                                   or summary.backed_off):  # an empty folder, a glob matching nothing
        click.echo(f"note: no inputs found in {_named_inputs(inputs, settings)}: newsflow reads .html, .htm "
                   "and .txt files (optionally .gz), in folders recursively, and http(s) URLs", err=True)
    click.echo(f'Query it: {_invoked_as()} query "SELECT title, language, word_count FROM articles" '
               f'--db {_quote(str(summary.db))}')


def _echo_run(summary) -> None:
    """The lines every run prints (ingest, reprocess): counts, skipped files, data quality, rejects."""
    click.echo(summary.line())
    if summary.skip_reasons:
        click.echo("skipped files by reason: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.skip_reasons.items())))
    if summary.dq_passed is not None:
        click.echo(f"dq: {summary.dq_passed} passed, {summary.dq_failed} failed"
                   + (f"  (SELECT * FROM dq_results WHERE run_id = '{summary.run_id}' AND NOT success)"
                      if summary.dq_failed else ""))
    if summary.reject_reasons:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(summary.reject_reasons.items()))
        click.echo(f"rejected by stage/reason: {reasons}  (SELECT * FROM rejects WHERE run_id = '{summary.run_id}')")


def _named_inputs(inputs, settings, most: int = 4) -> str:
    """What the run was told to read, for a note: the command line's inputs, the sources file's paths and URLs."""
    named = list(inputs)
    if settings.sources:
        from newsflow.acquire.sources import load_sources

        for source in load_sources(settings.sources):
            named += [*source.paths, *source.feeds, *source.sitemaps, *source.urls]
    shown = ", ".join(named[:most]) + (f" and {len(named) - most} more" if len(named) > most else "")
    return f"{shown} ({settings.sources})" if settings.sources and not inputs else shown


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


# How this process was started, when it is the `newsflow` command itself (main() with no argv).
_ARGV0: list[str | None] = [None]


def _invoked_as() -> str:
    """The command to type to run newsflow again, as this one was run: `newsflow` when the shell
    finds this program under that name, else the path it was started by (`.venv/bin/newsflow`
    after `make run`), or `python -m newsflow`."""
    import shutil
    from pathlib import Path

    argv0 = _ARGV0[0]
    if not argv0:  # called from Python: name the command
        return "newsflow"
    if Path(argv0).name == "__main__.py":  # python -m newsflow
        return f"{_quote(getattr(sys, 'orig_argv', [sys.executable])[0])} -m newsflow"
    found = shutil.which("newsflow")
    try:
        if found and os.path.samefile(found, argv0):
            return "newsflow"
    except OSError:
        pass
    return _quote(argv0)


@cli.command()
@log_options
@click.option("--db", type=click.Path(dir_okay=False), cls=SettingOption, setting="db", help="Warehouse file.")
def reprocess(db):
    """Re-run extraction and cleaning over everything ingested, without fetching.

    Takes the latest document of every input: fetched pages from the raw
    bodies kept beside the warehouse (<db>.raw), files from their path. Use it
    after changing the cleaning rules or the extractor. It is a new run; text
    that changed becomes new articles rows.

    Exit status: 0 when the run completes (even with rejects), 1 when it fails
    or none of its inputs could be read (or there is no warehouse), 130 when
    interrupted (Ctrl-C).

    Example: newsflow reprocess --db newsflow.duckdb
    """
    settings = _settings(db=db)
    _check_db(settings, existing=True)
    from newsflow.flows.reprocess import run_reprocess

    summary = run_reprocess(settings)
    _echo_run(summary)


@cli.command()
@debug_option
@click.argument("sql", required=False)
@click.option("-f", "--file", "sql_file", type=click.Path(exists=True, dir_okay=False), help="Read the SQL from this file.")
@click.option("--db", type=click.Path(dir_okay=False), cls=SettingOption, setting="db", help="Warehouse file.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "markdown"]),
              help="Output format [default: table on a terminal, csv when piped].")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="Rows shown at most in --format table.")
def query(sql, sql_file, db, fmt, limit):
    """Run read-only SQL against the warehouse and print the result.

    SQL is the argument, `-` to read it from stdin, or --file FILE. Several
    statements may be given; the last one's result is printed. The warehouse is
    opened read-only with no access to other files: COPY, EXPORT, ATTACH,
    INSTALL and LOAD are refused (use `newsflow export`). Tables, views and
    their columns: `newsflow tables` or docs/tables.md.

    Example: newsflow query "SELECT outlet, count(*) FROM articles_canonical GROUP BY 1" --format markdown
    """
    from newsflow import query as q
    from newsflow.warehouse import readonly

    settings = _settings(db=db)
    _check_db(settings, existing=True)
    try:
        text = q.read_sql(sql, sql_file)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    con = readonly.open_readonly(settings.db, settings.lock_timeout)
    try:
        names, types, rows = readonly.run(con, text)
    except (readonly.QueryRefused, readonly.QueryError) as exc:
        raise Failure(str(exc)) from exc
    finally:
        con.close()
    fmt = fmt or q.default_format()
    click.echo(q.render(fmt, names, types, rows, limit=limit if fmt == "table" else None), nl=False)


@cli.command()
@debug_option
@click.argument("terms")
@click.option("--db", type=click.Path(dir_okay=False), cls=SettingOption, setting="db", help="Warehouse file.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]),
              help="Only articles published on or after this date/time, UTC (undated articles are left out).")
@click.option("--source", metavar="NAME", help="Only articles this outlet carried (documents.source).")
@click.option("--all", "all_terms", is_flag=True, help="Only articles that contain every term.")
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True, help="Results at most.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "markdown"]),
              help="Output format [default: table on a terminal, csv when piped].")
def search(terms, db, since, source, all_terms, limit, fmt):
    """Full-text search over article titles and texts, ranked by BM25.

    Terms are stemmed (Porter) and stopwords ignored, as DuckDB's fts
    extension does; see docs/search.md.

    Example: newsflow search "reservoir hose ban" --since 2025-01-01
    """
    from datetime import timezone

    from newsflow import query as q
    from newsflow.transforms import fulltext
    from newsflow.warehouse.documents import unknown_outlet_hint
    from newsflow.warehouse.readonly import open_readonly
    from newsflow.warehouse.search import SearchUnavailable, unindexed
    from newsflow.warehouse.search import search as run_search

    words = fulltext.tokens(terms)
    if not words:
        raise click.UsageError(f"no words to search for in {terms!r}")
    settings = _settings(db=db)
    _check_db(settings, existing=True)
    if all(w in fulltext.STOPWORDS for w in words):  # never indexed, so nothing can match: say so
        click.echo(f"note: every word of {terms!r} is a stopword, which the index leaves out; nothing can match",
                   err=True)
    con = open_readonly(settings.db, settings.lock_timeout)
    try:
        missing = unindexed(con)
        names, types, rows = run_search(con, terms, since=since.replace(tzinfo=timezone.utc) if since else None,
                                        source=source, limit=limit, all_terms=all_terms)
        # A typo in --source: say so rather than just find nothing.
        if source and not rows and (hint := unknown_outlet_hint(con, source)) is not None:
            click.echo(f"note: no documents from an outlet named {source!r}; {hint}", err=True)
    except SearchUnavailable as exc:
        raise Failure(str(exc)) from exc
    finally:
        con.close()
    if missing:  # never hide data silently: say what the ranking could not see
        click.echo(f"note: {missing} articles are not indexed yet (loaded before the search index); "
                   "the next `newsflow ingest` indexes them", err=True)
    fmt = fmt or q.default_format()
    click.echo(q.render(fmt, names, types, rows), nl=False)


@cli.command()
@debug_option
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Folder to write the files into.")
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv"]), default="parquet", show_default=True,
              help="File format of the exported tables.")
@click.option("--db", type=click.Path(dir_okay=False), cls=SettingOption, setting="db", help="Warehouse file.")
def export(out, fmt, db):
    """Export every public table and view, one file each, with manifest.json.

    The manifest lists each file's row count, columns (type and description)
    and a checksum of its rows. The files read with DuckDB, pandas or Polars.
    An earlier export in the folder is replaced: the files its manifest.json
    names are deleted if this export does not write them again (another
    format's); other files are left alone.

    Example: newsflow export --format parquet --out export/
    """
    from pathlib import Path

    from newsflow.warehouse.db import connect
    from newsflow.warehouse.export import ExportRefused, earlier_export
    from newsflow.warehouse.export import export as run_export

    settings = _settings(db=db)
    _check_db(settings, existing=True)
    try:
        earlier_export(Path(out))  # refused before the warehouse is opened
    except ExportRefused as exc:
        raise Failure(str(exc)) from exc
    con = connect(settings.db, read_only=True, lock_timeout=settings.lock_timeout)
    removed: list[str] = []
    try:
        manifest = run_export(con, Path(out), fmt, str(settings.db), removed)
    finally:
        con.close()
    rows = sum(r["rows"] for r in manifest["relations"])
    click.echo(f"{len(manifest['relations'])} tables and views, {rows} rows, written to {Path(out) / 'manifest.json'}")
    if removed:
        from newsflow.flows.naming import counted

        click.echo(f"removed {counted(len(removed), 'file')} of the earlier export there ({', '.join(removed[:3])}"
                   f"{', …' if len(removed) > 3 else ''})")


@cli.command()
@debug_option
@click.option("--db", type=click.Path(dir_okay=False), cls=SettingOption, setting="db", help="Warehouse file.")
def tables(db):
    """Describe the public tables and views: columns, types and what they mean (Markdown).

    Read from the warehouse's catalog (COMMENT ON); without a warehouse, a new
    one's. docs/tables.md is this output for a new warehouse.

    Example: newsflow tables | less
    """
    from pathlib import Path

    from newsflow.warehouse import catalog

    settings = _settings(db=db)
    if not Path(settings.db).exists():
        click.echo(catalog.fresh_markdown(), nl=False)
        return
    from newsflow.warehouse.readonly import open_readonly

    con = open_readonly(settings.db, settings.lock_timeout)
    try:
        click.echo(catalog.markdown(catalog.relations(con)), nl=False)
    finally:
        con.close()


@cli.command()
@debug_option
@click.option("--db", type=click.Path(dir_okay=False), cls=SettingOption, setting="db", help="Warehouse file.")
@click.option("--docs", type=click.Path(file_okay=False), help="Copy the GX Data Docs (static HTML) into this folder.")
@click.option("--fail-on", type=click.Choice(["critical", "warning"]), default="critical", show_default=True,
              help="Exit 1 when an expectation of this severity (or worse) fails; `warning` for strict CI.")
@click.option("--lock-timeout", type=float, cls=SettingOption, setting="lock_timeout",
              help="Seconds to wait for another run's write lock on --db.")
def validate(db, docs, fail_on, lock_timeout):
    """Validate the whole warehouse with the GX project's suites.

    Runs the checkpoints of the GX project in expectations/gx (one per table:
    articles, documents, rejects, runs; extend them with GX's API, see
    docs/quality.md) over every row. Results go to dq_results (run_id
    'validate-<time>', with validated_at and the GX expectation type), a runs
    row (kind 'validate') and the project's validation history and Data Docs;
    --docs copies the Data Docs into a folder (open DOCS/index.html; it needs
    no network). Nothing is moved to quarantine here. Exit status 1 when an
    expectation of --fail-on severity fails, or when there is no warehouse.

    Example: newsflow validate --db newsflow.duckdb --docs reports/dq --fail-on warning
    """
    from pathlib import Path

    settings = _settings(db=db, lock_timeout=lock_timeout)
    _check_db(settings, existing=True)
    from newsflow.flows.validate import validate_warehouse
    from newsflow.warehouse.db import connect
    from newsflow.warehouse.writelock import write_lock

    # Validation writes dq_results and runs: the one-writer lock, as for an ingest run.
    with write_lock(settings.db, settings.lock_timeout):
        con = connect(settings.db, lock_timeout=settings.lock_timeout)
        try:
            report = validate_warehouse(con, settings.quality, Path(docs) if docs else None,
                                        project=settings.quality.project, fail_on=fail_on)
        finally:
            con.close()
    from newsflow.expectations.runner import text_summary

    click.echo(text_summary(report, fail_on=fail_on), nl=False)
    click.echo(f"dq: {report.passed} passed, {report.failed} failed")
    if not report.ok:
        raise Failure(f"{len(report.critical_failures)} critical expectation(s) failed: "
                      + "; ".join(report.critical_failures))
    if fail_on == "warning" and report.warnings:
        raise Failure(f"{len(report.warnings)} warning expectation(s) failed (--fail-on warning): "
                      + "; ".join(report.warnings))


@cli.command()
@log_options
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False),
              help="Deployments to serve [default: ./prefect.yaml, else the one shipped with newsflow].")
@click.option("--only", multiple=True, metavar="NAME", help="Serve only this deployment (repeatable).")
@click.option("--port", type=int, cls=SettingOption, setting="server_port", help="Port of the Prefect server started here.")
@click.option("--grace", type=float, cls=SettingOption, setting="shutdown_grace",
              help="Seconds running runs get to finish after SIGTERM/Ctrl-C before they are cancelled.")
def serve(path, only, port, grace):
    """Serve the deployments in prefect.yaml on their schedules until stopped.

    Schedules need a Prefect server: serve uses the one at PREFECT_API_URL (the
    environment, the Prefect profile or prefect.toml, as ingest), or
    starts `prefect server start` on 127.0.0.1 (state in prefect_home, default
    ./.prefect) and stops it on exit. On SIGTERM or Ctrl-C it starts no new run,
    lets a running one finish for up to --grace seconds (shutdown_grace, default
    30), then cancels it, and exits 0. Runs go one at a time;
    each is an ingest or validate flow run in a subprocess, visible in the UI,
    and serve prints a line when each starts and when it completes or fails.
    See docs/deployments.md for the work-pool route (prefect deploy + worker).

    Example: newsflow serve --only feeds-hourly --only validate-nightly
    """
    from newsflow.flows.serve import DeploymentError, ServerError, default_file, read_specs
    from newsflow.flows.serve import serve as serve_deployments

    settings = _settings(server_port=port, shutdown_grace=grace)
    try:
        path = path or default_file()
        specs = read_specs(path)  # a file that is not a prefect.yaml fails before a server starts
    except DeploymentError as exc:
        raise click.UsageError(f"--file: {exc}") from exc
    if missing := sorted(set(only) - {s.name for s in specs}):  # so does a typo in --only
        raise click.UsageError(f"--only: {path} has no deployment named {', '.join(missing)}; "
                               f"it has {', '.join(s.name for s in specs)}")
    try:
        serve_deployments(path, settings, tuple(only), echo=click.echo)
    except (DeploymentError, ServerError) as exc:
        raise Failure(str(exc)) from exc


@cli.command()
@debug_option
def config():
    """Print the effective settings, as TOML, and where the config file is.

    The output is a valid newsflow.toml: unset settings are commented out.

    Example: NEWSFLOW_WORKERS=4 newsflow config > newsflow.toml
    """
    from pydantic import ByteSize

    from newsflow.settings import GROUPS, Settings, _fields, config_path

    settings = _settings()
    click.echo(f"# config file: {config_path() or 'none (defaults and environment only)'}")
    dumped = settings.model_dump(mode="json")
    for table in [None, *GROUPS]:  # top-level keys first: in TOML they cannot follow a [table]
        if table:
            click.echo(f"\n[{table}]")
        values = dumped[table] if table else {k: v for k, v in dumped.items() if k not in GROUPS}
        derived = {n for n, f in _fields(Settings.model_fields[table].annotation).items() if f.init is False} if table else ()
        for name, value in values.items():
            if name in derived:  # follows another setting (quality.min_words is min_words)
                continue
            if isinstance(getattr(settings, name, None), ByteSize):  # 536870912 reads better as "512MiB"
                value = _byte_size(int(value))
            click.echo(f"# {name} = (unset)" if value is None else f"{name} = {_toml(value)}")


def _byte_size(n: int) -> str | int:
    """A byte count in the largest binary unit that divides it ("512MiB"), else the plain number."""
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n and n % size == 0:
            return f"{n // size}{unit}"
    return n


def _toml(value) -> str:
    """A TOML literal for a JSON-shaped value (JSON strings, numbers, booleans and arrays are TOML)."""
    import json

    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def main(argv: list[str] | None = None) -> int:
    """Entry point: known failures print one line; --debug shows the traceback."""
    if argv is None:  # the `newsflow` command itself, not a call from Python: this process is the run's
        from newsflow.flows.timing import mark_process_start

        mark_process_start()  # so runs.stage_seconds counts the start-up (interpreter, imports, Prefect)
        atexit.register(_skip_teardown)  # registered first, so it runs after every other exit handler
        _ARGV0[0] = sys.argv[0] if sys.argv else None
        signal.signal(signal.SIGINT, _on_interrupt)
    _EXIT_CODE[0] = 1  # what an exception escaping main() (Ctrl-C outside click) exits with
    _EXIT_CODE[0] = code = _main(argv)
    return code


# The exit status main() returned, for _skip_teardown.
_EXIT_CODE = [1]
# Set by the SIGINT handler: whatever the interrupted code then raised (KeyboardInterrupt, DuckDB's
# InterruptException, a library's wrapping of either), the command was interrupted.
_INTERRUPTED = [False]


def _on_interrupt(signum, frame):
    """Ctrl-C: note it, then raise KeyboardInterrupt as Python's own handler does."""
    _INTERRUPTED[0] = True
    raise KeyboardInterrupt


def _was_interrupted(exc: BaseException) -> bool:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, KeyboardInterrupt) or type(exc).__name__ == "InterruptException":  # duckdb's
            return True
        exc = exc.__cause__ or exc.__context__
    return _INTERRUPTED[0]


def _interrupted() -> str:
    """What an interrupted command says: whether it committed anything (flows/written.py knows)."""
    written = sys.modules.get("newsflow.flows.written")
    done, under_way = written.outcome() if written else ([], [])
    if under_way:
        return (f"interrupted while committing run {under_way[0]}; "
                f"SELECT * FROM runs WHERE run_id = '{under_way[0]}' shows whether it was committed")
    if done:
        return f"interrupted after run {done[-1]} was committed (its rows are in the warehouse)"
    return "interrupted; nothing committed"


def _skip_teardown() -> None:
    """End the process once every exit handler has run (Prefect's included: it stops its temporary
    API and sends its last logs), without the interpreter's teardown of every module and object,
    which took seconds after a run that had loaded GX, pandas and DuckDB (measured: BENCHMARKS.md).
    All files were closed by then; only memory is left to free, and the OS does that at once."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_EXIT_CODE[0])


def _main(argv: list[str] | None) -> int:
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)
    _INTERRUPTED[0] = False
    if "newsflow.flows.written" in sys.modules:  # a command run before this one, in this process
        sys.modules["newsflow.flows.written"].reset()
    try:
        cli.main(args=argv, prog_name="newsflow", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.Abort as exc:
        # click turns any EOFError into Abort; newsflow never prompts, so one from a library (a
        # truncated gzip stream, say) is a failure to report, not the user pressing Ctrl-D.
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, EOFError):
            click.echo(f"error: {type(cause).__name__}: {_one_line(cause)} (run with --debug for the traceback)",
                       err=True)
            traceback.clear_frames(cause.__traceback__)
            return 1
        click.echo(_interrupted(), err=True)  # Ctrl-C (click turns KeyboardInterrupt into Abort)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except Exception as exc:  # the run itself failed
        if _was_interrupted(exc):  # Ctrl-C, surfacing as the error of whatever it interrupted
            if debug:
                traceback.print_exc()
            click.echo(_interrupted(), err=True)
            traceback.clear_frames(exc.__traceback__)
            return 130
        if debug:
            traceback.print_exc()
        else:
            click.echo(f"error: {_one_line(exc)} (run with --debug for the traceback)", err=True)
        # Free what the failed frames still hold (an open DuckDB connection would be reported as
        # leaked at interpreter exit).
        traceback.clear_frames(exc.__traceback__)
        return 1
    return 0


def _one_line(exc: BaseException) -> str:
    """The error's first line; a data-quality failure keeps its list of reasons."""
    from newsflow.expectations.runner import ValidationFailed  # light: GX is imported only when validating

    text = str(exc).strip()
    if isinstance(exc, ValidationFailed):
        return text
    return text.splitlines()[0] if text else type(exc).__name__
