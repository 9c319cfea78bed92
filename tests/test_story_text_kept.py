"""Story text that trafilatura loses depending on what else the page holds (issue 9, page-by-page losses).

Two markups where the structural stage, by cutting a page's rails, changed which of trafilatura's
whole-page fallbacks ran, and story text went with it:
- a sentence set straight in the story's container after a picture's wrapper (`</div>Text`), with no
  <p> around it: trafilatura's main pass keeps paragraphs, not the text after a <div>;
- the rest of the story collapsed behind a "Read more" button (`class="... hide"`): trafilatura drops
  hidden blocks unless that would remove most of the page.
The pages and wordings are our own (no corpus or seed text).
"""

from __future__ import annotations

import pytest
from trafilatura.utils import load_html

from newsflow.transforms.extract import extract_html
from newsflow.transforms.structure import collapsed_story, loose_paragraphs

BODY = [
    "The harbour board agreed on Monday to rebuild the old fish market, which has stood empty since the storm of last winter.",
    "Traders had asked for the hall to reopen before the summer, when the ferries bring most of the visitors to the quay.",
    "The board said the work would take eight months and that the stalls would be let first to the families who ran them before.",
]
MORE = [
    "Engineers who surveyed the hall in the spring found that the roof beams had rotted where the gutters failed, and that the"
    " north wall had moved by several centimetres during the storm. They recommended that the roof be replaced in full rather"
    " than patched, because a second winter of leaks would leave the floor slab unsafe for the cold stores the traders need,"
    " and the board accepted their advice without a vote.",
    "The cost, put at just over two million, will be shared between the harbour fund and a regional grant for coastal towns."
    " The chair of the board said the market had been the heart of the quay for a century, and that the families who worked"
    " there deserved to come back to a building that would last another hundred years, not one that would need the same"
    " repairs again within a decade.",
]
LOOSE = "Stall rents will be frozen for the first two years, the board said, and the"
LOOSE_LINK = "town's fishing cooperative"
LOOSE_REST = "will run the cold stores on behalf of all the traders."


def page(story: str, after: str = "") -> str:
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Fish market to be rebuilt</title></head>'
            f'<body><main><div class="story-wrap"><h1>Fish market to be rebuilt</h1>{story}</div>{after}</main>'
            f'<footer><p>Quay Herald, 1 Harbour Row</p></footer></body></html>')


def paras(texts) -> str:
    return "".join(f"<p>{t}</p>" for t in texts)


PICTURE = ('<div class="pic-frame"><div class="pic-inner"><figure><img src="/m/hall.jpg" alt="The hall"></figure>'
           '<p class="pic-note">The empty hall</p></div></div>')


def test_a_sentence_set_after_a_pictures_wrapper_without_a_paragraph_is_kept():
    story = (paras(BODY[:2]) + PICTURE + f'{LOOSE} <a href="/coop">{LOOSE_LINK}</a> {LOOSE_REST}' + paras(BODY[2:]))
    text = extract_html(page(story)).text
    assert f"{LOOSE} {LOOSE_LINK} {LOOSE_REST}" in " ".join(text.split())
    assert all(p in text for p in BODY)


def test_only_sentences_in_a_container_get_a_paragraph():
    tree = load_html(page(paras(BODY[:1]) + PICTURE + " | Photo: Ana Lind " + paras(BODY[1:])
                          + f'<p>{BODY[0]}<span class="x">aside</span>{LOOSE} {LOOSE_REST}</p>'))
    before = len(tree.findall(".//p"))
    # a separator or a credit beside a block is no sentence; text that is already in a <p> stays as it is
    assert loose_paragraphs(tree) == 0 and len(tree.findall(".//p")) == before


HIDDEN_BLOCKS = [
    '<div class="rest-of-story hide">{}</div>',
    '<div class="story-more js-toggle hideOnInit">{}</div>',
    '<section class="continued" style="display: none;">{}</section>',
    '<div class="more-body" aria-hidden="true">{}</div>',
]


SOURCES = ('As <a href="/a">the Quay Herald</a> reported, <a href="/b">the harbour fund</a> and'
           ' <a href="/c">the regional grant</a> will share it.')


@pytest.mark.parametrize("block", HIDDEN_BLOCKS)
def test_the_rest_of_the_story_collapsed_behind_a_button_is_kept(block):
    # With the block hidden, trafilatura's main pass finds too little and its fallback extractors take
    # over; on this page they lose the story's first paragraphs.
    story = (paras(BODY[:2]) + f"<p>{SOURCES}</p>" + paras(BODY[2:]) + block.format(paras(MORE))
             + '<button class="more-btn">Read more</button>')
    text = extract_html(page(story)).text
    assert all(p in text for p in [*BODY, *MORE]) and "the harbour fund and the regional grant" in text


def test_hidden_blocks_that_are_not_the_story_stay_hidden():
    dialog = '<div class="modal hide"><h3>Before you go</h3>' + paras(MORE) + "</div>"
    # outside the story's container (a dialog at the end of the page) ...
    tree = load_html(page(paras(BODY), after=dialog))
    assert collapsed_story(tree) == 0
    # ... or after fewer than two of the story's paragraphs
    tree = load_html(page(paras(BODY[:1]) + dialog))
    assert collapsed_story(tree) == 0
    # a hidden list of short teasers holds no story prose
    teasers = '<div class="more-news hide">' + paras(["Ferry fares to rise in May", "New lights on the pier"]) + "</div>"
    tree = load_html(page(paras(BODY) + teasers))
    assert collapsed_story(tree) == 0
    # a hidden copy of the paragraphs already shown (a print or mobile version) is not their continuation
    copy = '<div class="print-copy hide">' + paras([BODY[0] + " " + MORE[0]]) + "</div>"
    shown = paras([BODY[0] + " " + MORE[0], *BODY[1:]])
    tree = load_html(page(shown + copy))
    assert collapsed_story(tree) == 0
