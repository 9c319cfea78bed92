"""The structural (HTML) cleaning stage, tables, one parse per page, and metadata repair.

The page templates here are our own; none is copied from a real site. Class names are made up
so that the rules have to work from structure and headings, not from one CMS's vocabulary.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from newsflow.transforms import extract as extract_module
from newsflow.transforms.clean import clean
from newsflow.transforms.extract import extract_html, table_rows
from newsflow.transforms.metadata import choose_date, repair_title
from newsflow.transforms.structure import HTML_RULES, HtmlRule, strip_structure

BODY = [
    "The county transport board voted on Thursday to keep the night bus running through the winter, reversing a plan to cut it in November.",
    "Board members said ridership had recovered faster than expected since the spring, with more than four hundred passengers on busy weekends.",
    "The service links the hospital, the university halls and the train station, and nurses on late shifts had asked the board to save it.",
    "A review of the timetable is due in March, when the board will also decide whether to add a second vehicle on Friday and Saturday nights.",
    "The operator said it would hire three more drivers before December and that fares would stay at their current level for another year.",
]
TEASERS = [
    ("Harbour market to open on Sundays from next month", "Traders say the change could bring hundreds of visitors to the quay each weekend."),
    ("New cycle lanes planned for the ring road", "The council wants to finish the first section before the summer holidays begin."),
    ("Library extends opening hours during exam season", "Students will be able to use the reading rooms until midnight from May."),
]


def cards(tag: str = "article", cls: str = "tile tile--compact") -> str:
    return "\n".join(f'<{tag} class="{cls}"><h3><a href="/story/{i}">{h}</a></h3><p>{s}</p></{tag}>'
                     for i, (h, s) in enumerate(TEASERS))


def page(rail: str, *, rail_first: bool = False, extra: str = "") -> str:
    body = "\n".join(f"<p>{p}</p>" for p in BODY)
    story = f"<article class=\"story\"><h1>Night bus saved for the winter</h1>{body}{extra}</article>"
    main = f"{rail}{story}" if rail_first else f"{story}{rail}"
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Night bus saved for the winter | County Courier</title>
<meta property="og:site_name" content="County Courier"></head>
<body><main>{main}</main><footer><p>County Courier, 4 Mill Lane</p></footer></body></html>"""


def more_for_you(tag: str = "article") -> str:
    return f'<section class="mfy-block"><h2>More For You</h2>{cards(tag)}</section>'


def leaked(text: str) -> list[str]:
    return [piece for pair in TEASERS for piece in pair if piece in text]


@pytest.mark.parametrize("rail_first", [False, True])
def test_more_for_you_teaser_rail_does_not_leak(rail_first):
    extracted = extract_html(page(more_for_you(), rail_first=rail_first))
    text = clean(extracted.text).text
    assert leaked(text) == []
    assert all(p in text for p in BODY)
    assert any(r.rule == "related_rail" and r.stage == "html" and "More For You" in r.segment for r in extracted.removed)


def test_teaser_cards_without_a_heading_are_cut():
    """A run of teaser cards inside the story container, with no rail heading: their shape gives them away."""
    rail = f'<div class="stack">{cards("div", "unit")}</div>'
    extracted = extract_html(page("", extra=rail))
    assert leaked(clean(extracted.text).text) == [] and all(p in extracted.text for p in BODY)
    assert {r.rule for r in extracted.removed} == {"teaser_cards"}


@pytest.mark.parametrize("heading", ["Lesen Sie auch", "À lire aussi", "Lee también", "Leia também", "Leggi anche",
                                     "Most read", "Recommended", "Today on County Courier"])
def test_rail_headings_in_other_languages(heading):
    """A rail heading over two linked teasers with summaries, inside the story container."""
    rail = f'<section class="zone-7"><h2>{heading}</h2><ul>' + "".join(
        f'<li><a href="/s/{i}">{h}</a> {s}</li>' for i, (h, s) in enumerate(TEASERS[:2])) + "</ul></section>"
    extracted = extract_html(page("", extra=rail))
    assert leaked(clean(extracted.text).text) == [] and all(p in extracted.text for p in BODY)
    assert [(r.rule, r.stage) for r in extracted.removed] == [("related_rail", "html")]
    assert extracted.removed[0].segment.startswith(heading)


@pytest.mark.parametrize("widget,rule", [
    ('<div class="newsletter-box"><p>Get the morning briefing in your inbox.</p><form><input name="e"></form></div>', "newsletter"),
    ('<div class="share-tools"><a href="#">Facebook</a> <a href="#">Email</a></div>', "share"),
    ('<div id="cookie-consent"><p>This site stores small files on your device to work well.</p></div>', "cookie_banner"),
    ('<div role="dialog"><p>Already a subscriber? Log in to keep reading.</p></div>', "navigation"),
    ('<ul aria-label="Share this article"><li><a href="#">Post</a></li></ul>', "share"),
])
def test_widgets_named_by_class_role_or_aria_are_removed(widget, rule):
    extracted = extract_html(page("", extra=widget))
    assert any(r.rule == rule and r.stage == "html" for r in extracted.removed)
    assert all(p in extracted.text for p in BODY)


def test_the_article_itself_is_never_dropped():
    """A story container with a 'share' class token still holds the article: the size guards keep it."""
    html = page("").replace('<article class="story">', '<article class="story has-share-tools social">')
    extracted = extract_html(html)
    assert all(p in extracted.text for p in BODY) and extracted.removed == []


def test_links_inside_paragraphs_are_not_cards():
    linked = ('<p>Officials pointed to <a href="/a">the spring ridership report for the county</a>, '
              '<a href="/b">the hospital staff survey on late travel</a> and <a href="/c">the operator driver '
              'recruitment plan for winter</a> when they explained the vote.</p>')
    extracted = extract_html(page("", extra=linked))
    assert "the hospital staff survey on late travel" in extracted.text


def test_cards_with_control_links_are_still_cards():
    """Feedback controls dressed as links ("More like this", href="#") are not a second headline."""
    controls = ('<ul class="acts"><li><a href="#0" role="button">More like this</a></li>'
                '<li><a href="javascript:void(0)">Fewer like this</a></li></ul>')
    rail = '<ul class="stream">' + "".join(
        f'<li class="stream-item"><h3><a href="/s/{i}">{h}</a></h3><p>{s}</p>{controls}</li>'
        for i, (h, s) in enumerate(TEASERS)) + "</ul>"
    extracted = extract_html(page(rail))
    assert leaked(clean(extracted.text).text) == [] and all(p in extracted.text for p in BODY)
    assert {r.rule for r in extracted.removed} == {"teaser_cards"}


def test_numbered_card_classes_are_one_run():
    """A CMS numbers each card in its class ("pos-2", "id1227"): the cards are still one run of siblings."""
    rail = '<div class="stack">' + "".join(
        f'<div class="unit unit-news pos-{i} id{90210 + i}"><h4><a href="/s/{i}">{h}</a></h4><p>{s}</p></div>'
        for i, (h, s) in enumerate(TEASERS)) + "</div>"
    extracted = extract_html(page("", extra=rail))
    assert leaked(clean(extracted.text).text) == [] and all(p in extracted.text for p in BODY)
    assert {r.rule for r in extracted.removed} == {"teaser_cards"}


def test_photo_captions_are_removed_and_noted():
    figure = ('<figure><img src="/bus.jpg" alt=""><figcaption>Drivers at the depot on Thursday evening after the vote. '
              'Photo: Courier staff</figcaption></figure>')
    extracted = extract_html(page("", extra=figure))
    assert "Drivers at the depot" not in extracted.text and all(p in extracted.text for p in BODY)
    assert [(r.rule, r.stage) for r in extracted.removed] == [("caption", "html")]


POINTS = ["The night bus keeps running through the winter after a board vote.",
          "Ridership recovered faster than expected since the spring.",
          "A timetable review follows in March."]


@pytest.mark.parametrize("heading", ["Key points", "Das Wichtigste in Kürze", "L'essentiel", "Lo más importante"])
def test_summary_bullets_outside_the_body_are_kept(heading):
    """The article's own bullet summary sits above the story container, where trafilatura does not look."""
    box = f'<aside class="box-7"><h2>{heading}</h2><ul>' + "".join(f"<li>{p}</li>" for p in POINTS) + "</ul></aside>"
    text = extract_html(page(box, rail_first=True)).text
    assert text.splitlines()[:3] == POINTS and all(p in text for p in BODY)


def test_a_list_of_links_under_key_points_is_not_a_summary():
    """Under the same heading, a list of links is a table of contents (a live blog's posts), not bullets."""
    box = '<aside class="box-7"><h2>Key points</h2><ul>' + "".join(
        f'<li><a href="#post-{i}">{p}</a></li>' for i, p in enumerate(POINTS)) + "</ul></aside>"
    text = extract_html(page(box, rail_first=True)).text
    assert not any(p in text for p in POINTS)


POSTS = [("Board meets at noon", "Members arrive at the county hall for the vote on the night bus service this afternoon."),
         ("Vote passes seven to two", "The board keeps the night bus running through the winter after a short debate in the chamber.")]


def live_blog(printed: bool) -> str:
    import json

    ld = {"@context": "https://schema.org", "@type": "LiveBlogPosting", "headline": "Night bus vote: live",
          "liveBlogUpdate": [{"@type": "BlogPosting", "headline": h, "articleBody": b} for h, b in POSTS]}
    stream = "".join(f'<div class="entry"><h3>{h}</h3><p>{b}</p></div>' for h, b in POSTS) if printed else ""
    return page("").replace("</head>", f'<script type="application/ld+json">{json.dumps(ld)}</script></head>').replace(
        "</main>", f'<section class="stream">{stream}</section></main>')


def test_live_blog_posts_the_page_declares_and_prints_are_kept():
    """trafilatura often keeps a live blog's summary and leaves the posts below it; the page lists them in JSON-LD."""
    from trafilatura.utils import load_html

    from newsflow.transforms.extract import add_live_posts

    summary = "\n".join(BODY)
    text = add_live_posts(summary, load_html(live_blog(printed=True)))
    assert text.startswith(summary) and text.splitlines()[len(BODY):] == [x for post in POSTS for x in post]
    # declared but not printed (metadata only): not added; already in the text: not added twice
    assert add_live_posts(summary, load_html(live_blog(printed=False))) == summary
    assert add_live_posts(text, load_html(live_blog(printed=True))) == text


def test_html_rules_are_a_declarative_table():
    assert all(isinstance(r, HtmlRule) for r in HTML_RULES)
    with pytest.raises(ValueError):
        HtmlRule("x", "colour", "red")
    with pytest.raises(ValueError):
        HtmlRule("x", "tag", "nav", action="explode")


def test_strip_structure_changes_only_the_body():
    from trafilatura.utils import load_html

    tree = load_html(page(more_for_you()))
    removed = strip_structure(tree)
    assert removed and tree.find(".//title") is not None and tree.find(".//section") is None


def test_story_table_is_kept_one_row_per_line():
    table = ("<table><tr><th>Route</th><th>Last bus</th></tr><tr><td>Hospital loop</td><td>01:40</td></tr>"
             "<tr><td>Station express</td><td>02:15</td></tr></table>")
    text = extract_html(page("", extra=table)).text
    assert "Route | Last bus" in text.splitlines() and "Hospital loop | 01:40" in text.splitlines()
    assert "|---" not in text


def test_table_rows_leaves_other_text_alone():
    assert table_rows("A line | with a pipe\n| a | b |\n|---|---|\n| c | d |") == "A line | with a pipe\na | b\nc | d"


def test_page_is_parsed_once(monkeypatch):
    """The structural stage, trafilatura and the standfirst lookup share one tree: lxml parses the page once
    (extract's own parse_html and trafilatura's load_html both go through lxml.html.fromstring)."""
    import lxml.html
    from trafilatura import utils

    parsed = []  # what lxml parsed (trafilatura's readability fallback also parses its own summary)
    real = lxml.html.fromstring
    counted = lambda *a, **k: parsed.append(a[0]) or real(*a, **k)
    monkeypatch.setattr(lxml.html, "fromstring", counted)
    monkeypatch.setattr(utils, "fromstring", counted)  # trafilatura imported the name
    description = "The county transport board kept the night bus running through the winter months this year."
    html = page("").replace("</head>", f'<meta name="description" content="{description}"></head>').replace(
        '<article class="story">', f'<p class="dek">{description}</p><article class="story">')
    extracted = extract_html(html)
    assert parsed.count(html) == 1 and extracted.text.startswith(description)


# --- metadata repair -----------------------------------------------------------------------------

NOW = datetime(2026, 1, 10, tzinfo=timezone.utc)


def test_placeholder_date_gives_way_to_the_next_source():
    repairs: list[str] = []
    good = datetime(2025, 12, 1, 9, tzinfo=timezone.utc)
    chosen = choose_date([("declared", datetime(1, 1, 1, tzinfo=timezone.utc)), ("htmldate", good)], repairs, NOW)
    assert chosen == good and len(repairs) == 1 and "0001-01-01" in repairs[0] and "htmldate" in repairs[0]


def test_no_plausible_date_is_null_and_noted():
    repairs: list[str] = []
    future = datetime(2027, 1, 1, tzinfo=timezone.utc)
    assert choose_date([("declared", future), ("htmldate", None)], repairs, NOW) is None
    assert repairs == [f"published_at: declared {future.isoformat()} is implausible; set to NULL"]


def test_plausible_date_needs_no_repair():
    repairs: list[str] = []
    good = datetime(2025, 12, 1, tzinfo=timezone.utc)
    assert choose_date([("declared", good)], repairs, NOW) == good and repairs == []


def test_title_that_is_only_the_site_name_is_replaced():
    repairs: list[str] = []
    assert repair_title("County Courier", "County Courier", "Night bus saved", repairs) == "Night bus saved"
    assert repairs and repairs[0].startswith("title:")
    assert repair_title("COUNTY-COURIER", "County Courier", None, repairs := []) is None and repairs


def test_jsonld_placeholder_date_is_repaired_in_extraction():
    html = page("").replace("</head>", '<meta property="article:published_time" content="2025-11-03T07:15:00+00:00">'
                                       '<script type="application/ld+json">{"@type": "NewsArticle", '
                                       '"datePublished": "0001-01-01T00:00:00Z"}</script></head>')
    extracted = extract_html(html)
    assert extracted.published_at == datetime(2025, 11, 3, 7, 15, tzinfo=timezone.utc)


def test_site_name_title_is_repaired_in_extraction():
    html = page("").replace("<title>Night bus saved for the winter | County Courier</title>", "<title>County Courier</title>")
    html = html.replace("</head>", '<meta property="og:title" content="County Courier"></head>')
    extracted = extract_html(html)
    assert extracted.title == "Night bus saved for the winter"
    assert extracted.repairs and extracted.repairs[0].startswith("title:")


def test_choices_are_module_settings():
    assert extract_module.STRUCTURAL and extract_module.INCLUDE_TABLES and extract_module.STANDFIRST
