"""The newsflow command line, run in-process (main) and as a real subprocess for start-up checks."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import pytest

from newsflow.cli import cli, main
from newsflow.warehouse.db import connect

from conftest import FERRY, REPO, hold_lock, html_page, write


def test_help_explains_every_option_without_heavy_imports():
    code = ("import sys; from newsflow.cli import cli, main\n"
            "for argv in [['--help']] + [[name, '--help'] for name in cli.commands]:\n"
            "    main(argv)\n"
            "heavy = [m for m in ('prefect', 'great_expectations', 'trafilatura') if m in sys.modules]\n"
            "print('HEAVY', heavy if heavy else 'NONE')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True).stdout
    assert out.strip().endswith("HEAVY NONE")
    for command in cli.commands.values():
        for param in command.params:
            if param.param_type_name == "option":
                assert param.help, f"{command.name} {param.opts} has no help"
                assert param.opts[0] in out
        assert "Example:" in command.help


def test_ingest_prints_summary_and_query_hint(prefect_harness, tmp_path, capsys):
    write(tmp_path / "in" / "ferry.html", html_page("Electric ferry to enter service", FERRY))
    write(tmp_path / "in" / "empty.txt", "")
    db = tmp_path / "w.duckdb"
    assert main(["ingest", str(tmp_path / "in"), "--db", str(db), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^2 inputs: 1 new article, 0 duplicates, 1 rejected \(run [0-9a-f]{8}\)$", out, re.M)
    assert "acquire/empty 1" in out and "newsflow query" in out

    assert main(["query", "SELECT count(*) AS n_articles FROM articles", "--db", str(db), "--format", "table"]) == 0
    table = capsys.readouterr().out
    assert "n_articles" in table and re.search(r"\|\s+1\s+\|", table)


@pytest.mark.slow  # a subprocess that imports the whole stack
def test_locked_database_fails_with_one_line_and_no_traceback(tmp_path):
    write(tmp_path / "in" / "ferry.html", html_page("Electric ferry to enter service", FERRY))
    db = tmp_path / "w.duckdb"
    connect(db).close()
    proc = hold_lock(db)
    try:  # a real process, so Prefect's own console logging is what a user would see
        done = subprocess.run([sys.executable, "-m", "newsflow", "ingest", str(tmp_path / "in"), "--db", str(db),
                               "--lock-timeout", "1"], capture_output=True, text=True, cwd=REPO, timeout=300)
    finally:
        proc.kill()
        proc.wait()
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "leaked" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: database") and "in use by another process" in lines[0]


def test_query_reports_sql_errors_and_missing_db(tmp_path, capsys):
    assert main(["query", "SELECT 1", "--db", str(tmp_path / "none.duckdb")]) == 1
    assert "no database at" in capsys.readouterr().err
    connect(tmp_path / "w.duckdb").close()
    assert main(["query", "SELECT nope FROM articles", "--db", str(tmp_path / "w.duckdb")]) == 1
    assert capsys.readouterr().err.startswith("error: Binder Error")


def test_ingest_refuses_a_url_it_cannot_fetch_before_any_work(tmp_path, capsys):
    db = tmp_path / "w.duckdb"
    assert main(["ingest", "ftp://example.org/feed.xml", "--db", str(db)]) == 2
    assert "only http:// and https:// URLs are fetched" in capsys.readouterr().err
    assert not db.exists()


def test_reprocess_refuses_a_missing_database(tmp_path, capsys):
    missing = tmp_path / "typo.duckdb"
    assert main(["reprocess", "--db", str(missing)]) == 1
    assert "no database at" in capsys.readouterr().err
    assert not missing.exists() and not (tmp_path / "typo.duckdb.lock").exists()


def test_reprocess_that_can_read_nothing_fails_as_ingest_does(prefect_harness, tmp_path, capsys):
    inbox = tmp_path / "in"
    write(inbox / "ferry.html", html_page("Electric ferry to enter service", FERRY))
    db = tmp_path / "w.duckdb"
    assert main(["ingest", str(inbox), "--db", str(db), "--no-progress"]) == 0
    (inbox / "ferry.html").unlink()
    capsys.readouterr()
    assert main(["reprocess", "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert "the one input could not be read (acquire/not_found 1)" in err and "Traceback" not in err


def test_config_shows_file_env_and_flag_precedence(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "newsflow.toml").write_text('workers = 5\nbatch_size = 7\n')
    monkeypatch.setenv("NEWSFLOW_BATCH_SIZE", "9")
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert "config file: newsflow.toml" in out and "workers = 5" in out and "batch_size = 9" in out
    parsed = tomllib.loads(out)  # the output is itself a valid config file
    (tmp_path / "newsflow.toml").write_text(out)
    assert main(["config"]) == 0 and capsys.readouterr().out.splitlines()[1:] == out.splitlines()[1:]
    assert parsed["workers"] == 5 and parsed["quality"]["languages"] == [] and "dask_address" not in parsed
    assert parsed["fetch"]["retries"] == 3 and parsed["similarity"]["neardup_threshold"] == 0.5


def test_bad_setting_is_a_usage_error(monkeypatch, capsys):
    monkeypatch.setenv("NEWSFLOW_WORKERS", "zero")
    assert main(["config"]) == 2
    assert "setting workers" in capsys.readouterr().err


def test_a_mistyped_environment_variable_is_a_usage_error(monkeypatch, capsys):
    """pydantic ignores NEWSFLOW_* names that match no setting; a typo must not silently change nothing."""
    monkeypatch.setenv("NEWSFLOW_WORKRS", "4")
    assert main(["config"]) == 2
    err = capsys.readouterr().err
    assert "NEWSFLOW_WORKRS names no setting (did you mean NEWSFLOW_WORKERS?)" in err
    monkeypatch.delenv("NEWSFLOW_WORKRS")
    monkeypatch.setenv("NEWSFLOW_SIMILARTY__STORY_THRESHOLD", "0.3")  # a group's name mistyped
    assert main(["config"]) == 2 and "NEWSFLOW_SIMILARTY__STORY_THRESHOLD names no setting" in capsys.readouterr().err
    monkeypatch.delenv("NEWSFLOW_SIMILARTY__STORY_THRESHOLD")
    monkeypatch.setenv("NEWSFLOW_SIMILARITY__STORY_THRESHOLD", "0.3")
    monkeypatch.setenv("NEWSFLOW_DB_MEMORY_LIMIT", "1GiB")
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert "story_threshold = 0.3" in out and 'db_memory_limit = "1GiB"' in out


def test_each_default_is_defined_once_in_its_stage_model(tmp_path, monkeypatch):
    """The fetcher's, the quality suites' and the similarity stages' options are nested, not copied."""
    from newsflow.acquire.options import FetchOptions
    from newsflow.expectations.suites import QualityConfig
    from newsflow.settings import GROUPS, Settings, _fields, default_of
    from newsflow.warehouse.options import SimilarityOptions

    settings = Settings()
    assert (settings.fetch, settings.similarity) == (FetchOptions(), SimilarityOptions())
    assert settings.quality == QualityConfig().with_min_words(settings.min_words)
    names = [n for g in GROUPS for n, f in _fields(Settings.model_fields[g].annotation).items() if f.init is not False]
    assert len(names) == len(set(names)) and not set(names) & set(Settings.model_fields)  # no name twice
    assert default_of("retries") == 3 and default_of("batch_size") == 50 and default_of("story_threshold") == 0.22
    # a group's option by its own name (as CLI flags give them), as a TOML table, or in the environment
    options = Settings(retries=7, allowed_networks=["10.0.0.0/8"]).fetch
    assert options.retries == 7 and options.allowed_networks == ("10.0.0.0/8",)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "newsflow.toml").write_text('[fetch]\nretries = 1\n[quality]\nlanguages = ["en", "de"]\n')
    monkeypatch.setenv("NEWSFLOW_SIMILARITY__STORY_THRESHOLD", "0.3")
    settings = Settings(user_agent="probe/1")
    assert (settings.fetch.retries, settings.fetch.user_agent) == (1, "probe/1")
    assert settings.quality.languages == ("en", "de") and settings.similarity.story_threshold == 0.3
    with pytest.raises(ValueError):
        Settings(quality={"min_words": 3})  # one min_words: the top-level setting


def test_option_help_shows_the_settings_defaults_from_the_models(monkeypatch):
    """No default is copied into a help string: each setting's option reads it from the models."""
    import click

    from newsflow.cli import SettingOption
    from newsflow.settings import Settings, default_of

    # the help follows the model: change a default and the help changes with it
    monkeypatch.setattr(Settings.model_fields["batch_size"], "default", 77)
    ingest = cli.commands["ingest"]
    [batch] = [p for p in ingest.params if p.name == "batch_size"]
    assert batch.get_help_record(click.Context(ingest))[1].endswith("[default: 77]")
    monkeypatch.undo()

    seen = 0
    for name, command in cli.commands.items():
        ctx = click.Context(command, info_name=name)
        for param in command.params:
            if isinstance(param, SettingOption):
                seen += 1
                assert "[default:" not in (param.help or ""), f"{name} {param.name}: default copied into the help"
                assert param.get_help_record(ctx)[1].endswith(f"[default: {default_of(param.setting)}]")
    assert seen >= 8
