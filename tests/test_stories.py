"""Story clustering: the seed story, unrelated articles, order and time window, warehouse upserts."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from newsflow.transforms import neardup as nd
from newsflow.transforms import stories as st
from newsflow.warehouse.db import connect
from newsflow.warehouse.options import SimilarityOptions

T0 = datetime(2025, 7, 29, 9, 0, tzinfo=timezone.utc)
DEFAULTS = SimilarityOptions()
WINDOWED = (DEFAULTS.story_threshold, DEFAULTS.story_window)
PAIRS = Path(__file__).parent / "data" / "neardup_pairs.jsonl"

# Invented for these tests: same broad topic as the seeds (bitcoin mining), a different event.
GRID_CAP = """The national grid operator of Kazakhstan ordered registered cryptocurrency mining farms to cut their electricity use by half for two weeks, as a heatwave pushed household demand for air conditioning to a record.
Mining companies, many of which moved their machines to the country after China banned crypto mining in 2021, said the order would force them to switch off thousands of rigs. An industry association estimated that its members would lose around 40 million dollars in revenue.
The operator said the miners had been warned in their contracts that supply could be limited during emergencies. Hospitals, water pumps and homes would keep priority, a spokesperson said.
Some miners said they would move part of their equipment to neighbouring countries where electricity is cheaper and supply more reliable. Analysts said the cut would barely affect the global network, since the country now accounts for less than five percent of bitcoin's computing power."""
# ...and one on nothing of the kind.
BREAD_PRIZE = """A family bakery from the village of Oldmere has won the national bread competition with a sourdough loaf made from rye grown on a farm two kilometres away.
Baker Tom Haller, who runs the shop with his sister, said the recipe had been in the family for three generations. The jury praised the loaf's dark crust and slightly sour taste.
The prize comes with a cash award of 5,000 euros, which the family plans to spend on a new stone oven. Since the announcement, the queue outside the shop has started before seven in the morning."""


def item(article_id: str, text: str, hours: float = 0, title: str | None = None, duplicate_of=None) -> st.StoryItem:
    at = T0 + timedelta(hours=hours)
    return st.StoryItem(article_id, nd.rank_key(at, at, article_id), at, text, title, duplicate_of)


def assign(items, stories=(), threshold: float = DEFAULTS.story_threshold, window: timedelta = DEFAULTS.story_window,
           **kw) -> st.StoryResult:
    df, n_docs = st.document_frequencies(items)
    return st.assign(items, list(stories), df, n_docs, threshold, window, **kw)


def seed_items(seeds_dir: Path) -> list[st.StoryItem]:
    files = sorted(seeds_dir.glob("*.txt"))
    return [item(f"seed{i}", f.read_text(encoding="utf-8"), hours=3 * i) for i, f in enumerate(files)]


def test_the_five_seeds_are_one_story_and_unrelated_articles_are_not(seeds_dir):
    items = seed_items(seeds_dir) + [item("grid", GRID_CAP, 2), item("bread", BREAD_PRIZE, 4)]
    result = assign(items)
    seeds = {result.assignments[f"seed{i}"] for i in range(5)}
    assert len(seeds) == 1
    assert result.assignments["grid"] not in seeds
    assert result.assignments["bread"] not in seeds
    assert result.assignments["grid"] != result.assignments["bread"]
    [story] = [s for s in result.stories if s.story_id in seeds]
    assert story.article_count == 5 and story.story_id == st.story_id("seed0")


def test_seed_story_holds_whichever_seed_comes_first(seeds_dir):
    items = seed_items(seeds_dir)
    for founder in range(5):
        # founder published first, the rest later in reverse
        shifted = [item(i.article_id, i.text, 0 if n == founder else 10 - n) for n, i in enumerate(items)]
        assert len(set(assign(shifted).assignments.values())) == 1, founder


def test_assignment_does_not_depend_on_input_order(seeds_dir):
    items = seed_items(seeds_dir) + [item("grid", GRID_CAP, 2), item("bread", BREAD_PRIZE, 4)]
    first = assign(items)
    for seed in range(5):
        shuffled = items[:]
        random.Random(seed).shuffle(shuffled)
        assert assign(shuffled) == first


def test_time_window_separates_a_later_event(seeds_dir):
    items = seed_items(seeds_dir)
    late = item("late", items[1].text.replace("Bitmain", "Bitmain again"), hours=24 * 30)
    result = assign(items + [late])
    assert result.assignments["late"] != result.assignments["seed0"]
    assert len(set(assign(items + [late], window=timedelta(days=60)).assignments.values())) == 1


def test_near_duplicate_joins_its_canonical_story_without_moving_the_centroid():
    result = assign([item("a", BREAD_PRIZE), item("b", BREAD_PRIZE + " Extra.", 1, duplicate_of="a")])
    assert result.assignments == {"a": st.story_id("a"), "b": st.story_id("a")}
    [story] = result.stories
    assert story.article_count == 2
    assert story.terms == assign([item("a", BREAD_PRIZE)]).stories[0].terms


def test_incremental_batch_joins_a_stored_story(seeds_dir):
    items = seed_items(seeds_dir)
    df, n_docs = st.document_frequencies(items)
    first = st.assign(items[:2], [], df, n_docs, *WINDOWED)
    second = st.assign(items[2:], first.stories, df, n_docs, *WINDOWED)
    assert set(second.assignments.values()) == set(first.assignments.values())


def test_equal_scores_go_to_the_lowest_story_id_and_undated_articles_ignore_the_window():
    text = BREAD_PRIZE
    vec = st.vector(st.term_counts(text), st.document_frequencies([item("x", text)])[0], 1)
    old = T0 - timedelta(days=30)
    stored = [st.Story(sid, old, old, 1, vec) for sid in ("ccc", "aaa", "bbb")]
    dated, undated = item("d", text), st.StoryItem("u", nd.rank_key(None, T0, "u"), T0, text, dated=False)
    df, _ = st.document_frequencies([dated])
    assert st.assign([dated], stored, df, 1, *WINDOWED).assignments == {"d": st.story_id("d")}  # out of window
    result = st.assign([undated], stored, df, 1, *WINDOWED)
    assert result.assignments == {"u": "aaa"} and result.similarity == {"u": 1.0}
    recent = [replace(s, first_at=T0, last_at=T0) for s in stored]
    assert st.assign([dated], recent[::-1], df, 1, *WINDOWED).assignments == {"d": "aaa"}


def test_labelled_same_story_pairs_cluster_and_same_topic_pairs_do_not():
    pairs = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines()]
    for p in pairs:
        if p["kind"] not in ("same_story", "same_topic"):
            continue
        a = item("a", p["a"]["text"], 0, p["a"]["title"])
        b = item("b", p["b"]["text"], 5, p["b"]["title"])
        together = len(set(assign([a, b]).assignments.values())) == 1
        assert together == (p["kind"] == "same_story"), p["id"]


def test_document_frequencies_leave_near_duplicate_copies_out():
    head, other = item("a", BREAD_PRIZE, title="Bread prize"), item("b", GRID_CAP)
    copy = item("c", BREAD_PRIZE + " Extra loaves sold.", 1, duplicate_of="a")
    df, n_docs = st.document_frequencies([head, copy, other])
    assert n_docs == 2
    assert df == st.document_frequencies([head, other])[0]
    assert df["bread"] == 1 and df["extra"] == 0 and df["mining"] == 1
    counts = {i.article_id: st.term_counts(i.text, i.title) for i in (head, copy, other)}  # made once by the caller
    assert st.document_frequencies([replace(i, text="", title=None) for i in (head, copy, other)], counts) == (df, 2)


def test_terms_drop_stop_words_and_fold_plurals():
    assert st.terms("The Factories said: Bitmain's miners, 2026!") == ["factorie", "bitmain", "miner", "2026"]


# -- warehouse --------------------------------------------------------------------------------

def test_stories_table_and_coverage_view_across_two_runs(tmp_path, seeds_dir):
    from test_neardup import ingest, views_similarity

    texts = [f.read_text(encoding="utf-8") for f in sorted(seeds_dir.glob("*.txt"))]
    outlets = ["a.example", "b.example", "c.example", "d.example", "b.example"]
    docs = [{"origin": f"seed{i}", "text": t, "title": None, "source": outlets[i],
             "published_at": T0 + timedelta(hours=2 * i)} for i, t in enumerate(texts)]
    con = connect(tmp_path / "w.duckdb")
    ingest(con, docs[:2] + [{"origin": "bread", "text": BREAD_PRIZE, "title": "Bread prize",
                            "source": "a.example", "published_at": T0}], T0, "run1")
    ingest(con, docs[2:], T0 + timedelta(days=1), "run2")
    stories = con.execute("SELECT story_id, article_count, source_count, first_published_at FROM stories "
                          "ORDER BY article_count DESC").fetchall()
    assert [(s[1], s[2]) for s in stories] == [(5, 4), (1, 1)]
    assert stories[0][3] == T0
    views_similarity(con)
    rows = con.execute("SELECT position, outlets, after_first FROM story_coverage WHERE story_id = ? "
                       "ORDER BY position", [stories[0][0]]).fetchall()
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0][1] == "a.example" and rows[0][2] == timedelta(0)
    assert rows[4][2] == timedelta(hours=8)
    assert con.execute("SELECT DISTINCT story_outlets FROM story_coverage WHERE story_id = ?",
                       [stories[0][0]]).fetchall() == [("a.example, b.example, c.example, d.example",)]
    assert con.execute("SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL").fetchone()[0] == 0


def test_stored_document_frequencies_are_the_pure_function_s(tmp_path, seeds_dir):
    """The warehouse's story_df and n_docs are `document_frequencies` of the articles it loaded (one
    implementation): near-duplicate copies, linked at load, are left out."""
    from test_neardup import copies, ingest

    texts = dict(copies())
    docs = [{"origin": o, "text": t, "title": None, "published_at": T0} for o, t in texts.items()]
    docs += [{"origin": "bread", "text": BREAD_PRIZE, "title": "Bread prize", "published_at": T0}]
    con = connect(tmp_path / "w.duckdb")
    ingest(con, docs[:3], T0, "run1")
    ingest(con, docs[3:], T0 + timedelta(days=1), "run2")
    rows = con.execute("SELECT article_id, text, title, duplicate_of FROM articles").fetchall()
    assert sum(1 for r in rows if r[3]) >= 2  # copies the near-duplicate stage linked
    df, n_docs = st.document_frequencies([item(a, text, title=title, duplicate_of=dup) for a, text, title, dup in rows])
    assert dict(con.execute("SELECT term, df FROM internal.story_df").fetchall()) == dict(df)
    assert con.execute("SELECT n_docs FROM internal.similarity_index WHERE name = 'stories'").fetchone()[0] == n_docs
