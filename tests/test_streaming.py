"""A run's memory does not grow with its size: outcomes spilled to disk, rows streamed into the transaction."""

from __future__ import annotations

import gc
import weakref

from newsflow.flows.spill import Outcomes, Spill
from newsflow.transforms.models import Reject
from newsflow.warehouse.db import connect, transaction
from newsflow.warehouse.load import RunRecord, insert_frame

from conftest import NOW, load_plain, processed


def test_spill_gives_back_each_batch_in_order_and_holds_no_text_in_memory():
    spill = Spill()
    batches = [[processed(i) for i in range(start, start + 3)] for start in (0, 3, 6)]
    for batch in batches:
        spill.append(batch)
    probe = weakref.ref(batches[1][0].article)
    del batches, batch
    gc.collect()
    assert probe() is None  # the spill keeps bytes on disk, not the objects
    chunks = list(spill.chunks())
    assert [[p.origin for p in c] for c in chunks] == [[f"/in/{i}.txt" for i in range(s, s + 3)] for s in (0, 3, 6)]
    assert [p.article.text for p in spill] == [processed(i).article.text for i in range(9)]  # re-readable
    assert len(spill) == 9
    spill.close()


def test_outcomes_file_articles_and_keep_rejects_and_outlets():
    outcomes = Outcomes()
    outcomes.add([processed(1), Reject("/in/x", "decode", "binary", "NUL"), processed(2)], {"/in/2.txt": "Desk"})
    assert [p.source for p in outcomes.processed] == [None, "Desk"]
    assert [r.origin for r in outcomes.rejects] == ["/in/x"]
    outcomes.close()


def test_streamed_commit_equals_the_one_list_commit_and_dedups_across_batches(tmp_path):
    """A copy in a later batch of an article in an earlier one is a duplicate, as in one list."""
    items = [processed(1), processed(2), processed(3), processed(2), processed(4), processed(1)]
    for i, p in enumerate(items):
        p.origin = f"/in/copy-{i}.txt"
    tables = {}
    for name, given in (("list", items), ("spill", None)):
        con = connect(tmp_path / f"{name}.duckdb")
        if given is None:
            given = Spill()
            for start in range(0, len(items), 2):
                given.append(items[start:start + 2])
        result = load_plain(con, RunRecord("r1", None, NOW), given, [Reject("/in/x", "decode", "binary", "NUL")])
        assert (result.inputs, result.new_articles, result.duplicates, result.rejected) == (7, 4, 2, 1)
        tables[name] = {t: con.execute(f"SELECT * EXCLUDE ({cols}) FROM {t} ORDER BY ALL").fetchall()
                        for t, cols in (("articles", "first_seen_at"), ("documents", "fetched_at"),
                                        ("removed_segments", "stage"), ("rejects", "rejected_at"))}
        con.close()
    assert tables["spill"] == tables["list"]


def test_a_frame_inserted_inside_the_transaction_is_not_pinned_until_the_commit(tmp_path):
    """con.register() + unregister() inside a transaction keeps the DataFrame alive until COMMIT:
    a run's every chunk (its whole text) would stay in memory. The insert must let it go."""
    import pandas as pd

    con = connect(tmp_path / "w.duckdb")
    con.execute("CREATE TABLE t (id INTEGER, text VARCHAR)")
    with transaction(con):
        frame = pd.DataFrame({"id": [1, 2], "text": ["a" * 1000, "b" * 1000]})
        probe = weakref.ref(frame)
        insert_frame(con, "t", frame)
        del frame
        gc.collect()
        assert probe() is None
    assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 2
    con.close()
