"""The rules' required-literal screen (transforms/literals.py) never skips a rule that matches."""

from __future__ import annotations

import re
import string

import pytest
from test_rules import BODY, POSITIVE, article

from newsflow.transforms.clean import clean, match_rule, paragraphs
from newsflow.transforms.literals import FOLD_UNSAFE, required_literals, screen
from newsflow.transforms.rules import RULES


def test_fold_unsafe_is_what_re_equates_with_ascii():
    # every non-ASCII character that case-insensitive `re` matches with some ASCII character
    others = "".join(chr(c) for c in range(0x80, 0x110000) if not 0xD800 <= c <= 0xDFFF)
    unsafe = set()
    for c in string.printable:  # ... and that str.lower() does not turn into that character's lowercase
        unsafe |= {d for d in re.findall(re.escape(c), others, re.IGNORECASE) if d.lower() != c.lower()}
    assert unsafe == set(FOLD_UNSAFE)


@pytest.mark.parametrize("pattern,needs", [
    (r"foo (?:bar|baz)", ("foo ba",)),  # re's parser takes the alternatives' common prefix out
    (r"\b(?:sign up|subscribe)\b.{0,80}\bnewsletters?\b", ("newsletter",)),
    (r"^(?:read|see) (?:also|more)\s*:", ("also", "more")),
    (r"(?:colou?r|shade)s?", ("colo", "shade")),
    (r"(?:ab|c?)d?", None),  # an alternative that needs nothing
    (r"x*y{0,2}", None),
    (r"[abc]+\d", None),
    (r"crédit photo", ("dit photo",)),  # the longest ASCII stretch of a literal run
])
def test_required_literals(pattern, needs):
    assert required_literals(re.compile(pattern, re.IGNORECASE)) == needs


def test_no_screen_for_case_sensitive_patterns():
    assert required_literals(re.compile("foo bar")) is None


def test_most_rules_have_a_screen():
    assert sum(rule.needs is not None for rule in RULES) >= len(RULES) // 2


def _variants(wording: str) -> list[str]:
    return [wording, wording.upper(), wording.title(), wording.replace("s", "ſ").replace("k", "\u212a"),
            wording.replace("i", "ı"), wording.replace("I", "İ")]


@pytest.mark.parametrize("wording", sorted({w for _, w, _ in POSITIVE}))
def test_a_matching_paragraph_always_passes_the_screen(wording):
    for text in _variants(wording):
        screened = screen(text)
        for rule in RULES:
            if rule.needs is not None and rule.regex.search(text):
                assert screened is None or any(s in screened for s in rule.needs), (rule.name, text)


def test_the_screen_does_not_change_what_is_removed():
    for name, wording, where in POSITIVE:
        for text in _variants(wording):
            paras = article([text], where)
            i, total = paras.index(text), len(paras)
            assert match_rule(text, i, total, screened=screen(text)) is match_rule(text, i, total), text


def test_a_long_s_still_matches_its_rule():
    # re matches "ſ" with "s", but "ſ".lower() is not "s": the screen must not skip the rule
    line = "This article is for informational purpoſes only."
    assert screen(line) is None
    paras = article([line], "end")
    cleaned = clean("\n".join(paras))
    assert [(r.rule, r.segment) for r in cleaned.removed] == [("disclaimer", line)]
    assert paragraphs(cleaned.text) == BODY
