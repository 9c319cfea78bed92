"""The boilerplate rules and HTML extraction steps added for the fundus-eval quality gate.

All texts here are written for the tests (no corpus or seed sentences): each rule must drop the
boilerplate wordings and keep a body paragraph that uses similar words.
"""

from __future__ import annotations

import pytest

from newsflow.transforms.clean import clean
from newsflow.transforms.extract import add_standfirst, extract_html

BODY = [
    "The harbour authority approved the new ferry timetable on Tuesday after two months of talks with operators.",
    "Operators said the change would add four crossings a day and cut waiting times at the northern pier.",
    "Residents had asked for later evening sailings, which the authority said it would review in the autumn.",
    "The first boats on the new timetable are due to leave the terminal at six in the morning next Monday.",
]


def kept(paragraph: str, position: int = 2) -> bool:
    """Whether `paragraph`, placed among body paragraphs, survives cleaning."""
    paras = BODY[:position] + [paragraph] + BODY[position:]
    return paragraph in clean("\n".join(paras)).text.split("\n\n")


@pytest.mark.parametrize("line", [
    "Click here to download the Daily Ledger app",
    "Tap here for more coverage on our app",
    "Get the Metro Courier news app",
])
def test_app_promo_is_dropped(line):
    assert not kept(line)


def test_app_promo_keeps_body_about_apps():
    assert kept("Drivers can get the parking app from the council website, which the council said was free.")


@pytest.mark.parametrize("line", [
    "Enjoying our reporting? Start your digital subscription today for just a pound a week.",
    "Want to save stories to read later? Sign in or register for a premium account.",
    "Unlock a free trial and read without limits.",
])
def test_subscribe_prompt_is_dropped(line):
    assert not kept(line, position=4)


def test_subscribe_prompt_keeps_body_about_subscriptions():
    assert kept("The streaming service said its subscription price would rise by two dollars in March.")


@pytest.mark.parametrize("line", [
    "Join the conversation",
    "Join our lively reader discussions and reply to other members",
    "Join the debate below",
])
def test_comments_prompt_is_dropped(line):
    assert not kept(line, position=4)


def test_comments_prompt_keeps_body_with_join():
    assert kept("Union members voted to join the national strike, ending weeks of discussion about pay.")


def test_bare_widget_header_drops_only_its_teasers():
    text = "\n".join(BODY[:2] + ["Popular", "Mayor opens new bridge", "Five cafes to try this week"] + BODY[2:])
    out = clean(text).text.split("\n\n")
    assert out == BODY


def _page(body: str, description: str, dek_html: str = "") -> str:
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Ferry timetable changes</title>
<meta name="description" content="{description}"></head><body>
<header><h1>Ferry timetable changes</h1>{dek_html}</header>
<main><article>{body}</article></main><footer><p>Contact us</p></footer></body></html>"""


def test_standfirst_is_added_when_printed_on_the_page():
    dek = "Four extra crossings a day and later sailings are planned for the northern pier."
    html = _page("".join(f"<p>{p}</p>" for p in BODY), dek, f'<p class="dek">{dek}</p>')
    assert extract_html(html).text.split("\n")[0] == dek


def test_standfirst_is_not_added_when_only_in_metadata_or_already_in_text():
    meta_only = "A summary that search engines see but the page never prints for its readers."
    assert add_standfirst("\n".join(BODY), meta_only, _page("", meta_only)) == "\n".join(BODY)
    assert add_standfirst("\n".join(BODY), BODY[0], _page("", BODY[0], f"<p>{BODY[0]}</p>")) == "\n".join(BODY)


def test_embedded_posts_and_promo_cards_are_pruned():
    body = (f"<p>{BODY[0]}</p><blockquote class=\"twitter-tweet\"><p>Someone else posted this about the ferry "
            f"and it is not part of the story at all.</p></blockquote><p>{BODY[1]}</p>"
            f"<div class=\"promo\"><h3>Another story</h3><p class=\"promo-description\">A teaser for a different "
            f"article about the harbour and its new cranes.</p></div><p>{BODY[2]}</p><p>{BODY[3]}</p>")
    text = extract_html(_page(body, "short")).text
    assert "Someone else posted" not in text and "new cranes" not in text
    assert all(p in text for p in BODY)
