"""Near-duplicates: the labelled set, determinism, and the persisted index on real DuckDB files."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from newsflow.transforms import neardup as nd
from newsflow.transforms.models import Article, Processed
from newsflow.transforms.normalize import content_hash
from newsflow.warehouse import similarity
from newsflow.warehouse.db import connect, transaction
from newsflow.warehouse.load import RunRecord
from newsflow.warehouse.options import SimilarityOptions

PAIRS = Path(__file__).parent / "data" / "neardup_pairs.jsonl"
REPO = Path(__file__).resolve().parent.parent
NEARDUP_THRESHOLD = SimilarityOptions().neardup_threshold
T0 = datetime(2025, 6, 2, 8, 0, tzinfo=timezone.utc)


def load_pairs() -> list[dict]:
    return [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines() if line.strip()]


def entry(article_id: str, text: str, published: datetime | None = T0, seen: datetime = T0) -> nd.Entry:
    return nd.entry(article_id, text, nd.rank_key(published, seen, article_id))


def is_pair_linked(a: str, b: str, threshold: float) -> bool:
    decision = nd.decide([entry("a", a), entry("b", b, T0 + timedelta(hours=1))], [], threshold)
    return any(m.duplicate_of for m in decision.matches)


# -- the labelled set -------------------------------------------------------------------------

def test_labelled_set_is_large_and_covers_every_kind():
    pairs = load_pairs()
    kinds = {p["kind"] for p in pairs}
    assert len(pairs) >= 40
    assert {"syndicated_light", "syndicated_trimmed", "syndicated_heavy", "cross_format",
            "same_story", "same_topic", "unrelated"} <= kinds
    assert sum(p["near_duplicate"] for p in pairs) >= 20
    assert sum(not p["near_duplicate"] for p in pairs) >= 20
    assert len({p["id"] for p in pairs}) == len(pairs)


def test_default_threshold_has_full_precision_and_recall_on_the_labelled_set():
    tp = fp = fn = 0
    for p in load_pairs():
        linked = is_pair_linked(p["a"]["text"], p["b"]["text"], NEARDUP_THRESHOLD)
        tp += linked and p["near_duplicate"]
        fp += linked and not p["near_duplicate"]
        fn += (not linked) and p["near_duplicate"]
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert precision == 1.0
    assert recall >= 0.95


def test_same_story_pairs_are_far_below_the_threshold():
    for p in load_pairs():
        if p["kind"] in ("same_story", "same_topic", "unrelated"):
            j = nd.jaccard(nd.shingles(p["a"]["text"]), nd.shingles(p["b"]["text"]))
            assert j < NEARDUP_THRESHOLD / 2, p["id"]


def test_seeds_are_not_near_duplicates_of_each_other(seeds_dir):
    texts = [f.read_text(encoding="utf-8") for f in sorted(seeds_dir.glob("*.txt"))]
    assert len(texts) == 5
    entries = [entry(f"seed{i}", t) for i, t in enumerate(texts)]
    assert all(m.duplicate_of is None for m in nd.decide(entries, [], NEARDUP_THRESHOLD).matches)


# -- signatures ---------------------------------------------------------------------------------

BASE = load_pairs()[0]["a"]["text"]


def test_shingles_ignore_case_typography_and_spacing():
    text = 'The council said "yes" - by 31 votes to 18.'
    variant = "THE  council said \u201cyes\u201d \u2014 by 31 votes to 18 ."
    assert np.array_equal(nd.shingles(text), nd.shingles(variant))


def test_short_and_empty_texts():
    assert len(nd.shingles("")) == 0
    assert len(nd.shingles("two words")) == 1
    sig = nd.signature(nd.shingles(""))
    assert nd.band_hashes(sig) == []


def test_signature_and_bands_are_pinned_across_machines():
    # Fixed seed, blake2b token hashes, datasketch affine32: these values must never drift.
    # If this fails after a datasketch upgrade, stored indexes need warehouse.similarity.rebuild.
    sig = nd.signature(nd.shingles("One two three four five six seven eight nine ten."))
    bands = nd.band_hashes(sig)
    assert len(sig) == 128 and sig.dtype == np.uint32
    assert len(bands) == nd.DEFAULT_PARAMS.bands
    assert sig[:4].tolist() == PINNED_SIG
    assert bands[:2] == PINNED_BANDS


PINNED_SIG = [143583374, 1055559851, 661166908, 401378050]
PINNED_BANDS = [4121725816776972175, 7963548049576546402]


def test_estimate_tracks_exact_jaccard():
    for p in load_pairs()[:12]:
        a, b = nd.shingles(p["a"]["text"]), nd.shingles(p["b"]["text"])
        assert abs(nd.estimate(nd.signature(a), nd.signature(b)) - nd.jaccard(a, b)) < 0.15


def test_blob_round_trip():
    sig = nd.signature(nd.shingles(BASE))
    assert np.array_equal(nd.from_blob(nd.to_blob(sig)), sig)


def test_threshold_below_the_band_layout_is_refused():
    nd.check_threshold(NEARDUP_THRESHOLD)
    with pytest.raises(ValueError, match="neardup_threshold 0.2"):
        nd.check_threshold(0.2)


# -- decisions ----------------------------------------------------------------------------------

def copies() -> list[tuple[str, str]]:
    """One base article and its three labelled copies, plus an unrelated article."""
    pairs = load_pairs()
    base = pairs[0]["a"]["text"]
    out = [("base", base)] + [(f"copy{i}", p["b"]["text"]) for i, p in enumerate(pairs[:3])]
    return out + [("other", next(p["b"]["text"] for p in pairs if p["kind"] == "unrelated"))]


def test_canonical_is_earliest_published_then_earliest_seen():
    docs = copies()
    published = {"base": T0 + timedelta(hours=5), "copy0": None, "copy1": T0 + timedelta(hours=1),
                 "copy2": T0 + timedelta(hours=1), "other": T0}
    seen = {"copy2": T0 - timedelta(days=1)}
    entries = [entry(i, t, published[i], seen.get(i, T0)) for i, t in docs]
    decision = nd.decide(entries, [], NEARDUP_THRESHOLD)
    by_id = {m.article_id: m for m in decision.matches}
    assert by_id["copy2"].duplicate_of is None  # ties on published_at: seen a day earlier wins
    assert {by_id[i].duplicate_of for i in ("base", "copy0", "copy1")} == {"copy2"}
    assert by_id["other"].duplicate_of is None
    assert 0.4 < by_id["base"].similarity <= 1.0


def test_decision_does_not_depend_on_input_order():
    entries = [entry(i, t, T0 + timedelta(minutes=n)) for n, (i, t) in enumerate(copies())]
    first = nd.decide(entries, [], NEARDUP_THRESHOLD)
    for seed in range(5):
        shuffled = entries[:]
        random.Random(seed).shuffle(shuffled)
        assert nd.decide(shuffled, [], NEARDUP_THRESHOLD) == first


def test_earlier_copy_arriving_later_takes_over_the_group():
    docs = dict(copies())
    old = [entry("base", docs["base"], T0 + timedelta(hours=3)),
           entry("copy0", docs["copy0"], T0 + timedelta(hours=4))]
    stored = nd.decide(old, [], NEARDUP_THRESHOLD)
    heads = {m.article_id: m.duplicate_of for m in stored.matches}
    assert heads == {"base": None, "copy0": "base"}
    known = [nd.Entry(e.article_id, e.key, e.signature, e.shingles, heads[e.article_id]) for e in old]
    decision = nd.decide([entry("copy1", docs["copy1"], T0)], known, NEARDUP_THRESHOLD)
    assert decision.matches == [nd.Match("copy1", None, None)]
    assert decision.repoints == [nd.Repoint("base", "copy1")]


# -- the persisted index ------------------------------------------------------------------------

def views_similarity(con) -> None:
    con.execute((REPO / "warehouse" / "sql" / "views_similarity.sql").read_text(encoding="utf-8"))


def ingest(con, docs: list[dict], now: datetime, run_id: str = "run") -> list[str]:
    """Load articles through the production write stages (flows.commit); the new article ids.

    `now` only orders the runs: the warehouse stamps first_seen_at itself.
    """
    from conftest import load_plain

    items = []
    for d in docs:
        text = d["text"]
        article = Article(text, d.get("title"), [], d.get("published_at"), "en", 0.99, len(text.split()),
                          content_hash(text))
        items.append(Processed(d["origin"], "text", "", now, article, [], source=d.get("source")))
    before = {r[0] for r in con.execute("SELECT article_id FROM articles").fetchall()}
    load_plain(con, RunRecord(run_id, None, now), items, [])
    return list(dict.fromkeys(p.article.article_id for p in items if p.article.article_id not in before))


def doc(origin: str, text: str, hours: float | None = 0, source: str = "example.org", title=None) -> dict:
    return {"origin": origin, "text": text, "title": title, "source": source,
            "published_at": None if hours is None else T0 + timedelta(hours=hours)}


def test_copy_in_a_later_run_links_to_the_earlier_canonical(tmp_path):
    docs = dict(copies())
    con = connect(tmp_path / "w.duckdb")
    [base] = ingest(con, [doc("base", docs["base"], 0, "wire.example")], T0)
    [copy] = ingest(con, [doc("copy", docs["copy0"], 2, "courier.example")], T0 + timedelta(days=1), "run2")
    row = con.execute("SELECT duplicate_of, similarity FROM articles WHERE article_id = ?", [copy]).fetchone()
    assert row[0] == base and 0.5 < row[1] <= 1.0
    assert con.execute("SELECT duplicate_of FROM articles WHERE article_id = ?", [base]).fetchone()[0] is None
    assert con.execute("SELECT count(*) FROM internal.neardup_signatures").fetchone()[0] == 2
    assert con.execute("SELECT count(*) FROM internal.neardup_bands").fetchone()[0] == 2 * nd.DEFAULT_PARAMS.bands
    # ...and both are in one story: a copy joins its canonical article's story
    assert con.execute("SELECT count(DISTINCT story_id) FROM articles").fetchone()[0] == 1
    views_similarity(con)
    rows = con.execute("SELECT canonical_id, copy_id, copies, canonical_outlets, copy_outlets "
                       "FROM syndication").fetchall()
    assert rows == [(base, copy, 1, "wire.example", "courier.example")]


def test_earlier_published_copy_in_a_later_run_becomes_canonical(tmp_path):
    docs = dict(copies())
    con = connect(tmp_path / "w.duckdb")
    base, copy0 = ingest(con, [doc("base", docs["base"], 5), doc("c0", docs["copy0"], 6)], T0)
    [copy1] = ingest(con, [doc("c1", docs["copy1"], 1)], T0 + timedelta(days=1), "run2")
    rows = dict(con.execute("SELECT article_id, duplicate_of FROM articles").fetchall())
    assert rows == {copy1: None, base: copy1, copy0: copy1}
    sims = con.execute("SELECT similarity FROM articles WHERE duplicate_of IS NOT NULL").fetchall()
    assert all(0.3 < s[0] <= 1.0 for s in sims)


def table_dump(con) -> dict:
    return {
        "articles": con.execute("SELECT article_id, duplicate_of, similarity, story_id FROM articles "
                                "ORDER BY article_id").fetchall(),
        "bands": con.execute("SELECT * FROM internal.neardup_bands ORDER BY ALL").fetchall(),
        "signatures": con.execute("SELECT * FROM internal.neardup_signatures ORDER BY ALL").fetchall(),
        "stories": con.execute("SELECT * FROM stories ORDER BY ALL").fetchall(),
        "story_terms": con.execute("SELECT * FROM internal.story_terms ORDER BY ALL").fetchall(),
        "story_centroids": con.execute("SELECT * FROM internal.story_centroids ORDER BY ALL").fetchall(),
        "story_df": con.execute("SELECT * FROM internal.story_df ORDER BY ALL").fetchall(),
    }


def test_shuffled_input_gives_identical_tables(tmp_path):
    pairs = load_pairs()
    # published_at follows the text, so exact copies (one article) carry the same metadata
    docs = [doc(f"{p['id']}/{side}", p[side]["text"], int(content_hash(p[side]["text"])[:4], 16) % 48,
                f"s{n % 4}.example", p[side]["title"]) for n, p in enumerate(pairs) for side in ("a", "b")]
    dumps = []
    for seed in range(3):
        shuffled = docs[:]
        random.Random(seed).shuffle(shuffled)
        con = connect(tmp_path / f"w{seed}.duckdb")
        ingest(con, shuffled, T0)
        dumps.append(table_dump(con))
        con.close()
    assert dumps[0] == dumps[1] == dumps[2]
    assert sum(1 for a in dumps[0]["articles"] if a[1]) >= 25


def test_html_and_text_of_one_article_land_on_the_same_canonical(tmp_path):
    from newsflow.transforms.clean import clean
    from newsflow.transforms.extract import extract_html
    from newsflow.transforms.normalize import normalize
    from newsflow.transforms.textreader import read_text

    from conftest import html_page

    pair = next(p for p in load_pairs() if p["kind"] == "syndicated_light")
    title, paragraphs = pair["a"]["title"], pair["a"]["text"].split("\n")
    html = html_page(title, paragraphs, published="2025-06-02T08:00:00+00:00")
    text = f"{title}\nBy Dana Whitfield\nJune 2, 2025\n\n" + "\n\n".join(paragraphs) + \
        "\n\nShare this article\nSign up for our newsletter to get the news delivered to your inbox."
    articles = []
    for extracted in (extract_html(html), read_text(text)):
        articles.append(normalize(extracted, clean(extracted.text)))
    con = connect(tmp_path / "w.duckdb")
    for n, a in enumerate(articles):
        ingest(con, [{"origin": f"f{n}", "text": a.text, "title": a.title, "source": "example.org",
                      "published_at": a.published_at}], T0 + timedelta(hours=n), f"run{n}")
    rows = con.execute("SELECT coalesce(duplicate_of, article_id) FROM articles").fetchall()
    assert len({r[0] for r in rows}) == 1


def test_index_built_with_other_parameters_is_refused(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    ingest(con, [doc("base", BASE)], T0)
    other = nd.IndexParams(bands=64, rows=2)
    with transaction(con), pytest.raises(similarity.IndexMismatch, match="rebuild"):
        similarity.link_near_duplicates(con, [], params=other)
    with transaction(con):
        assert similarity.rebuild(con, other) == 1
    assert con.execute("SELECT count(*) FROM internal.neardup_bands").fetchone()[0] == 64


def test_backfill_indexes_articles_loaded_before_the_index(tmp_path):
    docs = dict(copies())
    con = connect(tmp_path / "w.duckdb")
    ingest(con, [doc("base", docs["base"], 0)], T0)
    con.execute("DELETE FROM internal.neardup_bands; DELETE FROM internal.neardup_signatures")
    with transaction(con):
        assert similarity.backfill(con) == 1
    [copy] = ingest(con, [doc("copy", docs["copy0"], 1)], T0 + timedelta(days=1), "run2")
    assert con.execute("SELECT duplicate_of FROM articles WHERE article_id = ?", [copy]).fetchone()[0]


def test_prefilter_keeps_every_labelled_copy_and_drops_unrelated_pairs():
    for p in load_pairs():
        a, b = nd.signature(nd.shingles(p["a"]["text"])), nd.signature(nd.shingles(p["b"]["text"]))
        if p["near_duplicate"]:
            assert nd.plausible(a, b, NEARDUP_THRESHOLD), p["id"]
        elif p["kind"] in ("unrelated", "same_topic"):
            assert not nd.plausible(a, b, NEARDUP_THRESHOLD), p["id"]


def test_bulk_prefilter_agrees_with_plausible_at_every_count():
    # warehouse.similarity applies the prefilter to all candidate pairs at once; it must give the
    # very verdicts of plausible(), including at the rounding edge of each threshold.
    rng = np.random.default_rng(7)
    n = nd.DEFAULT_PARAMS.num_perm
    a = rng.integers(0, 2**32, size=(n + 1, n), dtype=np.uint32)
    b = a.copy()
    for count in range(n + 1):
        b[count, count:] += 1  # exactly `count` equal slots
    for threshold in (nd.minimum_threshold(), 0.5, 0.5078125 + nd.PREFILTER_MARGIN, 0.8, 1.0):
        bulk = nd.plausible_pairs(a, b, threshold)
        assert bulk.tolist() == [nd.plausible(a[i], b[i], threshold) for i in range(n + 1)]
    blobs = [nd.to_blob(row) for row in a[:3]]
    assert np.array_equal(nd.from_blobs(blobs, n), a[:3])
