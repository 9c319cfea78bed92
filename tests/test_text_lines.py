"""Blocks stay apart in the stored text, source wrapping inside a block does not split it (issue 9 follow-up).

A paragraph of `articles.text` is one block of the page: a <p>, a blockquote, a list item, a table
row, one line of a <pre>. The page's own line breaks and indentation inside a block are HTML
whitespace (a space), except in preformatted text. Once a regex joined every line that came with
an indent: a blockquote ran into the paragraph before it and a <pre> lost its lines; a quote wrapped
without an indent stayed broken. Each page goes through the real flow into DuckDB. The pages and
wordings are our own.
"""

from __future__ import annotations

import duckdb
import pytest

from newsflow.flows.run import run_ingest
from newsflow.settings import Settings
from newsflow.transforms.clean import clean, paragraphs

from conftest import write

pytestmark = pytest.mark.usefixtures("prefect_harness")

BODY = [
    "The harbour board agreed on Monday to rebuild the old fish market, which has stood empty since the storm of last winter.",
    "Traders had asked for the hall to reopen before the summer, when the ferries bring most of the visitors to the quay.",
    "The board said the work would take eight months and that the stalls would be let first to the families who ran them.",
]
SAID = "The chair of the board spoke to the traders after the vote, in the empty hall."
QUOTE = ("We will open the market again before the first ferry of the summer, and every family that had a stall will"
         " have one again.")
QUOTE_2 = "The roof comes first, then the cold stores, then the stalls."
VERSE = ["Down to the quay at the break of day,", "the boats come in with the herring grey."]
# a <pre>: indented lines and the same short line twice in a row, as code and timetables have them
PRE = ["stalls = [", "    [", '        "north row",', "    ]", "    [", '        "south row",', "    ]", "]"]
TIMETABLE = ["Saltmarsh Quay   07:10   09:40", "Lindholm Pier    07:45   10:15"]
WRAPPED_QUOTE = ("The market has been the heart of this quay for a hundred years, and it will be the heart of it for"
                 " another hundred once the roof is mended.")
WRAPPED = ("Engineers who surveyed the hall in the spring found that the roof beams had rotted where the gutters"
           " failed, and that the north wall had moved by several centimetres during the storm.")


def wrap(text: str, indent: str, width: int = 6) -> str:
    """`text` as a CMS template prints it: a line break and `indent` every `width` words."""
    words = text.split()
    return f"\n{indent}".join(" ".join(words[i:i + width]) for i in range(0, len(words), width))


def page(title: str, story: str) -> str:
    paras = "\n".join(f"          <p>{p}</p>" for p in BODY)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body>
  <main>
    <article>
      <h1>{title}</h1>
      <div class="story">
{paras}
{story}
          <p>Work on the roof is due to start in the autumn, once the last of the summer markets has closed.</p>
      </div>
    </article>
  </main>
</body></html>"""


PAGES = {
    "quote": page("Fish market to reopen by summer", f"""
          <p>{SAID}</p>
          <blockquote>
            <p>{QUOTE}</p>
            <p>{QUOTE_2}</p>
          </blockquote>
          <p>{BODY[0].replace("Monday", "Tuesday")}</p>
          <blockquote>
            {VERSE[0]}<br>
            {VERSE[1]}
          </blockquote>"""),
    "pre": page("Stalls to be let by row", f"""
          <p>The board published the order in which the rows will be let, as its booking system lists them:</p>
<pre>{chr(10).join(PRE)}</pre>
          <p>The ferry timetable for the opening day is printed on the hall's door:</p>
<pre>{chr(10).join(TIMETABLE)}</pre>"""),
    "wrapped": page("Market roof to be replaced", f"""
          <p>
            {wrap(WRAPPED, "            ")}
          </p>
          <blockquote>
{wrap(WRAPPED_QUOTE, "")}
          </blockquote>
          <blockquote>
            <p>{wrap(WRAPPED_QUOTE.replace("hundred", "thousand"), "              ")}</p>
          </blockquote>
          <ul>
            <li>
              {wrap("New roof beams of larch from the island's own forest", "              ", 4)}
            </li>
            <li>Cold stores for every stall</li>
          </ul>"""),
}


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> dict[str, list[str]]:
    """The stored text of each page, as its paragraphs (the blank-line-separated blocks of articles.text)."""
    tmp = tmp_path_factory.mktemp("lines")
    for name, html in PAGES.items():
        write(tmp / "in" / f"{name}.html", html)
    db = tmp / "w.duckdb"
    summary = run_ingest([str(tmp / "in")], Settings(db=db))
    assert summary.new_articles == len(PAGES)
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT regexp_extract(d.origin, '([^/]+)\\.html$', 1), a.text FROM articles a "
                           "JOIN documents d USING (article_id)").fetchall()
    return {name: text.split("\n\n") for name, text in rows}


def run_of(lines: list[str], paras: list[str]) -> bool:
    """Whether `lines` are consecutive paragraphs of `paras`."""
    return any(paras[i:i + len(lines)] == lines for i in range(len(paras)))


def test_a_blockquote_after_a_paragraph_stays_its_own_paragraph(stored):
    paras = stored["quote"]
    # the paragraph before the quote, each paragraph of the quote, and each line of a verse set with <br>
    assert run_of([SAID, QUOTE, QUOTE_2], paras)
    assert run_of(VERSE, paras)
    assert all(p in paras for p in BODY)


def test_a_pre_keeps_its_lines(stored):
    paras = stored["pre"]
    # one paragraph a line (stored paragraphs are stripped: the indent goes, the line stays), the
    # same short line twice in a row included; a <pre> without code (a timetable) too
    assert run_of([line.strip() for line in PRE], paras)
    assert run_of([" ".join(line.split()) for line in TIMETABLE], paras)


def test_a_source_wrapped_paragraph_is_still_joined(stored):
    paras = stored["wrapped"]
    # wrapped with an indent or without one, in a <p>, a blockquote's text or a blockquote's <p>, a list item
    assert run_of([WRAPPED, WRAPPED_QUOTE, WRAPPED_QUOTE.replace("hundred", "thousand")], paras)
    assert any(p.endswith("New roof beams of larch from the island's own forest") for p in paras)
    assert any(p.endswith("Cold stores for every stall") for p in paras)


def test_a_caption_shown_twice_still_goes_but_a_short_line_twice_stays():
    caption = "Traders at the old fish market on its last day"
    assert paragraphs(clean("\n".join([BODY[0], caption, caption, BODY[1]])).text) == [BODY[0], caption, BODY[1]]
    assert paragraphs(clean("\n".join([BODY[0], "    ]", "    ]", BODY[1]])).text) == [BODY[0], "]", "]", BODY[1]]
