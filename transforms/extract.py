"""Extraction: HTML through trafilatura, plain text through the text reader."""

from __future__ import annotations

import re
import threading
from datetime import datetime
from urllib.parse import urlsplit

from newsflow.transforms.clean import CELL_SEPARATOR
from newsflow.transforms.decode import declared_charset, decode_noted
from newsflow.transforms.markers import KEY_POINTS as KEY_POINTS_WORDS
from newsflow.transforms.metadata import Metadata, choose_date, plausible_date, repair_title
from newsflow.transforms.models import Extracted, RawDocument, RejectError, Removed
from newsflow.transforms.pagemeta import page_metadata
from newsflow.transforms.structure import HTML_RULES, collapsed_story, loose_paragraphs, strip_structure
from newsflow.transforms.textreader import read_text, to_utc

# Choices settled by measurement on both dev sets (docs/extraction.md, `make eval`).
STRUCTURAL = True  # the structural stage (transforms/structure.py) before trafilatura
INCLUDE_TABLES = True  # tables in the story are kept, one row per line
STANDFIRST = True  # the meta description on top when the page prints it outside the body
KEY_POINTS = True  # the page's own summary bullets ("Key points") on top when trafilatura left them out
LIVE_POSTS = True  # a live blog's posts (schema.org liveBlogUpdate) after the text when trafilatura left them out
DEK = True  # the dek the page prints under its headline (class dek, standfirst, subheadline, excerpt ...), when not in the text
HEADLINE = True  # a leading line that repeats the page's first <h1> goes, as one that repeats the <title> does
LOOSE_TEXT = True  # sentences set straight in a container after a block (no <p>) get a <p> of their own
COLLAPSED = True  # the rest of the story hidden behind a "Read more" button is unhidden
AUTHOR_BIOS = True  # a paragraph that opens with an author's declared description (schema.org Person) is a bio
_OPEN_HTML = re.compile(r"<html[\s>]", re.I)
_CLOSE_HTML = re.compile(r"</html\s*>", re.I)
# htmldate's extensive search was measured on both dev sets (bench/eval_dates.py): the same dates
# where a reference exists, five more unverified guesses (from link and image paths) on 40 pages,
# and 4.6 vs 0.8 ms CPU per page. Off: a missing date is NULL, a guessed one would be wrong data.
_DATE_PARAMS = {"extensive_search": False, "original_date": True, "outputformat": "%Y-%m-%dT%H:%M:%S%z"}
# Third-party embeds quoted inside the body (posts from X/Twitter, Instagram, TikTok, Facebook,
# Threads, Bluesky, Reddit): their text is somebody else's post, not the article. These are the
# platforms' own embed classes, so they look the same on every outlet.
_PRUNE_XPATH = [
    "//blockquote[contains(@class, 'twitter-tweet') or contains(@class, 'twitter-video')"
    " or contains(@class, 'instagram-media') or contains(@class, 'tiktok-embed')"
    " or contains(@class, 'text-post-media') or contains(@class, 'bluesky-embed')"
    " or contains(@class, 'reddit-embed') or contains(@class, 'fb-xfbml-parse-ignore')]",
    "//div[contains(@class, 'fb-post')]",
    # Teaser cards for other stories dropped between paragraphs: "promo" is the usual CMS name for
    # such a card (matched as a whole class token; "promo-banner" or "promotion" are not cut).
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' promo ')]",
]
_WORDS = re.compile(r"\w+")
_STANDFIRST_MIN_WORDS = 8


def extract(raw: RawDocument, html_rules=HTML_RULES) -> Extracted:
    """Decode and extract one document by its kind."""
    if raw.kind == "html":
        html, note = decode_noted(raw.body, raw.charset or declared_charset(raw.body))
        extracted = extract_html(html, raw.url, html_rules)
        extracted.charset_note = note
        return extracted
    if raw.kind == "text":
        text, note = decode_noted(raw.body, raw.charset)
        extracted = read_text(text)
        if not extracted.text.strip():
            raise RejectError("extract", "no_article", "the file holds no text")
        extracted.charset_note = note
        return extracted
    raise RejectError("extract", "unsupported_type", f"no extractor for {raw.kind!r}")


def extract_html(html: str, url: str | None = None, html_rules=HTML_RULES) -> Extracted:
    """Main text and metadata of an HTML page.

    The page is parsed once (`parse_html`: trafilatura's loader with a cheaper element class lookup, so
    the tree is what trafilatura would have built); the structural stage cuts rails and widgets from that tree, and the same tree goes to
    trafilatura.bare_extraction (which copies it) and to the standfirst lookup. `html_rules` is
    the structural stage's table (the eval switches rules off to score a publisher without them).
    """
    from trafilatura import bare_extraction  # heavy import, kept off the CLI's start-up path

    if not html.strip():
        raise RejectError("extract", "empty", "the page is empty")
    if _OPEN_HTML.search(html) and not _CLOSE_HTML.search(html):
        raise RejectError("extract", "truncated", "the page opens <html> but never closes it: it was cut off")
    tree = parse_html(html)
    if tree is None:
        raise RejectError("extract", "no_article", _no_tree(html))
    removed = strip_structure(tree, html_rules) if STRUCTURAL else []
    if LOOSE_TEXT:
        loose_paragraphs(tree)
    if COLLAPSED:
        collapsed_story(tree)
    # only the metadata we store, from the same tree trafilatura would read it from (transforms/pagemeta.py)
    try:
        info = page_metadata(tree, url, _DATE_PARAMS)
    except (TypeError, ValueError) as exc:  # what bare_extraction makes of a failure in its own metadata step
        raise RejectError("extract", "no_article", f"trafilatura found no main text in the page ({exc})") from exc
    source_breaks(tree)
    body = bare_extraction(
        tree, url=url, with_metadata=False, include_comments=False, include_tables=INCLUDE_TABLES,
        prune_xpath=_PRUNE_XPATH or None,
    )
    if body is None or not (body.text or "").strip():
        raise RejectError("extract", "no_article", "trafilatura found no main text in the page")
    doc = info
    doc.text = body.text
    text = drop_leading_title(table_rows(inner_spaces(doc.text)), doc.title, *(headlines(tree) if HEADLINE else ()))
    if AUTHOR_BIOS:
        text = drop_author_bios(text, tree, removed)
    if KEY_POINTS:
        text = add_key_points(text, tree)
    if LIVE_POSTS:
        text = add_live_posts(text, tree)
    meta = repair_metadata(doc, html, tree, url)
    if STANDFIRST:
        text = add_standfirst(text, meta.description, tree)
    if DEK:
        text = add_dek(text, tree)
    return Extracted(
        text=text,
        title=meta.title,
        authors=[a.strip() for a in (doc.author or "").split(";") if a.strip()],
        published_at=meta.published_at,
        canonical_url=doc.url or None,
        site_name=meta.site_name,
        description=meta.description,
        removed=removed,
        repairs=meta.repairs,
    )


_PARSERS = threading.local()  # an lxml parser serves one thread at a time: one per thread


def _parser():
    """trafilatura's HTML parser (the same options as its `load_html`) with one element class for all elements.

    lxml.html's parser looks up a class in Python for every element proxy it creates (form, input,
    select, textarea and label get their own; ~2,000 lookups a page in the structural stage alone).
    Nothing in newsflow, trafilatura, htmldate or justext uses what those classes add (form fields,
    input values), so a C-level lookup gives every element lxml.html's HtmlElement: the same tree, the
    same methods (text_content, drop_tree ...), and `isinstance(tree, HtmlElement)` still holds.
    """
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        from lxml import etree, html

        parser = etree.HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8",
                                  remove_comments=True, remove_pis=True)
        parser.set_element_class_lookup(etree.ElementDefaultClassLookup(
            element=html.HtmlElement, comment=html.HtmlComment, pi=html.HtmlProcessingInstruction,
            entity=html.HtmlEntity))
        _PARSERS.parser = parser
    return parser


def parse_html(html: str):
    """The page as an lxml.html tree, or None when it is not HTML: trafilatura's `load_html` for a
    decoded page, step for step (repair, parse, the bytes retry, the rejection of a non-HTML
    fragment), with the parser above (trafilatura.utils.load_html, 2.3)."""
    from lxml.html import fromstring
    from trafilatura.utils import is_dubious_html, repair_faulty_html

    parser = _parser()
    beginning = html[:50].lower()
    check_flag = is_dubious_html(beginning)
    html = repair_faulty_html(html, beginning)
    tree, fallback_parse = None, False
    try:
        tree = fromstring(html, parser=parser)
    except ValueError:  # "Unicode strings with encoding declaration are not supported."
        tree, fallback_parse = _parse_bytes(html, parser), True
    except Exception:  # as trafilatura (which logs it): on to the bytes retry
        pass
    if (tree is None or len(tree) < 1) and not fallback_parse:
        tree = _parse_bytes(html, parser)
    if tree is not None and check_flag and len(tree) < 2:  # not (well-formed) HTML at all
        tree = None
    return tree


def _no_tree(html: str) -> str:
    """Why parse_html gave no tree. Without "html" in its first 50 characters (no <html> tag or
    doctype) a parse of a single top-level element is trafilatura's "not HTML": a fragment such as
    `<div><p>…</p></div>`, which trafilatura does not extract either."""
    from trafilatura.utils import is_dubious_html

    if is_dubious_html(html[:50].lower()):
        return ("no <html> document: an HTML fragment, not a page (trafilatura reads only whole pages; "
                "put it inside <html><body>…</body></html>)")
    return "the page is not parsable HTML"


def _parse_bytes(html: str, parser):
    from lxml.html import fromstring

    try:
        return fromstring(html.encode("utf8", "surrogatepass"), parser=parser)
    except Exception:  # as trafilatura's fromstring_bytes: no tree
        return None


# HTML's own whitespace rule: outside preformatted text a line break in the source is a space, so
# only blocks (<p>, <blockquote>, <li>, rows, <br>) and preformatted lines start a line in the text.
_KEEPS_LINES = ("pre", "textarea", "listing", "xmp", "plaintext", "code", "script", "style", "template")
_PRE_STYLE = re.compile(r"white-space\s*:\s*(?:pre|break-spaces)", re.I)  # pre, pre-wrap, pre-line
_PRE_BLOCKS = ("pre", "listing", "xmp", "plaintext")
_BREAK_TO_SPACE = str.maketrans("\r\n", "  ")
_INNER_SPACES = re.compile(r"(?<=\S)[ \t]{2,}")  # a line's leading indent (a <pre>'s) is left as it is


def source_breaks(tree) -> int:
    """Make the page's source line breaks spaces, except in preformatted text; the number of texts changed.

    trafilatura keeps a blockquote's and a <pre>'s text as the page wrote it (and its readability
    fallback every text), so source line breaks reached the text: a wrapped quote broke into
    lines, and a quote's leading break and indent was all that set it apart from the paragraph
    before it. A <pre> becomes the same quote element, so only the page tells them apart.
    <code> counts as preformatted too (code blocks set by CSS keep their lines). Each break becomes
    one space, so no text gets shorter: trafilatura's fallbacks weigh blocks by raw text length.
    """
    keep = set()
    for el in tree.iter(*_KEEPS_LINES):
        keep.update(el.iter())
    for el in tree.xpath("//*[contains(@style, 'white-space')]"):
        if _PRE_STYLE.search(el.get("style")):
            keep.update(el.iter())
    changed = 0
    for el in tree.iter():
        # a comment's text is no page text, its tail is; a tail sits in the parent
        if isinstance(el.tag, str) and el not in keep and _breaks(el.text):
            el.text = el.text.translate(_BREAK_TO_SPACE)
            changed += 1
        if _breaks(el.tail) and el.getparent() not in keep:
            el.tail = _tail_breaks(el)
            changed += 1
    return changed


def _breaks(text: str | None) -> bool:
    return bool(text) and ("\n" in text or "\r" in text)


def _tail_breaks(el) -> str:
    """The tail with its line breaks as spaces; after a <pre> the break that ends it stays (trafilatura
    turns a <pre> of code into an inline element, which a space would join to the next paragraph)."""
    tail = el.tail
    if el.tag in _PRE_BLOCKS:
        head, br, rest = tail.partition("\n")
        if br and not head.strip():
            return f"{head.translate(_BREAK_TO_SPACE)}\n{rest.translate(_BREAK_TO_SPACE)}"
    return tail.translate(_BREAK_TO_SPACE)


def inner_spaces(text: str) -> str:
    """Runs of spaces inside a line (where the source had a line break and an indent) as one space."""
    return _INNER_SPACES.sub(" ", text)


_TABLE_RULE = re.compile(r"^\|?(?:\s*:?-{3,}:?\s*\|)+\s*:?-*:?\s*$")


def repair_metadata(doc, html: str, tree, url: str | None) -> Metadata:
    """Title, date, site name and description, with defective values replaced or dropped (and noted)."""
    repairs: list[str] = []
    candidates = [("declared", stamp) for stamp in dict.fromkeys(declared_timestamps(html))]
    published = choose_date([*candidates, ("htmldate", parse_timestamp(doc.date))], repairs)
    site = doc.sitename or (urlsplit(doc.url or url or "").hostname or None)
    h1 = None
    if doc.title and site and _squash(doc.title) == _squash(site):
        heads = tree.xpath("//body//h1")
        h1 = " ".join(heads[0].text_content().split()) if heads else None
    title = repair_title(doc.title, site, h1, repairs)
    return Metadata(title, published, site, doc.description or None, repairs)


def table_rows(text: str) -> str:
    """trafilatura's Markdown tables as plain text: one row per line, cells split by " | ", no rule lines."""
    if "|" not in text:
        return text
    lines = []
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith("|") and stripped.endswith("|"):
            if _TABLE_RULE.match(stripped):
                continue
            cells = [c.strip() for c in stripped[1:-1].split("|")]
            line = CELL_SEPARATOR.join(c for c in cells if c)
            if not line:
                continue
        lines.append(line)
    return "\n".join(lines)


_LABEL_WORDS = 4  # a kicker or section label above the headline ("Politics", "chaos theory")
_DATELINE = re.compile(r"^[\d\s.,:/-]{6,20}$")  # "08.04.2015 12:46", "2015-04-08": digits only, no words


def drop_leading_title(text: str, title: str | None, *also: str | None) -> str:
    """The text without a headline line that only repeats the title or another name of the story (`also`:
    the page's first <h1>, its <title> element: trafilatura keeps the headline, and the metadata title
    often words the story differently), together with the short labels above it (a kicker, section
    name or date printed over the headline)."""
    names = {_squash(t) for t in (title, *also) if t and _squash(t)}
    if not names:
        return text
    lines = text.strip().split("\n")
    cut = None  # the last headline line among the first three (a section-name <h1> may sit above the headline)
    for i, line in enumerate(lines[:3]):
        if _squash(line) in names:
            cut = i
            continue
        if not line.strip() or _DATELINE.match(line):  # a date or time printed over the headline is a label too
            continue
        if len(_WORDS.findall(line)) > _LABEL_WORDS or line.rstrip().endswith((".", "!", "?", ":")):
            break
    if cut is None or not "".join(lines[cut + 1:]).strip():
        return text
    return "\n".join(lines[cut + 1:])


_HEADLINE_WORDS = 30  # longer is no headline (a slideshow caption set in an <h1>)
_TITLE_PARTS = re.compile(r"\s+[|–—-]\s+")  # "Headline | Site", "Headline - Section"


def headlines(tree) -> list[str]:
    """Other names the page gives the story: its first <h1> in the body and its <title> element
    (whole, and the part before a " | " or " - " separator), each when headline-sized."""
    found = []
    h1 = next(tree.iterfind(".//body//h1"), None)
    if h1 is not None:
        found.append(" ".join(h1.text_content().split()))
    title = " ".join((tree.findtext(".//head/title") or "").split())
    if title:
        found += [title, _TITLE_PARTS.split(title)[0]]
    return [t for t in dict.fromkeys(found) if 0 < len(_WORDS.findall(t)) <= _HEADLINE_WORDS]


def add_standfirst(text: str, description: str | None, tree) -> str:
    """The text with the standfirst (dek) on top when trafilatura left it out.

    Outlets print the page's meta description as the dek under the headline, often outside the
    element trafilatura takes as the body. It is added only when it is printed on the page (so
    a description that exists only as metadata never enters the text) and not already in `text`.
    """
    if not description or len(_WORDS.findall(description)) < _STANDFIRST_MIN_WORDS:
        return text
    dek = _shingles(description)
    if _share(dek, _shingles(text)) >= 0.5 or _share_in(dek, visible_text(tree)) < 0.8:
        return text
    return f"{description.strip()}\n{text}"


# class/id words CMSs give the dek printed under the headline, in several languages (bajada: es,
# chapo: fr, sottotitolo: it, linha-fina: pt, vorspann: de)
_DEK_CLASS = re.compile(
    r"(?<![a-z])(?:dek|standfirst|sub-?headline|subhead|sub-?title|excerpt|summary|lede|strapline|description"
    r"|bajada|chapo|sottotitolo|linha-?fina|vorspann|intro|teaser)(?![a-z])", re.I)
# a picture's words named like a dek ("image-description", "photo-summary", "caption")
_MEDIA_CLASS = re.compile(r"(?<![a-z])(?:caption|credit|(?:image|img|photo|picture|media|video|gallery)[-_]+"
                          r"(?:description|summary|intro|teaser|excerpt|dek))(?![a-z])", re.I)
_DEK_WORDS = (5, 60)
_DEK_TAGS = ("h1", "h2", "h3", "h4", "p", "div", "span")  # h1: to know where the headline is in document order
_DEK_LOOKAHEAD = 4  # text blocks after the headline in which the dek may sit (a byline or date may come first)


def printed_dek(tree) -> str | None:
    """The dek printed under the page's first <h1>: one of the next few text blocks in the headline's box
    (within three levels) whose class or id names it a dek, sentence-sized and not a link."""
    h1 = next(tree.iterfind(".//body//h1"), None)
    if h1 is None:
        return None
    box = h1
    for _ in range(3):
        if box.getparent() is None:
            break
        box = box.getparent()
    seen, after, inside = 0, False, set(h1.iter())
    for el in box.iter(_DEK_TAGS):  # the blocks after the headline, in its box, in document order
        if el is h1:
            after = True
        if not after or el in inside:
            continue
        own = " ".join(" ".join(el.xpath("text()")).split())
        if not own:
            continue
        seen += 1
        if seen > _DEK_LOOKAHEAD:
            return None
        named = f"{el.get('class') or ''} {el.get('id') or ''}"
        if not _DEK_CLASS.search(named):
            continue
        if _MEDIA_CLASS.search(named) or any(a.tag == "figure" for a in el.iterancestors()):
            return None  # "image-description", "caption-summary": a picture's words, not the story's dek
        text = " ".join(el.text_content().split())
        words = len(_WORDS.findall(text))
        linked = sum(len(_WORDS.findall(a.text_content())) for a in el.iter("a"))
        if _DEK_WORDS[0] <= words <= _DEK_WORDS[1] and linked < 0.3 * words:
            return text
        return None
    return None


def add_dek(text: str, tree) -> str:
    """The text with the printed dek on top when trafilatura and the standfirst left it out."""
    dek = printed_dek(tree)
    if not dek or _share(_shingles(dek), _shingles(text)) >= 0.5:
        return text
    return f"{dek}\n{text}"


_KEY_POINTS_HEADING = re.compile(rf"^\s*(?:{KEY_POINTS_WORDS})\s*[:.]?\s*$", re.I)
# short text nodes in the body (a heading's text is its own node): the cheap way to find the heading
_KEY_POINTS_TEXT = "//body//text()[string-length(normalize-space()) > 3 and string-length(normalize-space()) < 40]"
_KEY_POINT_WORDS = (4, 60)  # a bullet is a sentence: longer is body text, shorter a label or a link
_KEY_POINTS_ITEMS = (2, 8)


def key_points(tree) -> list[str]:
    """The bullets of the page's own summary box: a short heading ("Key points", "Das Wichtigste",
    "L'essentiel", ...) followed closely by a list of 2-8 sentence-long items that are not links
    (a list of links under such a heading is a table of contents, e.g. of a live blog)."""
    for node in tree.xpath(_KEY_POINTS_TEXT):
        el = node.getparent()
        if el is None or len(el.text_content()) > 40 or not _KEY_POINTS_HEADING.match(str(node)):
            continue
        following = el.xpath("following::*[self::ul or self::ol][1]")
        if not following or not _near(el, following[0]):
            continue
        items = [" ".join(li.text_content().split()) for li in following[0].findall("li")]
        linked = sum(len(_WORDS.findall(a.text_content())) for a in following[0].iter("a"))
        words = [len(_WORDS.findall(item)) for item in items]
        if (_KEY_POINTS_ITEMS[0] <= len(items) <= _KEY_POINTS_ITEMS[1]
                and all(_KEY_POINT_WORDS[0] <= w <= _KEY_POINT_WORDS[1] for w in words)
                and linked < 0.5 * sum(words)):
            return items
    return []


def _near(heading, lst, levels: int = 4) -> bool:
    """Whether `lst` sits within `levels` ancestors of `heading` (the same box, not a list further down the page)."""
    ancestors = list(heading.iterancestors())[:levels]
    return any(a in ancestors for a in lst.iterancestors())


def add_key_points(text: str, tree) -> str:
    """The text with the page's summary bullets on top, when trafilatura left them out (most do not repeat in the body)."""
    points = key_points(tree)
    if not points or _share(_shingles(" ".join(points)), _shingles(text)) >= 0.5:
        return text
    return "\n".join([*points, text])


_BIO_MIN_WORDS = 6


def author_descriptions(tree) -> list[str]:
    """The descriptions the page declares for its people (schema.org Person.description in JSON-LD):
    outlets put the author's bio there, the same words they print in the author box."""
    import json

    found: list[str] = []

    def walk(node):
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            kind = node.get("@type")
            if (kind == "Person" or isinstance(kind, list) and "Person" in kind) and isinstance(node.get("description"), str):
                found.append(" ".join(node["description"].split()))
            for value in node.values():
                if isinstance(value, (dict, list)):
                    walk(value)

    for script in tree.xpath("//script[@type='application/ld+json']"):
        if '"Person"' not in (script.text or ""):
            continue
        try:
            walk(json.loads(script.text))
        except ValueError:
            continue
    return [d for d in dict.fromkeys(found) if len(_WORDS.findall(d)) >= _BIO_MIN_WORDS]


def drop_author_bios(text: str, tree, removed: list[Removed]) -> str:
    """The text without paragraphs that open with an author's declared description (the author box's bio,
    which trafilatura may take for the first or last paragraph); each goes to `removed` as `author_bio`."""
    bios = author_descriptions(tree)
    if not bios:
        return text
    starts = [[w.casefold() for w in _WORDS.findall(b)] for b in bios]
    kept = []
    for line in text.split("\n"):
        words = [w.casefold() for w in _WORDS.findall(line)]
        if any(words[:len(start)] == start for start in starts):
            removed.append(Removed("author_bio", line.strip()[:2000], stage="html"))
            continue
        kept.append(line)
    return "\n".join(kept)


def live_posts(tree) -> list[str]:
    """A live blog's posts as the page declares them (schema.org LiveBlogPosting.liveBlogUpdate, JSON-LD):
    each post's headline and body, in the page's order."""
    import json

    posts: list[str] = []
    for script in tree.xpath("//script[@type='application/ld+json']"):
        if "liveBlogUpdate" not in (script.text or ""):
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        for blog in _ld_objects(data):
            for update in blog.get("liveBlogUpdate") or []:
                if not isinstance(update, dict):
                    continue
                for key in ("headline", "articleBody"):
                    value = update.get(key)
                    if isinstance(value, str) and value.strip():
                        posts.append(" ".join(value.split()))
    return posts


def _ld_objects(data):
    """The JSON-LD objects in `data` that carry liveBlogUpdate (top level, a list, or an @graph)."""
    items = data if isinstance(data, list) else [data]
    for item in items:
        if isinstance(item, dict):
            if "liveBlogUpdate" in item:
                yield item
            yield from _ld_objects(item.get("@graph") or [])


def add_live_posts(text: str, tree) -> str:
    """The text with the live blog's posts that trafilatura left out added after it.

    The posts count only when they are printed on the page too (at least 80% of their 4-grams,
    so metadata-only text never enters); then each post less than half of which is in the text
    goes in. trafilatura may keep all posts, none, or some (it drops short posts and posts in
    another template).
    """
    posts = list(dict.fromkeys(live_posts(tree)))
    if not posts or _share_in(_shingles(" ".join(posts)), visible_text(tree)) < 0.8:
        return text
    have = _shingles(text)
    missing = [post for post in posts if _share(_shingles(post), have) < 0.5]
    return "\n".join([text, *missing]) if missing else text


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = [w.casefold() for w in _WORDS.findall(text)]
    return {tuple(words[i:i + 4]) for i in range(len(words) - 3)}


def _share(part: set, whole: set) -> float:
    """How much of `part` is in `whole` (0 when `part` is empty)."""
    return len(part & whole) / len(part) if part else 0.0


def _share_in(part: set, text: str) -> float:
    """`_share(part, _shingles(text))` without building every shingle of `text` (a whole page):
    only those starting with a word that starts one of `part`'s can be in `part`."""
    if not part:
        return 0.0
    firsts = {shingle[0] for shingle in part}
    words = [w.casefold() for w in _WORDS.findall(text)]
    found = {tuple(words[i:i + 4]) for i in range(len(words) - 3) if words[i] in firsts}
    return len(part & found) / len(part)


def visible_text(tree) -> str:
    """The text a reader sees in the page body (no head, scripts, styles or templates); `tree` is not changed."""
    if isinstance(tree, str):
        tree = parse_html(tree)
        if tree is None:
            return ""
    return " ".join(tree.xpath(_VISIBLE))


_VISIBLE = ("//body//text()[not(ancestor::script or ancestor::style or ancestor::noscript"
            " or ancestor::template)]")


def _squash(text: str) -> str:
    return re.sub(r"\W+", "", text).casefold()


_PUBLISHED_META = re.compile(
    r"""<meta\s[^>]*(?:property|name|itemprop)\s*=\s*["'](?:article:published_time|og:article:published_time|"""
    r"""datePublished|pubdate|publishdate|parsely-pub-date|sailthru\.date|dc\.date\.issued|dcterms\.created)["'][^>]*>""",
    re.I)
_CONTENT = re.compile(r"""content\s*=\s*["']([^"']+)["']""", re.I)
_JSONLD_PUBLISHED = re.compile(r'"datePublished"\s*:\s*"([^"]+)"')


def declared_timestamps(html: str) -> list[datetime]:
    """The publication timestamps (with a time of day) a page declares in standard metadata, in page order.

    htmldate (via trafilatura) often settles on a date-only source and drops the time; the
    declared `article:published_time` / JSON-LD `datePublished` is exact when present.
    """
    head = html[:200_000]
    values = [c.group(1) for m in _PUBLISHED_META.finditer(head) if (c := _CONTENT.search(m.group(0)))]
    values += _JSONLD_PUBLISHED.findall(head)
    return [stamp for value in values
            if "T" in value and (stamp := parse_timestamp(value.strip().replace("Z", "+00:00")))]


def published_in_metadata(html: str) -> datetime | None:
    """The first plausible declared timestamp (a CMS placeholder such as 0001-01-01 is passed over)."""
    return next((stamp for stamp in declared_timestamps(html) if plausible_date(stamp)), None)


def parse_timestamp(value: str | None) -> datetime | None:
    """An ISO date or timestamp as an aware UTC datetime; None when absent or malformed."""
    if not value:
        return None
    try:
        return to_utc(datetime.fromisoformat(value))
    except ValueError:
        return None
