"""Apply the boilerplate rule table to a text's paragraphs, keeping what was removed and why."""

from __future__ import annotations

import re

from newsflow.transforms.literals import screen
from newsflow.transforms.models import Cleaned, Removed
from newsflow.transforms.rules import RULES, Rule

_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"[.!?…\"'”’)]\s*$")
# A cut marker this early is a stray nav label, not a rail: drop the block instead.
_MIN_CUT_SHARE = 0.25
_TAIL_SHARE = 0.4
# a paragraph shown twice in a row is a caption or teaser; a line of one or two words may repeat
# in the story itself (a <pre>'s code or verse lines keep their lines: "list: [", "}")
_REPEAT_WORDS = (3, 40)
# extract.table_rows writes a table as one line per row, cells split by this; a page's own text
# rarely runs two such lines one under the other, a menu or breadcrumb is one line.
CELL_SEPARATOR = " | "


def paragraphs(text: str) -> list[str]:
    """Non-empty, stripped lines: the paragraphs of an extracted text."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def is_teaser(paragraph: str, words: int | None = None) -> bool:
    """A short headline-like line, as listed under a rail header (`words`: its word_count, if known)."""
    return (word_count(paragraph) if words is None else words) <= 20 and not _SENTENCE_END.search(paragraph)


def is_label(paragraph: str) -> bool:
    """A short line without sentence punctuation, such as a name or a heading."""
    return word_count(paragraph) <= 5 and not _SENTENCE_END.search(paragraph)


def table_rows_of(paras: list[str]) -> list[bool]:
    """Which paragraphs are rows of a table: two or more consecutive lines with cells split by " | ".

    A row of short cells reads like a menu ("1 | FC Seeblick | 34 | 71" like "Home | News | Sport"),
    but a run of them is a grid of data: the text rules leave it alone (a table of links is the
    HTML stage's and trafilatura's to judge, where the links are still known).
    """
    cells = [CELL_SEPARATOR in p for p in paras]
    return [c and ((i > 0 and cells[i - 1]) or (i + 1 < len(cells) and cells[i + 1])) for i, c in enumerate(cells)]


def match_rule(paragraph: str, index: int, total: int, rules: tuple[Rule, ...] = RULES,
               words: int | None = None, screened: str | None = None) -> Rule | None:
    """The first rule that applies to paragraph number `index` of `total`, or None.

    `words`: its word_count, if known; `screened`: `literals.screen(paragraph)`, if known, to skip
    the rules whose required strings it lacks.
    """
    if words is None:
        words = word_count(paragraph)
    in_tail = index >= min(total * (1 - _TAIL_SHARE), total - 3)
    for rule in rules:
        if words > rule.max_words or (rule.tail and not in_tail):
            continue
        if screened is not None and rule.needs is not None:
            for needed in rule.needs:  # a loop, not any(): this runs ~800 times a page
                if needed in screened:
                    break
            else:
                continue
        if rule.regex.search(paragraph):
            return rule
    return None


def clean(text: str, rules: tuple[Rule, ...] = RULES) -> Cleaned:
    """Drop boilerplate paragraphs from `text` by `rules`; paragraphs come back joined by blank lines."""
    paras = paragraphs(text)
    total = len(paras)
    counts = [word_count(p) for p in paras]  # each paragraph's words, counted once
    screened = [screen(p) for p in paras]
    total_words = sum(counts) or 1
    keep = [True] * total
    reason: list[str | None] = [None] * total
    rows = table_rows_of(paras)
    words_before = 0
    i = 0
    while i < total:
        para = paras[i]
        if rows[i]:  # a table's row is data, whatever it looks like
            words_before += counts[i]
            i += 1
            continue
        if i and para == paras[i - 1] and _REPEAT_WORDS[0] <= counts[i] <= _REPEAT_WORDS[1]:
            keep[i], reason[i] = False, "repeated_paragraph"  # a caption or teaser shown twice
            i += 1
            continue
        rule = match_rule(para, i, total, rules, counts[i], screened[i])
        if rule is None:
            words_before += counts[i]
            i += 1
            continue
        keep[i], reason[i] = False, rule.name
        action = rule.action
        if action == "cut" and words_before < _MIN_CUT_SHARE * total_words:
            action = "block"
        if action == "cut":
            for j in range(i + 1, total):
                if keep[j]:
                    keep[j], reason[j] = False, rule.name
            break
        if action == "label" and i and keep[i - 1] and is_label(paras[i - 1]):
            keep[i - 1], reason[i - 1] = False, rule.name
        i += 1
        if action == "block":
            while (i < total and not rows[i] and is_teaser(paras[i], counts[i])
                   and match_rule(paras[i], i, total, rules, counts[i], screened[i]) is None):
                keep[i], reason[i] = False, rule.name
                i += 1
    removed = [Removed(reason[k], paras[k]) for k in range(total) if not keep[k]]
    kept = [paras[k] for k in range(total) if keep[k]]
    return Cleaned("\n\n".join(kept), removed)
