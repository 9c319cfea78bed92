"""Hostile and careless local inputs (issue 14): links, FIFOs, devices, huge sparse files, odd encodings,
damaged raw bodies and odd CLI values never hang, exhaust or poison a run."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import tracemalloc

import pytest

from newsflow.acquire.files import Item, discover
from newsflow.acquire.stamps import RACY_NS
from newsflow.cli import main
from newsflow.flows.batches import process_item
from newsflow.flows.cache import batch_cache_key
from newsflow.settings import Settings
from newsflow.transforms.models import Processed, Reject

from conftest import FERRY, REPO, html_page, write
from websupport import Server


@pytest.fixture
def server():
    """A real HTTP server on 127.0.0.1 (tests/test_fetch.py)."""
    srv = Server()
    yield srv
    srv.close()


BODY = ("The council confirmed the new library branches on Tuesday after a long public consultation "
        "that drew hundreds of written responses from residents across the district. ") * 3


def _article(path, title="Library branches to open"):
    return write(path, html_page(title, FERRY))


# -- discovery: only regular files, links only when allowed, every skip counted by reason ---------------

def test_symlink_in_a_scanned_folder_is_skipped_and_counted(tmp_path):
    inbox = tmp_path / "inbox"
    _article(inbox / "real.html")
    (inbox / "x.txt").symlink_to("/etc/passwd")
    (inbox / "gone.html").symlink_to(inbox / "nowhere.html")
    os.mkfifo(inbox / "pipe.html")
    items, skipped = discover([inbox])
    assert [os.path.basename(i.origin) for i in items] == ["real.html"]
    assert skipped == {"symlink": 2, "not_regular": 1}


def test_following_symlinks_is_a_setting_and_dangling_links_are_counted(tmp_path):
    inbox = tmp_path / "inbox"
    target = _article(tmp_path / "elsewhere" / "story.html")
    (inbox).mkdir()
    (inbox / "story.html").symlink_to(target)
    (inbox / "gone.html").symlink_to(inbox / "nowhere.html")
    items, skipped = discover([inbox], follow_symlinks=True)
    assert [os.path.basename(i.origin) for i in items] == ["story.html"]
    assert skipped == {"dangling_link": 1}
    assert Settings(db=tmp_path / "x.duckdb").follow_symlinks is False


def test_origins_are_absolute_and_a_dotdot_after_a_link_names_the_file_read(tmp_path, monkeypatch):
    """One spelling per file (documents.origin), without resolving links: a link stays its own input,
    but `link/..` is the link target's parent, as the system reads it, not the folder holding the link."""
    here = _article(tmp_path / "top" / "story.html", "The story next to the link")
    there = _article(tmp_path / "far" / "story.html", "The story next to the link's target")
    _article(tmp_path / "far" / "deep" / "inside.html")
    (tmp_path / "top" / "link").symlink_to(tmp_path / "far" / "deep", target_is_directory=True)
    monkeypatch.chdir(tmp_path / "top")
    items, _ = discover(["story.html", "./link/../story.html", "link", f"{tmp_path}//top/./story.html",
                         "link/../../top/story.html"])
    assert [i.origin for i in items] == [str(here), str(there), str(tmp_path / "top" / "link" / "inside.html")]
    assert open("link/../story.html", "rb").read() == there.read_bytes() != here.read_bytes()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder whatever its mode")
def test_unreadable_subfolder_is_counted(tmp_path):
    _article(tmp_path / "in" / "a.html")
    locked = tmp_path / "in" / "locked"
    _article(locked / "b.html")
    locked.chmod(0)
    try:
        items, skipped = discover([tmp_path / "in"])
    finally:
        locked.chmod(0o755)
    assert len(items) == 1 and skipped == {"unreadable_dir": 1}


def test_skipped_files_reach_the_run_summary(prefect_harness, tmp_path, capsys):
    inbox = tmp_path / "inbox"
    _article(inbox / "real.html")
    (inbox / "x.txt").symlink_to("/etc/passwd")
    os.mkfifo(inbox / "pipe.txt")
    write(inbox / "notes.md", "# not an article")
    db = tmp_path / "w.duckdb"
    assert main(["ingest", str(inbox), "--db", str(db), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "skipped files by reason: not_regular 1, other_type 1, symlink 1" in out
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM documents WHERE origin LIKE '%x.txt'").fetchone()[0] == 0


def test_skipped_files_are_accounted_for_in_sql(prefect_harness, tmp_path):
    """Every file in a scanned folder is an input (documents + rejects), unchanged or skipped: runs says which."""
    import duckdb

    inbox = tmp_path / "inbox"
    _article(inbox / "real.html")
    write(inbox / "stub.html", "<html><body><p>Too short.</p></body></html>")  # read, then rejected
    (inbox / "x.txt").symlink_to("/etc/passwd")
    os.mkfifo(inbox / "pipe.txt")
    write(inbox / "notes.md", "# not an article")
    write(inbox / ".draft.html", "<p>hidden</p>")
    write(inbox / ".git" / "config", "[core]")
    time.sleep(RACY_NS / 1e9 + 0.2)  # old enough for their stamps to be recorded (acquire/stamps.py)
    db = tmp_path / "w.duckdb"
    assert main(["ingest", str(inbox), "--db", str(db), "--no-progress"]) == 0
    write(inbox / "more.md", "# another one")
    assert main(["ingest", str(inbox), "--db", str(db), "--no-progress"]) == 0  # real.html now unchanged
    assert main(["validate", "--db", str(db)]) == 0
    files = sum(len(names) for _, _, names in os.walk(inbox))
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT inputs, unchanged, skipped, skip_reasons FROM runs WHERE kind = 'ingest' "
                           "ORDER BY started_at").fetchall()
        assert con.execute("SELECT skipped, skip_reasons FROM runs WHERE kind = 'validate'").fetchall() == \
               [(None, None)]
        assert con.execute("SELECT skipped FROM run_history ORDER BY started_at").fetchall() == \
               [(5,), (6,), (None,)]
    assert rows[0] == (2, 0, 5, {"hidden": 2, "not_regular": 1, "other_type": 1, "symlink": 1})
    assert rows[1] == (1, 1, 6, {"hidden": 2, "not_regular": 1, "other_type": 2, "symlink": 1})
    assert [i + u + s for i, u, s, _ in rows] == [files - 1, files]  # every file, each counted once


# -- reading: non-regular files refused at once, sizes checked before reading ---------------------------

def test_fifo_named_directly_is_rejected_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    (item,), _ = discover([fifo])
    outcome: list = []
    worker = threading.Thread(target=lambda: outcome.append(process_item(item, Settings(db=tmp_path / "x.duckdb"))),
                              daemon=True)
    worker.start()
    worker.join(timeout=10)
    if worker.is_alive():  # let the stuck reader go before failing
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("reading a FIFO named on the command line hung")
    assert isinstance(outcome[0], Reject) and (outcome[0].stage, outcome[0].reason) == ("acquire", "not_regular")


@pytest.mark.slow  # a subprocess that imports the whole stack
def test_link_to_a_device_is_refused_not_read_forever(tmp_path):
    # In a child process with a memory cap: a reader that does not stop must fail, not eat the machine.
    link = tmp_path / "zero.txt"
    link.symlink_to("/dev/zero")
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))\n"
        "from newsflow.acquire.files import discover\n"
        "from newsflow.flows.batches import process_item\n"
        "from newsflow.settings import Settings\n"
        f"(item,), _ = discover([{str(link)!r}])\n"
        f"r = process_item(item, Settings(db={str(tmp_path / 'x.duckdb')!r}, max_file_bytes=1_000_000))\n"
        "print('OUTCOME', getattr(r, 'stage', None), getattr(r, 'reason', None))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert "OUTCOME acquire not_regular" in done.stdout, done.stderr[-500:]


def test_batch_cache_key_checks_the_size_before_reading(tmp_path):
    huge = tmp_path / "huge.html"
    with open(huge, "wb") as f:  # sparse: 64 MB on paper, nothing on disk
        f.truncate(64 << 20)
    settings = Settings(db=tmp_path / "x.duckdb", max_file_bytes=1_000_000)
    tracemalloc.start()
    try:
        key = batch_cache_key(None, {"items": [Item(str(huge), "html")], "settings": settings})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert key is None  # too large: left to the batch, which rejects it
    assert peak < 8 << 20, f"{peak >> 20} MB held to compute a cache key"
    outcome = process_item(Item(str(huge), "html"), settings)
    assert (outcome.stage, outcome.reason) == ("acquire", "too_large")


def test_batch_cache_key_still_keys_ordinary_files(tmp_path):
    page = _article(tmp_path / "a.html")
    settings = Settings(db=tmp_path / "x.duckdb")
    first = batch_cache_key(None, {"items": [Item(str(page), "html")], "settings": settings})
    assert first and first == batch_cache_key(None, {"items": [Item(str(page), "html")], "settings": settings})
    page.write_text(page.read_text() + "<!-- changed -->")
    assert batch_cache_key(None, {"items": [Item(str(page), "html")], "settings": settings}) != first


# -- encoding ------------------------------------------------------------------------------------------

def test_cp1252_text_whose_only_accent_is_its_last_byte(tmp_path):
    path = write(tmp_path / "menu.txt", ("Library branches to open\n" + BODY + "They met at the café").encode("cp1252"))
    (item,), _ = discover([path])
    outcome = process_item(item, Settings(db=tmp_path / "x.duckdb"))
    assert isinstance(outcome, Processed), outcome
    assert outcome.article.text.endswith("They met at the café")


def test_utf8_cut_inside_a_character_is_still_truncated(tmp_path):
    path = write(tmp_path / "cut.txt", ("Library branches to open\n" + BODY + "Ça va, café").encode("utf-8")[:-1])
    (item,), _ = discover([path])
    outcome = process_item(item, Settings(db=tmp_path / "x.duckdb"))
    assert (outcome.stage, outcome.reason) == ("decode", "truncated")


# -- reprocess with a damaged raw store ------------------------------------------------------------------

def test_reprocess_rejects_a_corrupt_or_truncated_raw_body_and_goes_on(prefect_harness, server, tmp_path):
    from test_ingest_web import article, query, settings

    from newsflow.acquire import rawstore
    from newsflow.flows.reprocess import run_reprocess
    from newsflow.flows.run import run_ingest

    for topic in ("harbour", "budget", "bridge"):
        server.routes[f"/news/{topic}"] = article(topic)
    cfg = settings(tmp_path)
    run_ingest([server.url(f"/news/{t}") for t in ("harbour", "budget", "bridge")], cfg)
    db = tmp_path / "news.duckdb"
    shas = dict(query(db, "SELECT origin, raw_sha256 FROM documents"))
    truncated = rawstore.path_for(cfg.raw_store(), shas[server.url("/news/harbour")])
    truncated.write_bytes(truncated.read_bytes()[:-12])
    garbage = rawstore.path_for(cfg.raw_store(), shas[server.url("/news/budget")])
    garbage.write_bytes(b"not gzip at all")

    summary = run_reprocess(cfg)
    assert summary.inputs == 3 and summary.rejected == 2
    assert summary.reject_reasons == {"acquire/raw_corrupt": 2}
    assert sorted(query(db, "SELECT origin FROM documents WHERE run_id = ?", summary.run_id)) == \
        [(server.url("/news/bridge"),)]


# -- reprocess reads a file the way discovery found it: a link swapped in since is refused -----------------

SECRET = ["The night shift rota for the pumping station lists every engineer's home telephone number "
          "and the code that opens the side gate, and it must never leave the operations office.",
          "Anyone who finds this sheet outside the office should return it to the duty manager at once, "
          "without copying it, photographing it or reading the rest of the numbers out loud."]


def _swap_for_a_link(inbox, name, target):
    """The file found in the folder is replaced by a symbolic link to another file."""
    (inbox / name).unlink()
    (inbox / name).symlink_to(target)


def test_reprocess_items_open_files_without_following_a_link_swapped_in(tmp_path):
    from newsflow.acquire.read import read_item
    from newsflow.flows.reprocess import reprocess_items
    from newsflow.transforms.models import RejectError
    from newsflow.warehouse.db import connect

    inbox = tmp_path / "inbox"
    found = _article(inbox / "story.html")
    secret = write(tmp_path / "private" / "rota.html", html_page("Night shift rota", SECRET))
    con = connect(tmp_path / "w.duckdb")
    try:
        con.execute("INSERT INTO runs (run_id, started_at, status, inputs, new_articles, duplicates, rejected) "
                    "VALUES ('r1', now(), 'completed', 1, 1, 0, 0)")
        con.execute("INSERT INTO documents (document_id, run_id, origin, kind, fetched_at, raw_sha256, article_id, "
                    "is_duplicate) VALUES ('d1', 'r1', ?, 'html', now(), 'x', 'a', false)", [str(found)])
        _swap_for_a_link(inbox, "story.html", secret)
        (item,), rejects, _ = reprocess_items(con, tmp_path / "raw")
        assert rejects == [] and item.origin == str(found)
        with pytest.raises(RejectError) as info:
            read_item(item, 1_000_000)
        assert info.value.reason == "symlink"
        (followed,), _, _ = reprocess_items(con, tmp_path / "raw", follow_symlinks=True)
        assert b"pumping station" in read_item(followed, 1_000_000).body  # follow_symlinks = true: the user's choice
    finally:
        con.close()


def test_reprocess_refuses_a_link_swapped_in_after_the_ingest(prefect_harness, tmp_path):
    from test_ingest_web import query

    from newsflow.flows.reprocess import run_reprocess
    from newsflow.flows.run import run_ingest

    inbox = tmp_path / "inbox"
    _article(inbox / "story.html")
    write(inbox / "other.html", html_page("Tram line extended", [p.replace("ferry", "tram") for p in FERRY]))
    secret = write(tmp_path / "private" / "rota.html", html_page("Night shift rota", SECRET))
    cfg = Settings(db=tmp_path / "w.duckdb", quality={"enabled": False}, workers=1)
    first = run_ingest([str(inbox)], cfg)
    assert first.new_articles == 2
    _swap_for_a_link(inbox, "story.html", secret)

    summary = run_reprocess(cfg)
    assert summary.reject_reasons == {"acquire/symlink": 1}, summary
    assert query(cfg.db, "SELECT count(*) FROM articles WHERE text LIKE '%pumping station%'") == [(0,)]


# -- CLI values ------------------------------------------------------------------------------------------

def _err(args, capsys) -> tuple[int, str]:
    code = main(args)
    return code, capsys.readouterr().err


def test_empty_input_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _article(tmp_path / "a.html")
    code, err = _err(["ingest", "", "--db", str(tmp_path / "w.duckdb")], capsys)
    assert code == 2 and "empty input" in err and not (tmp_path / "w.duckdb").exists()


@pytest.mark.parametrize("args, says", [
    (["--db", ""], "setting db (--db): an empty path names no file"),
    (["--lock-timeout", "inf"], "setting lock_timeout (--lock-timeout): Input should be a finite number"),
    (["--lock-timeout", "nan"], "setting lock_timeout (--lock-timeout)"),
    (["--lock-timeout", "1e300"], "setting lock_timeout (--lock-timeout): Input should be less than"),
    (["--user-agent", "café"], "setting fetch.user_agent (--user-agent): must be printable ASCII"),
])
def test_odd_values_name_their_option(tmp_path, capsys, monkeypatch, args, says):
    monkeypatch.chdir(tmp_path)
    page = _article(tmp_path / "in" / "a.html")
    code, err = _err(["ingest", str(page), *(["--db", str(tmp_path / "w.duckdb")] if "--db" not in args else []),
                      *args], capsys)
    assert code == 2 and says in err, err
    assert "Traceback" not in err and not (tmp_path / "w.duckdb").exists()


def test_db_in_a_missing_folder_is_refused_not_created(tmp_path, capsys):
    page = _article(tmp_path / "in" / "a.html")
    target = tmp_path / "no" / "such" / "x.duckdb"
    code, err = _err(["ingest", str(page), "--db", str(target)], capsys)
    assert code == 2 and f"the folder {target.parent} does not exist" in err
    assert not (tmp_path / "no").exists()


def test_serve_refuses_a_file_that_is_not_a_prefect_yaml_before_starting_anything(tmp_path, capsys):
    code, err = _err(["serve", "--file", "/etc/passwd"], capsys)
    assert code == 2 and "--file: /etc/passwd is not a prefect.yaml" in err
    assert not (tmp_path / ".prefect").exists()


def test_broken_config_file_is_named(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSFLOW_CONFIG", raising=False)
    (tmp_path / "newsflow.toml").write_text("workers = [\n")
    code, err = _err(["config"], capsys)
    assert code == 2 and "newsflow.toml: not a valid config file (TOML)" in err
    (tmp_path / "newsflow.toml").write_text('lock_timeout = "inf"\n')
    code, err = _err(["config"], capsys)
    assert code == 2 and "setting lock_timeout (newsflow.toml)" in err  # where it is set: not a variable never set


def test_an_eof_error_inside_a_command_is_a_failure_not_an_abort(capsys):
    from newsflow import cli as cli_module

    @cli_module.cli.command("explode-eof")
    def explode_eof():  # a library raising EOFError (e.g. gzip on a truncated stream) inside a command
        raise EOFError("Compressed file ended before the end-of-stream marker was reached")

    try:
        code = main(["explode-eof"])
    finally:
        cli_module.cli.commands.pop("explode-eof", None)
    err = capsys.readouterr().err
    assert code == 1 and "EOFError: Compressed file ended" in err and "aborted" not in err
