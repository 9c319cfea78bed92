"""The warehouse on real DuckDB files: migrations, atomic loads, locks, and a kill mid-load."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import duckdb
import pytest

from newsflow.transforms.models import Processed, Reject
from newsflow.warehouse.db import connect, migrations, schema_version
from newsflow.warehouse.errors import WarehouseLocked
from newsflow.warehouse.load import RunRecord

from conftest import NOW, REPO, hold_lock, load_plain, processed


def counts(path) -> dict:
    with duckdb.connect(str(path), read_only=True) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("articles", "documents", "rejects", "runs", "removed_segments")}


def test_migrations_apply_once_and_record_the_version(tmp_path):
    db = tmp_path / "w.duckdb"
    connect(db).close()
    con = connect(db)
    assert schema_version(con) == migrations()[-1][0]
    assert con.execute("SELECT count(*) FROM internal.schema_migrations").fetchone()[0] == len(migrations())
    con.close()


def test_a_new_warehouse_is_written_in_a_format_duckdb_1_5_reads(tmp_path):
    """DuckDB 1.5 (the duckdb-cli on PyPI) reads file versions 64-68; 2.0's own format is newer. The
    format stays the one the file was created with; an older warehouse keeps 2.0's."""
    import struct

    db = tmp_path / "w.duckdb"
    con = connect(db)
    load_plain(con, RunRecord("r1", None, NOW), [processed(1)], [])
    con.execute("CHECKPOINT")
    con.close()
    old = tmp_path / "old.duckdb"
    duckdb.connect(str(old)).close()  # as an earlier newsflow created it
    connect(old).close()
    for path, tag in ((db, "v1.5.0+"), (old, "v2.0.0+")):
        with duckdb.connect(str(path), read_only=True) as con:
            assert con.execute("SELECT tags['storage_version'] FROM duckdb_databases() "
                               "WHERE database_name = current_database()").fetchone()[0] == tag
    header = db.read_bytes()[8:20]  # after the checksum: magic, then the version DuckDB 1.5 checks
    assert header[:4] == b"DUCK" and 64 <= struct.unpack("<Q", header[4:])[0] <= 68
    assert counts(db)["articles"] == 1


def test_load_counts_add_up_and_exact_copies_share_a_row(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    a, b = processed(1), processed(2)
    copy = Processed("/in/copy.txt", "text", "f" * 64, NOW, a.article, [])
    result = load_plain(con, RunRecord("r1", None, NOW), [a, b, copy], [Reject("/in/x", "decode", "binary", "NUL")])
    assert (result.inputs, result.new_articles, result.duplicates, result.rejected) == (4, 2, 1, 1)
    again = load_plain(con, RunRecord("r2", None, NOW), [b], [])
    assert (again.new_articles, again.duplicates) == (0, 1)
    assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 2
    assert con.execute("SELECT inputs, new_articles, duplicates, rejected FROM runs WHERE run_id='r1'").fetchone() == (4, 2, 1, 1)
    con.close()


def test_failed_load_leaves_previous_state(tmp_path):
    db = tmp_path / "w.duckdb"
    con = connect(db)
    load_plain(con, RunRecord("r1", None, NOW), [processed(1)], [])
    before = counts_on(con)
    with pytest.raises(duckdb.Error):
        load_plain(con, RunRecord("r1", None, NOW), [processed(2)], [])  # run_id reused: runs PK violated last
    assert counts_on(con) == before
    con.close()


def counts_on(con) -> dict:
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("articles", "documents", "runs")}




def test_locked_database_waits_then_fails_clearly(tmp_path):
    db = tmp_path / "w.duckdb"
    connect(db).close()
    proc = hold_lock(db)
    try:
        started = time.monotonic()
        with pytest.raises(WarehouseLocked) as err:
            connect(db, lock_timeout=1.0)
        assert time.monotonic() - started >= 1.0
        assert "in use by another process" in str(err.value) and f"PID {proc.pid}" in str(err.value)
        assert "lock_timeout" in str(err.value)
    finally:
        proc.kill()
        proc.wait()
    assert counts(db)["runs"] == 0  # still a valid, readable file


def test_lock_released_within_the_timeout_is_waited_for(tmp_path):
    db = tmp_path / "w.duckdb"
    connect(db).close()
    proc = hold_lock(db)
    killer = subprocess.Popen([sys.executable, "-c", f"import os, time; time.sleep(1); os.kill({proc.pid}, 9)"])
    try:
        connect(db, lock_timeout=20).close()
    finally:
        killer.wait()
        proc.wait()


KILL_SCRIPT = textwrap.dedent("""
    import sys
    sys.path[:0] = [{tests!r}]
    from conftest import processed, load_plain, NOW
    from newsflow.warehouse.db import connect
    from newsflow.warehouse.load import RunRecord
    batch = [processed(i) for i in range(100, 100 + {n})]
    con = connect({db!r})
    print("loading", flush=True)
    load_plain(con, RunRecord("doomed", None, NOW), batch, [])
    print("loaded", flush=True)
""")


@pytest.mark.slow  # a subprocess that imports the whole stack
def test_kill_during_load_leaves_previous_state_and_next_run_completes(tmp_path):
    db = tmp_path / "w.duckdb"
    con = connect(db)
    load_plain(con, RunRecord("r1", None, NOW), [processed(i) for i in range(10)], [])
    con.close()
    before = counts(db)

    script = KILL_SCRIPT.format(tests=str(REPO / "tests"), n=100_000, db=str(db))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "loading"
    time.sleep(1.0)  # the 100k-row load takes several seconds
    os.kill(proc.pid, signal.SIGKILL)
    rest = proc.stdout.read()
    proc.wait()
    assert "loaded" not in rest, "the load finished before the kill; make the batch larger"

    assert counts(db) == before
    con = connect(db)
    result = load_plain(con, RunRecord("r2", None, NOW), [processed(i) for i in range(10, 20)], [])
    con.close()
    assert result.new_articles == 10
    assert counts(db)["articles"] == before["articles"] + 10
