"""Tables that belong to the story are kept, one row per line (issue 9, point 3).

A table row becomes a line of cells split by " | ". A row of short cells reads like a menu or
breadcrumb ("1 | FC Seeblick | 34 | 71" like "Home | News | Sport"), and the text rules once took
every such row for navigation: a league table or a list of winners vanished from the stored text.
The pages and wordings are our own.
"""

from __future__ import annotations

from newsflow.transforms.clean import clean, paragraphs, table_rows_of
from newsflow.transforms.extract import extract_html

BODY = [
    "Der FC Seeblick hat am letzten Spieltag mit einem Sieg gegen den SV Hafenstadt die Meisterschaft der Landesliga gewonnen.",
    "Vor mehr als dreitausend Zuschauern fiel das entscheidende Tor erst in der Nachspielzeit durch einen Kopfball nach einer Ecke.",
    "Der Trainer sagte nach dem Spiel, die Mannschaft habe sich den Titel über die ganze Saison mit viel Geduld erarbeitet.",
    "Die Abschlusstabelle der Saison zeigt, wie knapp es an der Spitze und im Kampf gegen den Abstieg bis zuletzt war:",
]
CLUBS = [("FC Seeblick", 71), ("SV Hafenstadt", 66), ("TuS Nordufer", 60), ("VfB Altmühl", 52), ("SC Moorwiese", 31)]


def page(table: str, lang: str = "de") -> str:
    story = "".join(f"<p>{p}</p>" for p in BODY)
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>Seeblick ist Meister</title></head>'
            f'<body><main><article><h1>Seeblick ist Meister</h1>{story}{table}'
            f'<p>Die neue Saison beginnt im August mit dem Pokalspiel gegen den Meister der Nachbarliga am Stausee.</p>'
            f'</article></main></body></html>')


def stored(html: str):
    """What the pipeline stores of a page: extraction, then the text rules (as flows/workers.py calls them)."""
    return clean(extract_html(html).text)


def test_a_league_table_is_kept_row_by_row():
    rows = "".join(f'<tr><td>{i}</td><td><a href="/verein/{i}">{club}</a></td><td>34</td><td>{points}</td></tr>'
                   for i, (club, points) in enumerate(CLUBS, 1))
    table = f"<table><thead><tr><th>Platz</th><th>Verein</th><th>Spiele</th><th>Punkte</th></tr></thead>{rows}</table>"
    cleaned = stored(page(table))
    lines = paragraphs(cleaned.text)
    assert "Platz | Verein | Spiele | Punkte" in lines
    for i, (club, points) in enumerate(CLUBS, 1):
        assert f"{i} | {club} | 34 | {points}" in lines
    assert not [r for r in cleaned.removed if "|" in r.segment]
    assert all(p in cleaned.text for p in BODY)


def test_a_list_of_names_and_roles_is_kept():
    # a winners' list: names linked to their profiles, no numbers at all
    winners = [("Jeanne Morel", "Atelier Lumen", "Directrice générale"), ("Inès Caron", "Verger du Lac", "Fondatrice"),
               ("Paul Texier", "Coopérative Sud", "Président"), ("Léa Roussel", "Studio Brume", "Cheffe de projet")]
    rows = "".join(f'<tr><td><a href="/portrait/{n}">{name}</a></td><td>{firm}</td><td>{role}</td></tr>'
                   for n, (name, firm, role) in enumerate(winners))
    table = f"<table><tr><th>Nom</th><th>Entreprise</th><th>Fonction</th></tr>{rows}</table>"
    lines = paragraphs(stored(page(table, "fr")).text)
    assert all(" | ".join(w) in lines for w in winners)


def test_a_menu_line_is_still_navigation():
    # one line of short items is a menu or breadcrumb, also when it sits among the paragraphs
    text = "\n".join([BODY[0], "Startseite | Sport | Fußball | Landesliga", BODY[1], BODY[2]])
    cleaned = clean(text)
    assert [(r.rule, r.segment) for r in cleaned.removed] == [("navigation", "Startseite | Sport | Fußball | Landesliga")]


def test_rows_are_runs_of_cell_lines():
    paras = ["Eine Zeile Text.", "a | b | c", "Nur eine | Zeile", "Noch ein Absatz.", "x | y", "1 | 2"]
    assert table_rows_of(paras) == [False, True, True, False, True, True]
    assert table_rows_of(["Startseite | Sport | Wetter"]) == [False]
