"""One writer per warehouse: concurrent runs wait for each other or fail saying why; the file stays intact."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import threading
import time

import duckdb
import pytest

from newsflow.settings import SAMPLES_DIR
from newsflow.warehouse.writelock import WriteLocked, lock_path, write_lock

HOLD = "import sys, time; from newsflow.warehouse.writelock import write_lock\n" \
       "with write_lock(sys.argv[1], 5):\n    print('held', flush=True); time.sleep(30)\n"


def test_write_lock_is_exclusive_across_threads_and_processes(tmp_path):
    db = tmp_path / "w.duckdb"
    held, release = threading.Event(), threading.Event()

    def hold():
        with write_lock(db, 1):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(5)
    started = time.monotonic()
    with pytest.raises(WriteLocked, match=r"another newsflow run \(another run in this process"):
        with write_lock(db, 0.3):
            pass
    assert 0.25 < time.monotonic() - started < 2, "it waits lock_timeout, then gives up"
    release.set()
    thread.join()

    child = subprocess.Popen([sys.executable, "-c", HOLD, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "held"
        with pytest.raises(WriteLocked) as err:
            with write_lock(db, 0.3):
                pass
        assert f"(pid {child.pid} since " in str(err.value)
        assert "raise lock_timeout (--lock-timeout, NEWSFLOW_LOCK_TIMEOUT)" in str(err.value)
    finally:
        child.kill()
        child.wait()
    with write_lock(db, 1):  # the OS let go of a killed holder's lock
        pass


def _locked(path) -> bool:
    """True when another process holds the flock on `path`."""
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def test_two_concurrent_ingests_one_waits_or_fails_clearly_and_the_warehouse_is_intact(prefect_server, tmp_path):
    """Run A holds the warehouse (one input is a slow page); B gives up after 1 s, C waits its turn."""
    from test_fetch import Reply, Server

    corpus = tmp_path / "corpus"
    shutil.copytree(SAMPLES_DIR, corpus)
    # A page that is answered only when the test says so: a stand-in for a slow site. (A FIFO used to
    # play this part; only regular files are read now.)
    release = threading.Event()
    text = b"Harbour pilots end strike\n\n" + b"The pilots voted to return to work on Monday. " * 8

    def held(headers):
        release.wait(60)
        return Reply(200, text, {"Content-Type": "text/plain; charset=utf-8"})

    site = Server()
    site.routes["/slow"] = held
    db = tmp_path / "w.duckdb"
    # C reads every file again (none skipped as unchanged), so its counts do not depend on timing.
    env = {**os.environ, "PREFECT_API_URL": prefect_server, "NEWSFLOW_QUALITY__ENABLED": "false",
           "NEWSFLOW_SKIP_UNCHANGED_FILES": "false"}

    def ingest(*args):
        return subprocess.Popen([sys.executable, "-m", "newsflow", "ingest", str(corpus), "--db", str(db),
                                 "--no-progress", *args], env=env, cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    a = ingest(site.url("/slow"), "--allow-private-hosts", "--lock-timeout", "1")
    try:
        deadline = time.monotonic() + 60
        while not _locked(lock_path(db)):
            assert a.poll() is None, f"run A ended early: {a.communicate()}"
            assert time.monotonic() < deadline, "run A never took the write lock"
            time.sleep(0.1)
        b = ingest("--lock-timeout", "1")
        c = ingest("--lock-timeout", "120")
        b_out, b_err = b.communicate(timeout=60)
        time.sleep(1)  # C started with B, so it is waiting at the lock by now
        assert a.poll() is None, f"A holds the lock until its slow input arrives: {a.communicate()}"
        assert c.poll() is None, f"C waits for the lock: {c.communicate()}"
        release.set()
        a_out, a_err = a.communicate(timeout=60)
        c_out, c_err = c.communicate(timeout=60)
    finally:
        release.set()
        site.close()
        for proc in (a, locals().get("b"), locals().get("c")):
            if proc and proc.poll() is None:
                proc.kill()
                proc.wait()

    assert a.returncode == 0, a_err
    assert a_out.startswith("19 inputs: 17 new articles, 1 duplicate, 1 rejected")
    assert b.returncode == 1 and b_out == ""
    assert b_err.startswith(f"error: database {db} is being written by another newsflow run (pid {a.pid} since ")
    assert "waited 1s. Wait for that run to finish, or raise lock_timeout (--lock-timeout, NEWSFLOW_LOCK_TIMEOUT)." in b_err
    assert c.returncode == 0, c_err
    assert c_out.startswith("18 inputs: 0 new articles, 17 duplicates, 1 rejected")

    with duckdb.connect(str(db), read_only=True) as con:
        runs = con.execute("SELECT run_id, status, inputs, new_articles FROM runs ORDER BY started_at").fetchall()
        assert [(s, i, n) for _, s, i, n in runs] == [("completed", 19, 17), ("completed", 18, 0)]  # nothing from B
        for run_id, _, inputs, _ in runs:
            documents, rejects = (con.execute(f"SELECT count(*) FROM {t} WHERE run_id = ?", [run_id]).fetchone()[0]
                                  for t in ("documents", "rejects"))
            assert documents + rejects == inputs
        assert con.execute("SELECT count(*), count(DISTINCT content_hash) FROM articles").fetchone() == (17, 17)
        assert con.execute("SELECT count(*) FROM documents d ANTI JOIN articles a USING (article_id)").fetchone()[0] == 0
