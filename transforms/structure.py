"""The structural cleaning stage: cut rails, widgets and teaser cards from the parsed page before trafilatura.

Text rules (transforms/rules.py) see only what trafilatura kept, and trafilatura often drops a
rail's heading while keeping its teasers, so the marker that would cut the rail never reaches
them. Here the page is still a tree: a section is known by its heading, its tag, its class/id
tokens, its role and aria-label, and a run of teaser cards by its shape.

HTML_RULES is the declarative table (name, how it matches, pattern, action). Actions:
  drop     - the matched element;
  section  - the block a matching heading opens: its container when that holds little else
             than the rail, else the heading and the link-heavy siblings that follow it;
  cards    - a run of sibling teaser cards (see `teaser_run`);
  widget   - the matched element with the small box around it (a form's prompt and status messages).
Every rule is held back by the same guards, so it cannot take the article with it: an element
holding a long paragraph or a large share of the page's words is never dropped, and nothing
inside <head> is touched.

`strip_structure(tree)` changes the tree in place and returns what it removed, as Removed rows
with stage "html" (they land in removed_segments beside the text rules' rows). After it,
`loose_paragraphs` and `collapsed_story` keep story text that trafilatura would lose (they remove nothing).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from newsflow.transforms.markers import RAIL_HEADERS, READ_ALSO, SHARE_WORDS
from newsflow.transforms.models import Removed

MATCHES = ("heading", "token", "class", "attr", "role", "aria", "tag", "cards", "crosslink")
HTML_ACTIONS = ("drop", "section", "cards", "widget")


@dataclass(frozen=True)
class HtmlRule:
    name: str
    match: str  # heading text | class/id token | class word | attribute | role | aria-label | tag | card or crosslink shape
    pattern: str  # a regex matched against the whole value (case-insensitive); "" for cards
    action: str = "drop"
    max_words: int = 400  # never drop an element with more words than this
    regex: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        if self.match not in MATCHES:
            raise ValueError(f"html rule {self.name}: match must be one of {MATCHES}, not {self.match!r}")
        if self.action not in HTML_ACTIONS:
            raise ValueError(f"html rule {self.name}: action must be one of {HTML_ACTIONS}, not {self.action!r}")
        object.__setattr__(self, "regex", re.compile(rf"^(?:{self.pattern})$", re.IGNORECASE))


_HEADING_END = r"\s*[:.!|»›>\-–—]*"

HTML_RULES: tuple[HtmlRule, ...] = (
    # A section opened by a rail heading ("More For You", "Lesen Sie auch", "Les plus lus", ...).
    HtmlRule("related_rail", "heading", rf"(?:{RAIL_HEADERS}|{READ_ALSO}){_HEADING_END}", action="section"),
    # Runs of teaser cards for other stories: repeated siblings, each one linked headline and a short summary.
    HtmlRule("teaser_cards", "cards", "", action="cards"),
    # A cross-link set as its own paragraph among the body paragraphs: the whole paragraph is one
    # link (another story's headline, an app or subscription offer). Shape only, any language.
    HtmlRule("crosslink", "crosslink", "", max_words=30),
    # Widgets named by their CMS class or id: whole tokens of the class/id, split at - and _.
    HtmlRule("related_rail", "token",
             r"related(?:posts?|articles?|stories|content|links|news)?|recommended|recommendations?|recirc(?:ulation)?"
             r"|more-?stories|most-?(?:read|popular|viewed)|mostread|mostpopular|trending|outbrain|taboola|read-?next"
             r"|readmore|also-?read|weitere|verwandte|relacionad[oa]s|correlati|similaires?|popular", max_words=300),
    # Reader comments and their invitations (the platforms' and CMSs' usual names; "comment" alone is
    # also an opinion section's name, so only the plural and the platforms).
    HtmlRule("comments", "token", r"comments|commenting|disqus|viafoura", max_words=1000),
    HtmlRule("newsletter", "token",
             r"newsletters?|newsletter-?signup|nl-?signup|subscribe|subscription|signup|sign-?up|optin|opt-?in",
             max_words=120),
    HtmlRule("share", "token",
             r"share|shares|sharing|sharebar|share-?(?:bar|buttons?|tools?|links?|icons?)|social|social-?(?:share|links?|media|buttons?|icons?)"
             r"|addthis|sharethis|shariff", max_words=60),
    HtmlRule("cookie_banner", "token", r"cookies?|cookie-?(?:banner|consent|notice|bar)|consent|gdpr|cmp", max_words=200),
    HtmlRule("continues_below", "token",
             r"ad|ads|advert|adverts|advertisement|adslot|ad-?slot|ad-?container|ad-?wrapper|dfp|gpt-?ad|sponsored|sponsor",
             max_words=40),
    # Video players and their blurbs (title, teaser, "Related video"): the clip's words, not the story's.
    # Not "player" alone: a sports story's "player-name" cells and "player-card" boxes are the story.
    HtmlRule("video", "token", r"video|videos|video-?player|videoplayer|media-?player|jw-?player|brightcove|vjs",
             max_words=40),
    # Text for screen readers only ("sr-only", "visually-hidden": skip links, "opens new tab", icon labels).
    HtmlRule("assistive_text", "class",
             r"sr-only|visually-?hidden|visuallyhidden|screen-?reader-?(?:text|only)|sr-text|a11y-(?:hidden|only)|element-invisible",
             max_words=40),
    # Content the page itself marks as not shown (the HTML `hidden` attribute: closed dialogs, drawers, lightboxes).
    HtmlRule("hidden", "attr", r"hidden", max_words=2000),
    # ARIA: page regions that are not the article, and widgets labelled as rails or share tools.
    HtmlRule("navigation", "role", r"navigation|banner|contentinfo|search|menubar|dialog|alertdialog", max_words=300),
    HtmlRule("related_rail", "aria", rf"(?:{RAIL_HEADERS}|{READ_ALSO}){_HEADING_END}", max_words=300),
    HtmlRule("share", "aria", rf"(?:{SHARE_WORDS})(?: (?:on|via|auf|sur|en|em|su) [\w ]{{2,20}})?{_HEADING_END}|social(?: media)?(?: links| share| sharing)?",
             max_words=60),
    # Elements that never hold the article.
    HtmlRule("navigation", "tag", r"nav|dialog", max_words=300),
    HtmlRule("form", "tag", r"form", action="widget", max_words=120),
    # A photo's caption and credit describe the picture, not the story (neither dev set's gold counts them).
    HtmlRule("caption", "tag", r"figcaption", max_words=120),
)

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_WORD = re.compile(r"\w+")
_TOKEN_SPLIT = re.compile(r"[\s_]+|(?<=[a-z])-(?=[a-z])")
_MAX_SHARE = 0.4  # never drop an element holding this share of the page's paragraph words
_LONG_PARAGRAPH = 60  # words: a paragraph this long is article prose, not a teaser
_CARD_MAX_WORDS = 70
_CARD_MIN_RUN = 3
_ARTICLE_CARD_MIN_RUN = 2  # sibling <article> elements: two are already a list of other stories
_CARD_TAGS = ("article", "li", "div", "section")  # block elements only: never links inside a paragraph
_VISIBLE = ".//text()[not(ancestor::script or ancestor::style or ancestor::noscript or ancestor::template)]"
_INVISIBLE = ("script", "style", "noscript", "template")
_ATTRIBUTED = frozenset(("class", "id", "role", "aria-label", "hidden"))  # an element with one may match an attr rule


@functools.cache
def _xpath(expr: str):
    """`expr` compiled once (el.xpath compiles its string on every call: ~4 us, more than most evaluations here)."""
    from lxml import etree  # lazy: the CLI imports this module on its start-up path

    return etree.XPath(expr)


def _words(text: str) -> int:
    return len(text.split())  # whitespace words: close enough for the guards, and cheap on big pages


def _text(el) -> str:
    """The element's visible text (script and style contents left out; the plain C path when it has none)."""
    if next(el.iter("script", "style"), None) is None:  # one walk: the element itself and its descendants
        return el.text_content()
    return " ".join(_xpath(_VISIBLE)(el))


class _Page:
    """What the guards need to know about the page: its body and how many words its paragraphs hold."""

    def __init__(self, tree):
        body = tree.find(".//body")
        self.body = body if body is not None else tree
        # the page's prose: words in paragraphs (scripts and JSON blobs would swamp a whole-body count)
        self.words = max(sum(_words(p.text_content()) for p in self.body.iter("p")), 1)

    def droppable(self, el, max_words: int, words: int | None = None) -> bool:
        """Whether dropping `el` cannot take the article: small, no long paragraph, not the body.

        `words`: `el`'s word count when the caller has it. The paragraphs are looked at first: a big
        block usually fails there, before its whole visible text is put together.
        """
        if el is self.body or el.tag in ("html", "body", "head", "main") or el.getparent() is None:
            return False
        prose = 0
        for p in el.iter("p"):
            w = _words(p.text_content())
            if w >= _LONG_PARAGRAPH:
                return False
            prose += w
        if prose > _MAX_SHARE * self.words:
            return False
        return (_words(_text(el)) if words is None else words) <= max_words


def _link_words(el) -> int:
    return sum(_words(_text(a)) for a in el.iter("a"))


def _visible_texts(el) -> list[str]:
    """The element's text nodes a reader sees, in order (`_VISIBLE`; itertext when nothing in or above it hides text)."""
    if next(el.iter(*_INVISIBLE), None) is None and next(el.iterancestors(*_INVISIBLE), None) is None:
        return list(el.itertext())
    return _xpath(_VISIBLE)(el)


def _drop(el, rule: str, removed: list[Removed]) -> None:
    text = " ".join(" ".join(_visible_texts(el)).split())
    if text:
        removed.append(Removed(rule, text[:2000], stage="html"))
    parent = el.getparent()
    if parent is None:
        return
    if el.tail and el.tail.strip():  # the tail is the parent's text: keep it
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def _section_of(heading, page: _Page, max_words: int):
    """The container a rail heading opens (None when it also holds the article), and the heading's wrapper."""
    node = heading
    heading_words = _words(_text(heading))
    # climb out of wrappers that hold nothing but the heading (<div class="header"><h2>...</h2></div>)
    container, words = node.getparent(), 0
    while container is not None:
        words = _words(_text(container))
        if words > heading_words + 3:
            break
        node, container = container, container.getparent()
    if container is None or not page.droppable(container, max_words, words):
        return None, node
    if words and _link_words(container) >= 0.3 * words or _holds_cards(container):
        return container, node
    return None, node


def _holds_cards(container) -> bool:
    """Whether the block under a rail heading is a list of teasers: a run of cards among its children or
    grandchildren (the heading already says "other stories", so two cards of any tag are enough)."""
    return any(teaser_run(list(box), minimum=2) for box in (container, *container))


def _drop_section(heading, rule: HtmlRule, page: _Page, removed: list[Removed]) -> bool:
    container, node = _section_of(heading, page, rule.max_words)
    if container is not None:
        _drop(container, rule.name, removed)
        return True
    # the heading sits among body paragraphs: drop it and the link lists right after it
    following = []
    sib = node.getnext()
    while sib is not None and len(following) < 12:
        words = _words(_text(sib)) if isinstance(sib.tag, str) else 0
        if not words:
            sib = sib.getnext()
            continue
        if sib.tag in _HEADINGS or _link_words(sib) < 0.5 * words or words > _CARD_MAX_WORDS:
            break
        following.append(sib)
        sib = sib.getnext()
    if not following or not page.droppable(node, rule.max_words):
        return False
    for el in [node, *following]:
        _drop(el, rule.name, removed)
    return True


def is_card(el) -> bool:
    """One teaser card: a short block whose headline is a link (in a heading, or the block's first text)."""
    if el.tag not in _CARD_TAGS:
        return False
    links = []
    for a in el.iter("a"):
        if _navigates(a):
            links.append(a)
            if len(links) > 6:  # a block with many links is no card: stop counting
                return False
    if not links:
        return False
    words = _words(_text(el))
    if not 3 <= words <= _CARD_MAX_WORDS:
        return False
    headlines = [a for a in links if _words(_text(a)) >= 3]
    if not 1 <= len(headlines) <= 2:
        return False
    headline = headlines[0]
    if next(headline.iterancestors(*_HEADINGS), None) is not None or next(headline.iter(*_HEADINGS), None) is not None:
        return True
    # no heading element: the link must open the card and carry a good part of its text
    first = _xpath("string(.//text()[normalize-space()][1])")(el).strip()
    return bool(first) and first in _text(headline) and _link_words(el) >= 0.35 * words


def _navigates(a) -> bool:
    """Whether a link goes somewhere: not a control dressed as a link (role=button, href "#..." or "javascript:")."""
    href = (a.get("href") or "").strip().lower()
    return a.get("role") != "button" and not href.startswith(("#", "javascript:"))


_CROSSLINK_MIN_WORDS = 4  # "Read more" or a name alone is not a headline
_BODY_PARAGRAPH = 12  # words: a sibling paragraph this long that is not a link is body prose


def is_crosslink(para) -> bool:
    """A paragraph that is one navigating link and nothing else, set among the story's paragraphs.

    Outlets put other stories' headlines and app or subscription offers as a paragraph of their
    own between the body paragraphs (often with an ad slot or a picture beside it); a sentence of
    the story may hold a link, but is not one. It must have body paragraphs before and after it in
    its container, and not sit in a run of such links (a run is a rail, left to the rail rules: on
    a video page it may be all the text there is).
    """
    if not _link_paragraph(para):
        return False
    siblings = [el for el in para.getparent() if isinstance(el.tag, str)]
    i = siblings.index(para)
    if not (any(_body_paragraph(el) for el in siblings[:i]) and any(_body_paragraph(el) for el in siblings[i + 1:])):
        return False
    for side in (reversed(siblings[:i]), siblings[i + 1:]):
        neighbour = next((el for el in side if _text(el).strip()), None)  # empty ad slots do not count
        if neighbour is not None and _link_paragraph(neighbour):
            return False
    return True


def _link_paragraph(el) -> bool:
    """A paragraph whose whole text (4+ words) is one navigating link."""
    if el.tag != "p":
        return False
    links = list(el.iter("a"))
    if len(links) != 1 or not _navigates(links[0]):
        return False
    words = _text(el).split()
    return len(words) >= _CROSSLINK_MIN_WORDS and _text(links[0]).split() == words


def _body_paragraph(el) -> bool:
    """A paragraph of prose: long enough and mostly not link text."""
    if el.tag != "p":
        return False
    words = _words(_text(el))
    return words >= _BODY_PARAGRAPH and _link_words(el) < 0.5 * words


_NUMBERED = re.compile(r"\S*\d\S*")


def _sibling_key(el) -> tuple:
    """What makes siblings the same kind of card: the tag and the class, less numbered tokens.

    A CMS often numbers each card ("pos-2", "item-7", "id1227272060915"); the rest of the class
    names the template.
    """
    return el.tag, _class_key(el.get("class") or "")


@functools.lru_cache(maxsize=4096)
def _class_key(cls: str) -> str:
    """The class less numbered tokens (remembered: a page repeats its card classes, an outlet its pages)."""
    return " ".join(_NUMBERED.sub("", cls).split())


def teaser_run(siblings: list, minimum: int | None = None) -> list:
    """The longest run of consecutive teaser cards with the same tag and class among `siblings`
    (at least `minimum` cards; by default two <article> or three of another tag)."""
    best: list = []
    run: list = []
    key = None
    for el in siblings:
        if not isinstance(el.tag, str):
            continue
        k = _sibling_key(el)
        if k != key:
            run, key = [], k
        if el.tag in _CARD_TAGS and is_card(el):
            run.append(el)
            if len(run) > len(best):
                best = run
        else:
            run, key = [], None
    if not best:
        return []
    if minimum is None:
        minimum = _ARTICLE_CARD_MIN_RUN if best[0].tag == "article" else _CARD_MIN_RUN
    return best if len(best) >= minimum else []


# an element with at least 2 <article> or 3 <li>/<div>/<section> children: the parent of a second <article>
# or a third <li>, ... (cheaper for libxml2 than a predicate on every element); the body itself is left out
_CARD_PARENTS = ".//article[2]/..|.//li[3]/..|.//div[3]/..|.//section[3]/.."


def _card_parents(body) -> list:
    """Elements with a run of same-tag, same-class block children long enough to be a card rail."""
    found = []
    for parent in _xpath(_CARD_PARENTS)(body):
        if parent is body:
            continue
        prev, length = None, 0
        for child in parent:
            k = _sibling_key(child) if isinstance(child.tag, str) else None
            length = length + 1 if k == prev and k is not None else 1
            prev = k
            if k and k[0] in _CARD_TAGS and length >= (_ARTICLE_CARD_MIN_RUN if k[0] == "article" else _CARD_MIN_RUN):
                found.append(parent)
                break
    return found


def strip_structure(tree, rules: tuple[HtmlRule, ...] = HTML_RULES) -> list[Removed]:
    """Drop the rails, widgets and teaser cards `rules` find in `tree` (in place); what went, in order."""
    page = _Page(tree)
    removed: list[Removed] = []
    body = page.body
    attr_rules = [r for r in rules if r.match in ("token", "class", "attr", "role", "aria", "tag")]
    first_rule = _first_rule(tuple(attr_rules))
    for rule in rules:
        if rule.match == "heading":
            for heading in list(body.iterdescendants(*_HEADINGS)):  # in document order, as .//h1|.//h2|...
                if not _attached(heading, body):
                    continue
                text = " ".join(heading.text_content().split())
                if text and len(text) <= 80 and rule.regex.match(text):
                    _drop_section(heading, rule, page, removed)
        elif rule.match == "cards":
            for parent in _card_parents(body):
                if not _attached(parent, body):
                    continue
                run = teaser_run(list(parent))
                if run and all(page.droppable(el, rule.max_words) for el in run):
                    for el in run:
                        _drop(el, rule.name, removed)
        elif rule.match == "crosslink":
            for para in _xpath(".//p[.//a]")(body):
                if _attached(para, body) and is_crosslink(para) and page.droppable(para, rule.max_words):
                    _drop(para, rule.name, removed)
    # class/id, role, aria-label and tag rules: one pass in document order, the first rule that matches
    gone: set = set()
    tags = sorted({t for r in attr_rules if r.match == "tag" for t in r.pattern.split("|")})
    for el in list(body.iterdescendants("*")):  # elements only, in document order
        if el in gone or not (el.tag in tags or not _ATTRIBUTED.isdisjoint(el.keys())):
            continue
        rule = first_rule(el)
        if rule is None or not _attached(el, body):
            continue
        if rule.action == "widget":
            box = _widget_of(el, body)
            el = box if page.droppable(box, rule.max_words) else el
        if page.droppable(el, rule.max_words):
            gone.update(el.iter())
            _drop(el, rule.name, removed)
    return removed


_WIDGET_WORDS = 60  # a box this small around a form is its widget (prompt, "Thanks!", "Please wait...")
_WIDGET_SENTENCE = 20  # ... unless it holds a paragraph this long: then it is story text beside the form


def _widget_of(el, body):
    """The outermost small box around `el` that holds nothing like story text (else `el` itself)."""
    box = el
    parent = el.getparent()
    while (parent is not None and parent is not body and parent.tag not in ("html", "body", "main", "article")
           and not any(_words(p.text_content()) >= _WIDGET_SENTENCE for p in parent.iter("p"))  # the cheaper test first
           and _words(_text(parent)) <= _WIDGET_WORDS):
        box, parent = parent, parent.getparent()
    return box


@functools.lru_cache(maxsize=16)
def _first_rule(attr_rules: tuple[HtmlRule, ...]):
    """`el -> the first of attr_rules that matches el, or None`, in table order.

    A cheap test comes first (one regex over the class and id; the tag, role, aria-label and attribute
    rules' own attributes), and what the class/id rules make of an element is remembered per (class, id):
    a page repeats its class names (every card, every list item), and so do an outlet's pages; the big
    alternation costs ~10 us a search, splitting the tokens a few more.
    """
    token_alts = "|".join(r.pattern for r in attr_rules if r.match == "token")
    tokens = re.compile(rf"(?<![a-z0-9])(?:{token_alts})(?![a-z0-9])", re.I) if token_alts else None
    class_alts = "|".join(r.pattern for r in attr_rules if r.match == "class")
    words = re.compile(rf"(?<!\S)(?:{class_alts})(?!\S)", re.I) if class_alts else None
    tags = {t for r in attr_rules if r.match == "tag" for t in r.pattern.split("|")}
    attrs = frozenset(a for r in attr_rules if r.match == "attr" for a in r.pattern.split("|"))
    named = [(i, r) for i, r in enumerate(attr_rules) if r.match in ("token", "class")]  # by class and id alone
    others = [(i, r) for i, r in enumerate(attr_rules) if r.match not in ("token", "class")]

    def by_class_id(cls: str, ident: str) -> tuple[bool, tuple[int, HtmlRule] | None]:
        """Whether the cheap regex finds anything, and the first class/id rule that matches (with its index)."""
        value = f"{cls} {ident}"
        if not (tokens and tokens.search(value) or words and words.search(cls)):
            return False, None  # every class/id rule's match is also a hit of the regex
        split = [t for t in _TOKEN_SPLIT.split(value.lower()) if t]  # class and id tokens, split at - and _
        for i, rule in named:  # token rules: whole tokens; class rules: whole class words ("sr-only" is one name)
            if rule.match == "token" and any(rule.regex.match(t) for t in split) or (
                    rule.match == "class" and any(rule.regex.match(w) for w in cls.split())):
                return True, (i, rule)
        return True, None

    def first(el) -> HtmlRule | None:
        cls = el.get("class") or ""
        key = (cls, el.get("id") or "")
        known = seen.get(key)
        if known is None:
            if len(seen) >= 50_000:  # bounded: a long run meets many distinct ids
                seen.clear()
            known = seen[key] = by_class_id(*key)
        hit, found = known
        if not (hit or el.tag in tags or el.get("role") or el.get("aria-label") or not attrs.isdisjoint(el.keys())):
            return None
        for i, rule in others:  # the rules before the class/id rule that matched, in table order
            if found is not None and i > found[0]:
                break
            if _matches(el, rule):
                return rule
        return found[1] if found is not None else None
    seen: dict[tuple[str, str], tuple[bool, tuple[int, HtmlRule] | None]] = {}
    return first


def _matches(el, rule: HtmlRule) -> bool:
    """Whether a tag, attribute, role or aria-label rule matches `el` (class/id rules: `_first_rule`)."""
    if rule.match == "tag":
        return bool(rule.regex.match(el.tag))
    if rule.match == "attr":  # the attribute is present, whatever its value
        return any(el.get(a) is not None for a in rule.pattern.split("|"))
    if rule.match == "role":
        return bool(el.get("role") and rule.regex.match(el.get("role").strip()))
    if rule.match == "aria":
        label = el.get("aria-label")
        return bool(label and rule.regex.match(" ".join(label.split())))
    return False


def _attached(el, body) -> bool:
    """Still in the tree under `body` (an ancestor may have been dropped already)."""
    for a in el.iterancestors():
        if a is body:
            return True
    return el is body


# --- text trafilatura would not see as paragraphs -------------------------------------------------

_LOOSE_PARENTS = ("div", "section", "article", "main", "td", "body")
_LOOSE_AFTER = ("div", "figure", "table", "section", "aside", "ul", "ol", "dl", "p", "blockquote", "pre",
                "h1", "h2", "h3", "h4", "h5", "h6", "iframe", "hr")
_INLINE = frozenset(("a", "em", "strong", "b", "i", "u", "s", "span", "sup", "sub", "abbr", "cite", "q", "small",
                     "mark", "time", "code", "font", "del", "ins", "var", "kbd", "dfn", "bdi", "bdo", "wbr"))
_LOOSE_MIN_WORDS = 12  # a sentence, not a separator, label or credit left beside a block


def loose_paragraphs(tree) -> int:
    """Sentences set straight in a container after a block (`</div>Text with <a>a link</a> in it.`), wrapped
    in a <p> of their own; how many were wrapped.

    Older CMSs put story text beside an image's or an ad's wrapper without a paragraph around it.
    trafilatura's main pass keeps the text of paragraphs, not the text after a <div>, so such a
    sentence is lost unless its whole-page fallbacks happen to run (they do when the page is large
    compared to the text found, which the structural stage makes less likely by cutting the rails).
    Readability does the same wrapping of loose phrasing content.
    """
    body = tree.find(".//body")
    if body is None:
        return 0
    wrapped = 0
    for el in list(body.iter(*_LOOSE_AFTER)):
        parent = el.getparent()
        if parent is None or parent.tag not in _LOOSE_PARENTS or not (el.tail or "").strip():
            continue
        run = []  # the inline elements that continue the sentence (links, emphasis), with their tails
        sib = el.getnext()
        while sib is not None and isinstance(sib.tag, str) and sib.tag in _INLINE:
            run.append(sib)
            sib = sib.getnext()
        text = el.tail + "".join(e.text_content() + (e.tail or "") for e in run)
        if _words(text) < _LOOSE_MIN_WORDS:
            continue
        para = el.makeelement("p", {})
        para.text, el.tail = el.tail, None
        for e in run:
            para.append(e)  # moves the element with its tail
        el.addnext(para)
        wrapped += 1
    return wrapped


# class tokens, inline styles and attributes by which a page hides a block until a button opens it
_HIDING_CLASS = re.compile(r"^(?:hide|hidden|is-hidden|collapsed?|hide-?on-?init|hideoninit|js-hidden)$", re.I)
_HIDING_HINT = re.compile(r"hid|collaps", re.I)
_HIDING_STYLE = re.compile(r"\b(?:display\s*:\s*none|visibility\s*:\s*hidden)\s*;?", re.I)


def collapsed_story(tree) -> int:
    """Unhide the rest of the story that a page collapses behind a "Read more" button; how many blocks.

    Some outlets print the first paragraphs and put the rest of the body in a block hidden until a
    button opens it (`class="... hideOnInit"`, `style="display:none"`, `aria-hidden`). trafilatura drops
    hidden blocks unless that would remove most of the page, so whether the story's second half survives
    depends on how much else the page holds. The block is the story when it follows the story's own
    paragraphs (two or more) in the same container and itself holds story prose (a long paragraph) that
    is not already shown there; a hidden dialog, menu, teaser or copy of the story is none of that.
    """
    body = tree.find(".//body")
    if body is None:
        return 0
    opened = 0
    for el in body.iter("div", "section", "article"):
        cls, style = el.get("class") or "", el.get("style") or ""
        if not (_HIDING_HINT.search(cls) or el.get("aria-hidden") == "true" or "none" in style or "hidden" in style):
            continue  # the cheap test first: most blocks name nothing of the kind
        hidden_class = [w for w in cls.split() if _HIDING_CLASS.match(w)]
        if not (hidden_class or el.get("aria-hidden") == "true" or _HIDING_STYLE.search(style)):
            continue
        parent = el.getparent()
        if parent is None:
            continue
        before = list(parent)[:parent.index(el)]
        if sum(isinstance(s.tag, str) and _body_paragraph(s) for s in before) < 2:
            continue
        long = [p for p in el.iter("p")
                if _words(p.text_content()) >= _LONG_PARAGRAPH and _link_words(p) < 0.3 * _words(p.text_content())]
        if not long:
            continue
        shown = " ".join(" ".join(s.text_content().split()) for s in before if isinstance(s.tag, str))
        if " ".join(long[0].text_content().split()) in shown:
            continue  # a hidden copy of what is shown (a mobile or print version), not its continuation
        if hidden_class:
            el.set("class", " ".join(w for w in el.get("class").split() if w not in hidden_class))
        if el.get("aria-hidden") == "true":
            del el.attrib["aria-hidden"]
        if _HIDING_STYLE.search(style):
            el.set("style", _HIDING_STYLE.sub("", style))
        opened += 1
    return opened
