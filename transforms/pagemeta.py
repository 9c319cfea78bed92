"""The page metadata newsflow stores (title, authors, date, canonical URL, site name, description), at its cost.

trafilatura's `extract_metadata` also looks up categories, tags and a license (~2.6 ms a page, never
stored), and its author fallback copies the whole tree, prunes it with EXSLT-regex XPaths and runs
three more of them (~5.5 ms a page: lxml calls back into Python's `re` for every element).
`page_metadata` does the same steps in the same order on the same tree, without the lookups we drop,
and finds the fallback author in one walk of the tree with the same tests written in Python
(`tests/test_pagemeta.py` pins it to `trafilatura.metadata.extract_author` over the dev-set pages;
`bench/extraction_golden.py` to the stored output). Nothing here changes the tree.
"""

from __future__ import annotations

import re

# The tests of trafilatura.xpaths.AUTHOR_DISCARD_XPATHS and AUTHOR_XPATHS (trafilatura 2.3), which
# look only at an element's tag and attributes; re:test is re.search on the attribute ("" if absent).
_DISCARD_TAGS = frozenset(("a", "div", "section", "span"))
_DISCARD_ID = re.compile(r"^comments|comment-?list|ProductReviews")
_DISCARD_CLASS = re.compile(
    r"^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram|article-(?:share|support)"
    r"|print|category|meta-date|meta-reviewer")
_GONE_TAGS = frozenset(("time", "figure"))
_TAGS_0 = frozenset(("a", "address", "div", "link", "p", "span", "strong"))
_CLASS_0 = re.compile(r"author-?name|AuthorName|authorName")
_TAGS_1 = frozenset(("a", "div", "h3", "h4", "p", "span"))
_ID_1 = re.compile(r"author|zuozhe|bianji|xiaobian")
_CLASS_1 = re.compile(r"author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name")
_ID_2 = re.compile(r"[Aa]uthor")
_CLASS_2 = re.compile(r"[Aa]uthor|screenname|writer|[Bb]yline")


def _discarded(tag: str, get) -> bool:
    if tag in _GONE_TAGS:
        return True
    if tag not in _DISCARD_TAGS:
        return False
    ident, cls = get("id") or "", get("class") or ""
    return (ident == "comments" or cls in ("comments", "title", "date") or bool(_DISCARD_ID.search(ident))
            or bool(_DISCARD_CLASS.search(cls)) or "Figure" in (get("data-component") or ""))


def _author_rank(el, tag: str, get) -> int | None:
    """The first of the three author XPaths that selects `el` (0, 1, 2), or None."""
    ident, cls, itemprop = get("id") or "", get("class") or "", get("itemprop") or ""
    if tag == "author" or tag in _TAGS_0 and (
            get("rel") == "author" or ident == "author" or cls == "author" or itemprop == "author name"
            or any(c.tag == "rel" and c.text_content() == "me" for c in el)
            or get("data-testid") in ("AuthorCard", "AuthorURL") or _CLASS_0.search(cls)):
        return 0
    if tag in _TAGS_1 and (cls in ("byline", "username", "byl", "BBL") or "author" in itemprop
                           or _ID_1.search(ident) or _CLASS_1.search(cls)):
        return 1
    if ("Byline" in (get("data-component") or "") or "author" in itemprop or _ID_2.search(ident)
            or _CLASS_2.search(cls)):
        return 2
    return None


def _texts(el, gone: set, out: list[str]) -> None:
    """`el.itertext()` as it would read once every element in `gone` was deleted with trafilatura's
    delete_element (which appends a deleted element's tail to the text before it)."""
    slot = el.text
    for child in el:
        if child in gone:
            if child.tail:
                slot = (slot or "") + child.tail
            continue
        if slot:
            out.append(slot)
        if isinstance(child.tag, str):
            _texts(child, gone, out)
        slot = child.tail
    if slot:
        out.append(slot)


def fallback_author(tree) -> str | None:
    """What `trafilatura.metadata.extract_author(tree)` returns, without copying or pruning the tree."""
    from trafilatura.metadata import normalize_authors
    from trafilatura.utils import trim

    gone: set = set()
    ranked: tuple[list, list, list] = ([], [], [])
    # document order; an element inside a discarded one is out, as it would be in the pruned copy
    stack: list = []  # (element, discarded) of the open ancestors
    for el in tree.iter():
        tag = el.tag
        if not isinstance(tag, str):
            continue
        parent = el.getparent()
        while stack and stack[-1][0] is not parent:
            stack.pop()
        inside = bool(stack) and stack[-1][1]
        get = el.get
        mine = el is not tree and _discarded(tag, get)  # the discard XPath is .//*: never the root
        if mine:
            gone.add(el)
        stack.append((el, inside or mine))
        if inside or mine:
            continue
        rank = _author_rank(el, tag, get)
        if rank is not None:
            ranked[rank].append(el)
    for candidates in ranked:
        for el in candidates:
            out: list[str] = []
            _texts(el, gone, out)
            content = trim(" ".join(out))
            if content and 2 < len(content) < 120:
                return normalize_authors(None, content)
    return None


def page_metadata(tree, url: str | None, date_params: dict):
    """trafilatura's `extract_metadata(tree, url, date_params)` less categories, tags, license and hostname
    (a trafilatura Document; title, author, url, date, sitename and description are the same values)."""
    from trafilatura.metadata import (
        LOGGER,
        META_URL,
        examine_meta,
        extract_meta_json,
        extract_sitename,
        extract_title,
        extract_url,
        find_date,
    )

    metadata = examine_meta(tree)
    if metadata.author and " " not in metadata.author:
        metadata.author = None
    try:
        metadata = extract_meta_json(tree, metadata)
    except Exception as err:  # as trafilatura does: bugs in its JSON-LD reader
        LOGGER.warning("error in JSON metadata extraction: %s", err)
    if not metadata.title:
        metadata.title = extract_title(tree)
    if not metadata.author:
        metadata.author = fallback_author(tree)
    if not metadata.url:
        metadata.url = extract_url(tree, url)
    metadata.date = find_date(tree, **{**date_params, "url": metadata.url})
    if not metadata.sitename:
        metadata.sitename = extract_sitename(tree)
    if metadata.sitename:
        metadata.sitename = metadata.sitename.lstrip("@")
        if metadata.sitename and "." not in metadata.sitename and not metadata.sitename[0].isupper():
            metadata.sitename = metadata.sitename.title()
    elif metadata.url:
        match = META_URL.match(metadata.url)
        if match:
            metadata.sitename = match[1]
    metadata.clean_and_trim()
    return metadata
