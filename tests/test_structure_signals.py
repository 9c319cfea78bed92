"""Structural signals that replace rules once written from one outlet's wording (issue 9, LOPO).

Each signal works from markup or shape, so it holds in any language: a paragraph that is one link
among the story's paragraphs, the HTML `hidden` attribute, screen-reader-only text, reader-comment
widgets, a form's widget box, a rail heading over two cards, live-blog posts trafilatura left out,
a kicker above a repeated headline. The pages and wordings are our own (no corpus or seed text).
"""

from __future__ import annotations

import json

import pytest
from trafilatura.utils import load_html

from newsflow.transforms.extract import add_live_posts, drop_leading_title, extract_html, printed_dek

BODY = [
    "Die Stadtwerke haben am Dienstag beschlossen, die Fähre über den See auch im Winter fahren zu lassen, obwohl weniger Gäste kommen.",
    "Im vergangenen Jahr nutzten an kalten Tagen mehr als zweihundert Pendler die Verbindung zwischen den beiden Ufern des Sees.",
    "Der Betriebsrat hatte gefordert, die Stellen der Matrosen auch in den Monaten von November bis März zu erhalten.",
    "Eine neue Bewertung des Fahrplans ist für den Frühling geplant, wenn auch über eine zweite Abendfahrt entschieden wird.",
]


def page(*blocks: str, head: str = "") -> str:
    """A story page: the body paragraphs with `blocks` placed between paragraphs 2 and 3."""
    paras = [f"<p>{p}</p>" for p in BODY]
    story = "".join(paras[:2]) + "".join(blocks) + "".join(paras[2:])
    return (f'<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>Fähre fährt auch im Winter</title>{head}'
            f'</head><body><main><article class="beitrag"><h1>Fähre fährt auch im Winter</h1>{story}'
            f'</article></main></body></html>')


def rules_fired(extracted) -> set[str]:
    return {r.rule for r in extracted.removed if r.stage == "html"}


@pytest.mark.parametrize("link", [
    "Bürgermeisterin eröffnet neue Radbrücke am Hafen",         # another story's headline, any language
    "LADEN SIE JETZT UNSERE APP FÜR IHR TELEFON",              # an app offer in capitals
])
def test_a_paragraph_that_is_one_link_between_body_paragraphs_is_a_crosslink(link):
    # an empty ad slot beside it does not hide that it sits among the story's paragraphs
    extracted = extract_html(page('<div class="slot-x"></div>', f'<p><a href="/s/9"><b>{link}</b></a></p>'))
    assert link not in extracted.text and all(p in extracted.text for p in BODY)
    assert "crosslink" in rules_fired(extracted)


def test_links_inside_sentences_and_runs_of_links_are_not_crosslinks():
    sentence = 'Die Zahlen stammen aus dem <a href="/bericht">Jahresbericht der Stadtwerke für den Stadtrat</a>.'
    run = "".join(f'<p><a href="/s/{i}">Weitere Meldung aus dem Landkreis Nummer {i}</a></p>' for i in range(3))
    extracted = extract_html(page(f"<p>{sentence}</p>"))
    assert "Jahresbericht der Stadtwerke für den Stadtrat" in extracted.text
    assert "crosslink" not in rules_fired(extract_html(page(run)))  # a run is a rail: left to the rail rules


def test_content_the_page_marks_hidden_is_removed():
    dialog = '<div hidden><h3>Merken Sie sich diesen Artikel</h3><p>Mit einem Konto speichern Sie Beiträge.</p></div>'
    extracted = extract_html(page(dialog))
    assert "Merken Sie sich" not in extracted.text and "hidden" in rules_fired(extracted)
    assert all(p in extracted.text for p in BODY)


@pytest.mark.parametrize("cls", ["sr-only", "visually-hidden", "screen-reader-text"])
def test_screen_reader_only_text_is_removed(cls):
    skip = f'<div class="wrap"><a class="{cls}" href="#weiter">Weiter zum Haupttext des Beitrags</a></div>'
    extracted = extract_html(page(skip))
    assert "Weiter zum Haupttext" not in extracted.text and "assistive_text" in rules_fired(extracted)


def test_reader_comment_widgets_are_removed_but_an_opinion_piece_is_kept():
    widget = ('<section id="leser-comments"><h2>Diskutieren Sie mit</h2>'
              '<p>Melden Sie sich an, um Beiträge anderer Leser zu sehen und zu antworten.</p></section>')
    extracted = extract_html(page(widget))
    assert "Diskutieren Sie mit" not in extracted.text and "comments" in rules_fired(extracted)
    opinion = extract_html(page().replace('class="beitrag"', 'class="beitrag comment-piece"'))
    assert all(p in opinion.text for p in BODY) and opinion.removed == []


def test_a_forms_widget_box_goes_with_the_form():
    """The status messages beside a form (busy, error, thanks) belong to the form's widget."""
    widget = ('<div class="box-3"><div class="pane"><form><input name="tel"><input type="submit" value="Senden"></form></div>'
              '<div class="pane"><p>Der Dienst ist gerade nicht erreichbar.</p></div>'
              '<div class="pane"><p>Danke! Der Link ist unterwegs.</p></div></div>')
    extracted = extract_html(page(widget))
    assert "nicht erreichbar" not in extracted.text and "Danke! Der Link" not in extracted.text
    assert "form" in rules_fired(extracted) and all(p in extracted.text for p in BODY)


def test_a_rail_heading_over_two_cards_is_a_rail():
    """Two cards are not a run on their own, but under a rail heading they are the rail."""
    cards = "".join(
        f'<div class="kachel"><h3><a href="/s/{i}">{h}</a></h3><p>{s}</p></div>'
        for i, (h, s) in enumerate([
            ("Hafenfest zieht mehr Gäste an", "Die Veranstalter zählten am Wochenende deutlich mehr Besucher als im Vorjahr, "
             "obwohl es am Samstag lange regnete und zwei Konzerte ausfallen mussten."),
            ("Neue Buslinie zum Klinikum", "Ab Montag fährt ein zusätzlicher Bus im Halbstundentakt vom Bahnhof zum Klinikum, "
             "teilte der Verkehrsverbund mit; die Haltestellen werden bis Ende des Monats umgebaut.")]))
    rail = f'<section class="zone-4"><div class="inner"><h2>Mehr zum Thema</h2><div class="reihe">{cards}</div></div></section>'
    html = page().replace("</article>", f"</article>{rail}")
    extracted = extract_html(html)
    assert "Hafenfest" not in extracted.text and "Neue Buslinie" not in extracted.text
    assert "related_rail" in rules_fired(extracted) and all(p in extracted.text for p in BODY)


def test_a_class_named_popular_is_a_rail():
    rail = ('<aside class="popular-list"><ol>' + "".join(
        f'<li><span>{i}.</span> <a href="/s/{i}">Meistgeklickte Meldung aus der Region Nummer {i}</a></li>' for i in range(5))
            + "</ol></aside>")
    extracted = extract_html(page().replace("</article>", f"</article>{rail}"))
    assert "Meistgeklickte" not in extracted.text and "related_rail" in rules_fired(extracted)


POSTS = [("Fähre legt um acht Uhr ab", "Die erste Fahrt des Tages ist bei Nebel pünktlich am Anleger gestartet."),
         ("Nebel über dem See", "Der Kapitän meldet klare Sicht in der Seemitte und ruhiges Wasser am Ostufer."),
         ("Letzte Fahrt am Abend", "Am Abend fuhr die Fähre mit elf Fahrgästen und zwei Fahrrädern zurück zum Westufer.")]


def test_live_blog_posts_trafilatura_left_out_are_added_one_by_one():
    """trafilatura kept the first post and dropped the others: only the missing ones go in, none twice."""
    ld = {"@context": "https://schema.org", "@type": "LiveBlogPosting",
          "liveBlogUpdate": [{"@type": "BlogPosting", "headline": h, "articleBody": b} for h, b in POSTS]}
    printed = "".join(f'<div class="post"><h3>{h}</h3><p>{b}</p></div>' for h, b in POSTS)
    tree = load_html(f'<html><head><script type="application/ld+json">{json.dumps(ld)}</script></head>'
                     f'<body><p>{BODY[0]}</p>{printed}</body></html>')
    kept = "\n".join([BODY[0], *POSTS[0]])
    text = add_live_posts(kept, tree)
    assert text.splitlines() == [BODY[0], *POSTS[0], *POSTS[1], *POSTS[2]]


def test_a_kicker_above_the_repeated_headline_goes_with_it():
    text = "Verkehr\nFähre fährt auch im Winter\n" + "\n".join(BODY)
    assert drop_leading_title(text, "Fähre fährt auch im Winter") == "\n".join(BODY)
    # a sentence above the headline is not a kicker: nothing is dropped
    lead = "Die Stadtwerke haben entschieden.\nFähre fährt auch im Winter\n" + BODY[0]
    assert drop_leading_title(lead, "Fähre fährt auch im Winter") == lead


def test_a_paragraph_opening_with_the_authors_declared_description_is_a_bio():
    """The page declares its author's bio (schema.org Person.description); the author box prints it above the story."""
    bio = ("Lena Kraus ist Redakteurin im Lokalressort und berichtet seit 2015 über Verkehr und Umwelt am See. "
           "Zuvor arbeitete sie bei einem Radiosender in der Region und studierte Geografie.")
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Fähre fährt auch im Winter",
          "author": [{"@type": "Person", "name": "Lena Kraus", "description": bio.split(". ")[0] + "."}]}
    html = page(head=f'<script type="application/ld+json">{json.dumps(ld)}</script>').replace(
        "</h1>", f'</h1><div class="autorin"><p>{bio}</p></div>')
    extracted = extract_html(html)
    assert "Lena Kraus ist Redakteurin" not in extracted.text and all(p in extracted.text for p in BODY)
    assert ("author_bio", "html") in {(r.rule, r.stage) for r in extracted.removed}
    # a body paragraph that only mentions the author's name stays
    said = "Lena Kraus sagte, die Fähre werde im Winter zweimal am Tag fahren, morgens und am frühen Abend."
    kept = extract_html(html.replace(f'<div class="autorin"><p>{bio}</p></div>', f"<p>{said}</p>"))
    assert said in kept.text


def test_a_leading_line_repeating_the_pages_h1_goes_though_the_title_words_it_otherwise():
    """The metadata title differs from the printed headline; trafilatura keeps the <h1> as the first line."""
    html = page(head='<meta property="og:title" content="Seefähre: Winterbetrieb beschlossen">')
    extracted = extract_html(html)
    assert extracted.title == "Seefähre: Winterbetrieb beschlossen"
    assert extracted.text.splitlines()[0] == BODY[0]
    assert all(p in extracted.text for p in BODY)


def test_a_date_printed_over_the_headline_goes_with_it():
    text = "14.10.2025 09:30\nFähre fährt auch im Winter\n" + "\n".join(BODY)
    assert drop_leading_title(text, "Fähre fährt auch im Winter") == "\n".join(BODY)
    # the headline named by the page's <h1> or <title> element, not only by the metadata title
    assert drop_leading_title(text, "Seebote", "Fähre fährt auch im Winter") == "\n".join(BODY)
    # a line that is not the headline stays
    assert drop_leading_title(text, "Seebote", "Winterfahrplan") == text


def test_the_title_element_names_the_headline_when_the_h1_is_a_section_name():
    """The <h1> is the section's name and the headline an <h2>; the <title> element is the headline."""
    html = (page(head='<meta property="og:title" content="Ratgeber Verkehr">')
            .replace("<h1>Fähre fährt auch im Winter</h1>", "<h1>Verkehr</h1><h2>Fähre fährt auch im Winter</h2>"))
    extracted = extract_html(html)
    assert "Fähre fährt auch im Winter" not in extracted.text.splitlines()[:2]
    assert all(p in extracted.text for p in BODY)


CHAPO = "Le bac continuera de traverser le lac tout l'hiver, malgré une fréquentation plus faible en décembre."


def french_page(dek: str, description: str = "Conseil municipal : décision sur la navigation d'hiver prise mardi soir.") -> str:
    """A story whose headline box (outside the <article>, so trafilatura leaves it out) holds `dek` and a byline."""
    story = "".join(f"<p>{p}</p>" for p in FRENCH)
    return ('<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Le bac reste en service</title>'
            f'<meta name="description" content="{description}"></head><body>'
            f'<div class="entete"><h1>Le bac reste en service</h1>{dek}<p class="signature">Par Claire Dumas</p></div>'
            f'<main><article><div class="contenu">{story}</div></article></main></body></html>')


FRENCH = [
    "Le conseil municipal a voté mardi le maintien du bac pendant les mois d'hiver, à la demande des habitants des deux rives.",
    "L'an dernier, plus de deux cents personnes empruntaient chaque jour la liaison, surtout pour aller travailler en ville.",
    "Les syndicats demandaient que les postes de matelots soient conservés de novembre à mars, ce qui sera le cas.",
    "Un nouvel examen des horaires est prévu au printemps, avec la possibilité d'une seconde traversée le soir.",
]


@pytest.mark.parametrize("cls", ["chapo", "article-dek", "sub-headline", "post__excerpt", "standfirst"])
def test_the_dek_printed_under_the_headline_goes_on_top(cls):
    """The page names its dek by class; the meta description is something else, so the standfirst cannot find it."""
    extracted = extract_html(french_page(f'<p class="{cls}">{CHAPO}</p>'))
    assert extracted.text.splitlines()[0] == CHAPO
    assert all(p in extracted.text for p in FRENCH)


def test_no_dek_from_an_unnamed_paragraph_a_link_or_twice():
    assert printed_dek(load_html(french_page(f'<p class="chapo">{CHAPO}</p>'))) == CHAPO
    # a paragraph under the headline that no class names a dek is not one
    assert printed_dek(load_html(french_page(f"<p>{CHAPO}</p>"))) is None
    # a link under the headline is a teaser for another story, not the dek
    assert printed_dek(load_html(french_page(f'<p class="chapo"><a href="/bac">{CHAPO}</a></p>'))) is None
    # a picture's description under the headline is not the dek
    photo = f'<figure><img src="/bac.jpg"><div class="description">{CHAPO}</div></figure>'
    assert printed_dek(load_html(french_page(photo))) is None
    assert printed_dek(load_html(french_page(f'<p class="image-description">{CHAPO}</p>'))) is None
    # a block with a dek class below the story's paragraphs is not the dek under the headline
    far = french_page("").replace("</div></article>", f'<p class="chapo">{CHAPO}</p></div></article>')
    assert printed_dek(load_html(far)) is None
    # the dek is also the meta description: the standfirst puts it on top once
    text = extract_html(french_page(f'<p class="chapo">{CHAPO}</p>', description=CHAPO)).text
    assert text.count(CHAPO) == 1 and text.splitlines()[0] == CHAPO


def test_a_video_players_blurb_is_removed_but_a_video_pages_story_is_kept():
    blurb = "Der Fährmann erzählt, wie die Überfahrt bei Eis und Nebel gelingt"
    player = f'<div class="video-player"><div class="vjs-title">{blurb}</div><button>Schließen</button></div>'
    extracted = extract_html(page(player))
    assert blurb not in extracted.text and all(p in extracted.text for p in BODY)
    assert "video" in rules_fired(extracted)
    # a results table's "player-name" cells are the story, not a video player
    rows = "".join(f'<tr><td><span class="player-name">{n}</span></td><td>{t}</td></tr>'
                   for n, t in (("Jana Vogt", "1:02:11"), ("Ines Brandt", "1:04:37"), ("Mara Lenz", "1:05:02")))
    results = extract_html(page(f"<table><tr><th>Name</th><th>Zeit</th></tr>{rows}</table>"))
    assert all(n in results.text for n in ("Jana Vogt", "Ines Brandt", "Mara Lenz"))
    # the story of a video page sits in a container named "video" too: the size guard keeps it
    story = extract_html(page().replace('<article class="beitrag">', '<article class="beitrag article-video">'))
    assert all(p in story.text for p in BODY)
