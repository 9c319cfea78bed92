"""The `newsflow` command line: a thin layer over the flows and the warehouse."""

from __future__ import annotations

import os
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


class Failure(click.ClickException):
    """A run-level failure: one line on stderr, exit 1."""

    def show(self, file=None):
        click.echo(f"error: {self.format_message()}", err=True)


def _settings(**overrides):
    from pydantic import ValidationError

    from flows.settings import load_settings

    try:
        return load_settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise click.UsageError(f"setting {'.'.join(map(str, first['loc']))}: {first['msg']}") from exc
    except FileNotFoundError as exc:
        raise click.UsageError(str(exc)) from exc


def _set_log_level(ctx, param, value):
    if value:
        level = "DEBUG" if param.name == "debug" else "INFO"
        os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = level
        if level == "DEBUG":
            os.environ["PREFECT_LOGGING_LEVEL"] = level
    return value


def log_options(command):
    """--debug and --verbose, accepted before or after the subcommand name."""
    command = click.option("--debug", is_flag=True, expose_value=False, callback=_set_log_level,
                           help="Show full tracebacks and Prefect's debug logs.")(command)
    return click.option("-v", "--verbose", is_flag=True, expose_value=False, callback=_set_log_level,
                        help="Show Prefect's flow and task logs.")(command)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@log_options
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
@click.argument("inputs", nargs=-1, type=click.Path(exists=True, readable=False))
@click.option("--db", type=click.Path(dir_okay=False), help="Warehouse file [default: newsflow.duckdb].")
@click.option("--batch-size", type=int, help="Articles per Prefect task [default: 50].")
@click.option("--workers", type=int, help="Batches processed at once [default: 2].")
@click.option("--min-words", type=int, help="Reject articles with fewer words after cleaning [default: 25].")
@click.option("--lock-timeout", type=float, help="Seconds to wait for another process's lock on --db [default: 10].")
@click.option("--progress/--no-progress", default=None, help="Progress bar [default: on when stderr is a terminal].")
def ingest(inputs, db, batch_size, workers, min_words, lock_timeout, progress):
    """Ingest article files into the warehouse.

    INPUTS are files or directories (searched recursively) of .html, .htm and
    .txt files, each optionally gzip-compressed (.gz). With no INPUTS, the bundled
    sample corpus is ingested. Files that cannot be read or hold no article are
    recorded in the rejects table and the run goes on; an exact copy of a known
    article adds a documents row that points at the existing article.

    Exit status: 0 when the run completes (even with rejects), 1 when it fails.

    Example: newsflow ingest data/samples --db newsflow.duckdb
    """
    settings = _settings(db=db, batch_size=batch_size, workers=workers, min_words=min_words,
                         lock_timeout=lock_timeout)
    from flows.run import run_ingest  # Prefect is imported only when a flow runs

    show_bar = sys.stderr.isatty() if progress is None else progress
    summary = run_ingest(list(inputs), settings, show_progress=show_bar)
    click.echo(summary.line())
    if summary.dq_passed is not None:
        click.echo(f"dq: {summary.dq_passed} passed, {summary.dq_failed} failed"
                   + (f"  (SELECT * FROM dq_results WHERE run_id = '{summary.run_id}' AND NOT success)"
                      if summary.dq_failed else ""))
    if summary.reject_reasons:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(summary.reject_reasons.items()))
        click.echo(f"rejected by stage/reason: {reasons}  (SELECT * FROM rejects WHERE run_id = '{summary.run_id}')")
    click.echo(f'Query it: newsflow query "SELECT title, language, word_count FROM articles" --db {summary.db}')


@cli.command()
@log_options
@click.argument("sql")
@click.option("--db", type=click.Path(dir_okay=False), help="Warehouse file [default: newsflow.duckdb].")
@click.option("--limit", type=int, default=50, show_default=True, help="Rows to print at most.")
def query(sql, db, limit):
    """Run a read-only SQL query against the warehouse and print the result.

    Example: newsflow query "SELECT source, count(*) FROM documents GROUP BY 1"
    """
    import duckdb

    from warehouse.db import connect

    settings = _settings(db=db)
    con = connect(settings.db, read_only=True, lock_timeout=settings.lock_timeout)
    try:
        con.sql(sql).show(max_rows=limit, max_width=160)
    except duckdb.Error as exc:
        raise Failure(str(exc).splitlines()[0]) from exc
    finally:
        con.close()


@cli.command()
@log_options
@click.option("--db", type=click.Path(dir_okay=False), help="Warehouse file [default: newsflow.duckdb].")
@click.option("--docs", type=click.Path(file_okay=False), help="Build GX Data Docs (static HTML) into this folder.")
def validate(db, docs):
    """Validate the whole warehouse with the data-quality suites.

    Runs the expectation suites for articles, documents, rejects and runs over
    every row, stores the results in dq_results (run_id 'validate-<time>'),
    prints a summary, and with --docs builds Data Docs (open DOCS/index.html;
    it needs no network). Nothing is moved to quarantine here; the
    summary lists the articles that would be. Exit status 1 when a critical
    expectation fails.

    Example: newsflow validate --db newsflow.duckdb --docs reports/dq
    """
    from pathlib import Path

    from warehouse.db import connect
    from warehouse.quality import validate_warehouse

    settings = _settings(db=db)
    con = connect(settings.db, lock_timeout=settings.lock_timeout)
    try:
        report = validate_warehouse(con, settings.quality_config(), Path(docs) if docs else None)
    finally:
        con.close()
    from expectations.runner import markdown_summary

    click.echo(markdown_summary(report), nl=False)
    click.echo(f"dq: {report.passed} passed, {report.failed} failed")
    if not report.ok:
        raise Failure(f"{len(report.critical_failures)} critical expectation(s) failed: "
                      + "; ".join(report.critical_failures))


@cli.command()
@log_options
def config():
    """Print the effective settings and where the config file is.

    Example: NEWSFLOW_WORKERS=4 newsflow config
    """
    from flows.settings import config_path

    settings = _settings()
    click.echo(f"# config file: {config_path() or 'none (defaults and environment only)'}")
    for name, value in settings.model_dump().items():
        click.echo(f"{name} = {str(value)!r}" if not isinstance(value, (int, float)) else f"{name} = {value}")


def main(argv: list[str] | None = None) -> int:
    """Entry point: known failures print one line; --debug shows the traceback."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)
    try:
        cli.main(args=argv, prog_name="newsflow", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except Exception as exc:  # the run itself failed
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
    text = str(exc).strip()
    if type(exc).__name__ == "ValidationFailed":
        return text
    return text.splitlines()[0] if text else type(exc).__name__
