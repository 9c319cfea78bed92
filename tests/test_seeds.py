"""The five real seed articles in ../shared/seeds through the text reader, the cleaner and normalize.

The seeds are other people's writing, so none of their sentences is copied here. Each seed is
described by the positions of its lines (the non-empty lines of the file, as the text reader sees
them): which one is the headline, which are boilerplate and under which rule they must go; every
other line is body and must come out unchanged and in order. Short generic patterns check that
each position really holds the kind of line we expect, so a changed seed file fails loudly
instead of testing the wrong lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pytest

from newsflow.transforms.clean import clean, is_label, paragraphs, word_count
from newsflow.transforms.normalize import normalize
from newsflow.transforms.textreader import parse_dateline, read_text

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
_WORD = re.compile(r"\w+")


@dataclass
class Layout:
    lines: int  # non-empty lines in the file
    title: int | None  # line index of the headline
    boilerplate: dict[int, set[str]] = field(default_factory=dict)  # line -> acceptable rule names
    head: set[int] = field(default_factory=set)  # metadata lines (dateline) that leave the body
    shapes: dict[int, str] = field(default_factory=dict)  # line -> regex the line must match
    published: datetime | None = None


RAIL = set(range(21, 39))  # seed 003: "More For You" to the end of the file
LAYOUTS = {
    "000": Layout(lines=19, title=0, boilerplate={18: {"read_also_inline"}},
                  shapes={18: r"(?i)^also read\s*:\s*\S"}),
    "001": Layout(lines=19, title=0),
    "002": Layout(lines=24, title=0,
                  boilerplate={18: {"read_also_header"}, 19: {"disclaimer"}, 20: {"author_bio"},
                               21: {"author_bio"}, 22: {"related_rail"}, 23: {"related_rail", "back_to_top"}},
                  shapes={18: r"(?i)^read also\s*:?$", 19: r"(?i)^disclaimer\s*:", 22: r"(?i)^related articles$",
                          23: r"(?i)^back to top\b"}),
    "003": Layout(lines=39, title=1,
                  boilerplate={0: {"share"}, 4: {"image_credit"}, 5: {"repeated_paragraph", "image_credit"},
                               12: {"continues_below"}, 13: {"newsletter"},
                               **{i: {"related_rail"} for i in RAIL}},
                  head={3},
                  shapes={0: r"(?i)^share this article$", 3: r"\b2025\b", 4: r"\([^()]+\)$",
                          12: r"^STORY CONTINUES BELOW$", 13: r"(?i)\bsubscribe\b.*\bnewsletter",
                          21: r"(?i)^more for you$", 31: r"(?i)^more for you$"},
                  published=datetime(2025, 7, 29, 9, 50, tzinfo=timezone.utc)),
    "004": Layout(lines=14, title=None),
}


def key(text: str) -> tuple[str, ...]:
    """A line's words, casefolded: survives bullet rewriting and whitespace normalization."""
    return tuple(w.casefold() for w in _WORD.findall(text))


def seed_path(prefix: str) -> Path:
    if not SEEDS.is_dir():
        pytest.skip(f"seed articles not found at {SEEDS} (../shared/seeds beside the repo)")
    found = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    if not found:
        pytest.skip(f"seed {prefix} not found in {SEEDS}")
    return found[0]


def load(prefix: str):
    raw = seed_path(prefix).read_text(encoding="utf-8")
    lines = paragraphs(raw)
    extracted = read_text(raw)
    cleaned = clean(extracted.text)
    return lines, extracted, cleaned, normalize(extracted, cleaned)


@pytest.mark.parametrize("prefix", LAYOUTS)
def test_layout_matches_the_seed_file(prefix):
    lines, *_ = load(prefix)
    layout = LAYOUTS[prefix]
    assert len(lines) == layout.lines
    for i, shape in layout.shapes.items():
        assert re.search(shape, lines[i]), f"line {i} of seed {prefix} is not the line this test expects"


@pytest.mark.parametrize("prefix", LAYOUTS)
def test_every_body_paragraph_is_kept_in_order_and_nothing_else(prefix):
    lines, _, _, article = load(prefix)
    layout = LAYOUTS[prefix]
    not_body = set(layout.boilerplate) | layout.head | ({layout.title} if layout.title is not None else set())
    body = [key(line) for i, line in enumerate(lines) if i not in not_body]
    assert [key(p) for p in paragraphs(article.text)] == body


@pytest.mark.parametrize("prefix", LAYOUTS)
def test_boilerplate_lines_are_removed_by_the_expected_rules(prefix):
    lines, _, cleaned, _ = load(prefix)
    layout = LAYOUTS[prefix]
    removed = [(r.rule, key(r.segment)) for r in cleaned.removed]
    expected = [key(lines[i]) for i in sorted(layout.boilerplate)]
    assert [segment for _, segment in removed] == expected
    for (rule, _), i in zip(removed, sorted(layout.boilerplate)):
        assert rule in layout.boilerplate[i], f"line {i} of seed {prefix} removed by {rule}"


@pytest.mark.parametrize("prefix", LAYOUTS)
def test_title_and_dateline(prefix):
    lines, extracted, _, article = load(prefix)
    layout = LAYOUTS[prefix]
    if layout.title is None:
        assert article.title is None
    else:
        assert key(article.title) == key(lines[layout.title])
    assert article.published_at == layout.published
    assert extracted.authors == []
    assert article.language == "en"


def test_seed_003_rail_is_cut_to_the_end_and_the_dateline_is_metadata():
    lines, extracted, cleaned, article = load("003")
    rail = [r for r in cleaned.removed if r.rule == "related_rail"]
    assert [key(r.segment) for r in rail] == [key(lines[i]) for i in sorted(RAIL)]
    assert key(paragraphs(article.text)[-1]) == key(lines[min(RAIL) - 1])
    assert parse_dateline(lines[3]) == article.published_at
    assert all(key(lines[3]) != key(p) for p in paragraphs(extracted.text))
    # the caption is printed twice; both copies go
    assert lines[4] == lines[5] and key(lines[4]) not in {key(p) for p in paragraphs(article.text)}


def test_seed_002_author_name_goes_with_the_bio_below_it():
    lines, _, cleaned, _ = load("002")
    name, bio = lines[20], lines[21]
    assert is_label(name) and word_count(name) == 2
    assert key(bio)[:2] == key(name)  # the bio opens with the author's name
    assert [(r.rule, key(r.segment)) for r in cleaned.removed if r.rule == "author_bio"] == [
        ("author_bio", key(name)), ("author_bio", key(bio))]


@pytest.mark.parametrize("prefix", ["001", "004"])
def test_clean_seeds_lose_nothing(prefix):
    lines, extracted, cleaned, _ = load(prefix)
    assert cleaned.removed == []
    assert len(paragraphs(cleaned.text)) == len(lines) - (LAYOUTS[prefix].title is not None)
