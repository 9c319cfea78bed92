"""Story clustering: articles about one event, across outlets, by TF-IDF cosine within a time window.

Pure functions on plain data. Each story keeps a centroid (the sum of its members' unit term
vectors, cut to the strongest terms); a new article joins the most similar story active within the
window, or founds a new one. Document frequencies and centroids persist in the warehouse
(`warehouse.similarity`), so a run compares against every story, not only its own batch.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import numpy as np

ARTICLE_TERMS = 40   # strongest terms kept per article vector
STORY_TERMS = 80     # strongest terms kept per story centroid
IDF_FLOOR_DOCS = 1000
# With few documents every term's df is high relative to n and idf flattens; counting at least
# this many documents keeps a small warehouse's weights close to a large one's.

_WORD = re.compile(r"[^\W_]+")
_STOP = frozenset("""
a about above after again against all also although am among an and another any are around as at
be because been before being below between both but by can could did do does doing down during each
either even ever every few for from further had has have having he her here hers herself him himself his
how however i if in into is it its itself just last least less like made make many may me might more
most much must my near neither new next no nor not now of off often on once one only or other others
our ours ourselves out over own per percent rather really said say says same she should since so some
still such than that the their theirs them themselves then there these they this those though three
through to too two under until up upon us very via was we were what when where whether which while who
whom whose why will with within without would year years yet you your yours yourself according told
week weeks month months day days time first second new news report reported reports reporting
monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow mr mrs ms
""".split())


@dataclass(frozen=True)
class StoryItem:
    """A new article for story assignment. `at` is published_at, else first_seen_at."""

    article_id: str
    key: tuple                   # neardup.rank_key: processing order, founder choice
    at: datetime
    text: str
    title: str | None = None
    duplicate_of: str | None = None   # near-duplicate head: the copy joins the head's story
    dated: bool = True                # False: no published_at, `at` is only when we saw it


@dataclass(frozen=True)
class Story:
    """A story's centroid: `terms` is the (truncated) sum of member unit vectors."""

    story_id: str
    first_at: datetime
    last_at: datetime
    article_count: int
    terms: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class StoryResult:
    assignments: dict[str, str]   # article_id -> story_id, for every new item
    stories: list[Story]          # new or changed stories, to upsert
    similarity: dict[str, float]  # article_id -> cosine to the story it joined (absent for founders)


def story_id(founder_article_id: str) -> str:
    """Stable id from the founding article, so a rerun makes the same id."""
    return hashlib.sha256(f"story\0{founder_article_id}".encode()).hexdigest()[:16]


def terms(text: str) -> list[str]:
    """Content words: lower-cased, stop words and one-letter tokens dropped, plural -s trimmed."""
    out = []
    for w in _WORD.findall(unicodedata.normalize("NFKC", text).casefold()):
        if w in _STOP or len(w) < 2 or (w.isdigit() and len(w) < 2):
            continue
        if len(w) > 4 and w.endswith("s") and not w.endswith("ss") and not w.isdigit():
            w = w[:-1]
        out.append(w)
    return out


def term_counts(text: str, title: str | None = None) -> Counter:
    """Term frequencies; title words count twice (a headline names the event)."""
    counts = Counter(terms(text))
    if title:
        for t in terms(title):
            counts[t] += 2
    return counts


def idf(df: int, n_docs: int) -> float:
    return math.log((max(n_docs, IDF_FLOOR_DOCS) + 1) / (df + 1)) + 1.0


def vector(counts: Mapping[str, int], df: Mapping[str, int], n_docs: int, top: int = ARTICLE_TERMS) -> dict[str, float]:
    """Unit-length TF-IDF vector (sublinear tf) of the `top` strongest terms; ties broken by term."""
    log, base = math.log, max(n_docs, IDF_FLOOR_DOCS) + 1
    # idf() written out (the same operations, so the same floats): a call per term is most of the cost.
    weights = {t: (1.0 + log(c)) * (log(base / (df.get(t, 0) + 1)) + 1.0) for t, c in counts.items()}
    items = weights.items()
    if len(weights) > top:  # only the terms at or above the top-th weight can be kept: sort just those
        cut = heapq.nlargest(top, weights.values())[-1]
        items = [(t, w) for t, w in items if w >= cut]
    kept = sorted(items, key=lambda kv: (-kv[1], kv[0]))[:top]
    norm = math.sqrt(sum(w * w for _, w in kept)) or 1.0
    return {t: round(w / norm, 6) for t, w in kept}


def cosine(vec: Mapping[str, float], centroid: Mapping[str, float]) -> float:
    norm = math.sqrt(sum(w * w for w in centroid.values()))
    if not norm:
        return 0.0
    return sum(w * centroid.get(t, 0.0) for t, w in vec.items()) / norm


def _add(centroid: Mapping[str, float], vec: Mapping[str, float]) -> dict[str, float]:
    total = dict(centroid)
    for t, w in vec.items():
        total[t] = total.get(t, 0.0) + w
    kept = sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))[:STORY_TERMS]
    return {t: round(w, 6) for t, w in kept}


def _span(story: Story, item: StoryItem) -> dict[str, datetime]:
    """The story's time span with `item` in it; an undated item leaves it as it is."""
    if not item.dated:
        return {"first_at": story.first_at, "last_at": story.last_at}
    return {"first_at": min(story.first_at, item.at), "last_at": max(story.last_at, item.at)}


def document_frequencies(items: Iterable[StoryItem],
                         counts: Mapping[str, Mapping[str, int]] | None = None) -> tuple[Counter, int]:
    """How many of `items` contain each term, and how many items were counted: add both to the
    stored figures (internal.story_df, n_docs) before assigning.

    Near-duplicate copies (`duplicate_of` set) are left out: a copy repeats its head's terms, and
    counted it would make a republished story's own words look common. `counts` are the items'
    `term_counts` by article_id, when the caller has made them already.
    """
    df: Counter = Counter()
    n = 0
    for item in items:
        if item.duplicate_of:
            continue
        df.update((counts[item.article_id] if counts is not None else term_counts(item.text, item.title)).keys())
        n += 1
    return df, n


def assign(new: Sequence[StoryItem], stories: Sequence[Story], df: Mapping[str, int], n_docs: int,
                   threshold: float, window: timedelta, head_story: Mapping[str, str] | None = None,
                   vectors: Mapping[str, Mapping[str, float]] | None = None) -> StoryResult:
    """Put each new article in the most similar story active within `window`, or found a new one.

    `stories` are the stored candidates (at least those within the window of the batch), `df` and
    `n_docs` already include this batch, `head_story` maps indexed near-duplicate heads to their
    story, `vectors` (optional) the items' `vector`s if the caller has made them already. Items are
    taken in `key` order, so the input order does not matter.
    """
    head_story = dict(head_story or {})
    pool: dict[str, Story] = {s.story_id: s for s in stories}
    vectors = vectors or {}
    index = _CentroidIndex(pool.values(), len(new), window)
    changed: set[str] = set()
    assignments: dict[str, str] = {}
    sims: dict[str, float] = {}
    for item in sorted(new, key=lambda i: i.key):
        if item.duplicate_of and (sid := assignments.get(item.duplicate_of) or head_story.get(item.duplicate_of)):
            s = pool.get(sid)
            if s is not None:  # a copy counts as an article but does not pull the centroid
                pool[sid] = replace(s, article_count=s.article_count + 1, **_span(s, item))
                index.put(pool[sid])
                changed.add(sid)
            assignments[item.article_id] = sid
            continue
        vec = vectors[item.article_id] if item.article_id in vectors else \
            vector(term_counts(item.text, item.title), df, n_docs)
        best, best_sim = None, 0.0
        # The index scores every story in the window at once and returns those that may hold the
        # maximum; the decision is then made on them exactly as a loop over all stories would.
        # An undated article (a text file, a page without a date) may join a story of any time:
        # when we happened to read it says nothing about when the event was.
        for sid in index.best(vec, item.at if item.dated else None, threshold):
            sim = cosine(vec, pool[sid].terms)
            if sim > best_sim:
                best, best_sim = pool[sid], sim
        if best is not None and best_sim >= threshold:
            pool[best.story_id] = Story(best.story_id, article_count=best.article_count + 1,
                                        terms=_add(best.terms, vec), **_span(best, item))
            assignments[item.article_id] = best.story_id
            sims[item.article_id] = round(best_sim, 4)
            changed.add(best.story_id)
        else:
            sid = story_id(item.article_id)
            pool[sid] = Story(sid, item.at, item.at, 1, _add({}, vec))
            assignments[item.article_id] = sid
            changed.add(sid)
        index.put(pool[assignments[item.article_id]])
    return StoryResult(assignments, [pool[s] for s in sorted(changed)], sims)


_US = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1)
TIE = 1e-9
"""Scores within this of the best are re-checked with `cosine`. The array sum differs from `cosine`'s
by rounding only (~1e-15), so the exact maximum is always among them."""


def _us(at: datetime) -> int:
    """Microseconds since the epoch: exact, so window tests on arrays agree with datetime comparisons."""
    return (at.replace(tzinfo=None) - _EPOCH - (at.utcoffset() or timedelta())) // _US


class _CentroidIndex:
    """The candidate stories as arrays, to score one article against all of them in one step.

    Row r holds a story's centroid as term numbers `terms[r]` (padded with the always-zero column 0)
    and weights `weights[r]`, its norm and its span in microseconds. A new or changed story is
    written back with `put`, so the arrays always match `pool`.
    """

    def __init__(self, stories: Iterable[Story], extra: int, window: timedelta):
        stories = list(stories)
        self.column: dict[str, int] = {}
        self.query = np.zeros(1 + sum(len(s.terms) for s in stories) + ARTICLE_TERMS * extra)
        size = len(stories) + extra
        width = max([STORY_TERMS] + [len(s.terms) for s in stories])
        self.terms = np.zeros((size, width), dtype=np.int32)
        self.weights = np.zeros((size, width))
        self.norm = np.full(size, np.inf)   # an empty centroid scores 0, as in `cosine`
        self.first = np.zeros(size, dtype=np.int64)
        self.last = np.zeros(size, dtype=np.int64)
        self.ids: list[str] = []
        self.row: dict[str, int] = {}
        self.window = window // _US
        for s in stories:
            self.put(s)

    def put(self, story: Story) -> None:
        r = self.row.setdefault(story.story_id, len(self.ids))
        if r == len(self.ids):
            self.ids.append(story.story_id)
        n = len(story.terms)
        self.terms[r] = 0
        self.terms[r, :n] = [self._col(t) for t in story.terms]
        self.weights[r] = 0.0
        self.weights[r, :n] = list(story.terms.values())
        self.norm[r] = math.sqrt(sum(w * w for w in story.terms.values())) or np.inf
        self.first[r], self.last[r] = _us(story.first_at), _us(story.last_at)

    def _col(self, term: str) -> int:
        """The term's column in `query` (0 stays zero: the padding)."""
        return self.column.setdefault(term, len(self.column) + 1)

    def best(self, vec: Mapping[str, float], at: datetime | None, threshold: float) -> list[str]:
        """Story ids, in id order, that may hold the highest cosine to `vec` among the stories whose
        span is within the window of `at` (any story if `at` is None); none if that is below `threshold`."""
        rows = np.arange(len(self.ids))
        if at is not None:
            t = _us(at)
            rows = rows[(self.first[rows] - self.window <= t) & (t <= self.last[rows] + self.window)]
        if not len(rows) or not vec:
            return []
        cols = [self._col(t) for t in vec]
        self.query[cols] = list(vec.values())
        scores = (self.query[self.terms[rows]] * self.weights[rows]).sum(axis=1) / self.norm[rows]
        self.query[cols] = 0.0
        top = scores.max()
        if top < threshold - TIE:
            return []
        return sorted(self.ids[r] for r in rows[scores >= top - TIE])
