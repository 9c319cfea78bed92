"""Plain-text articles: headline, byline and dateline at the top, paragraphs one per line."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from dateutil import parser as dateparser
from dateutil.tz import gettz

from newsflow.transforms.clean import is_teaser, match_rule, paragraphs, word_count
from newsflow.transforms.models import Extracted

_BULLET = re.compile(r"^(?:[•●▪◦‣∙·*]|-(?=\s))\s*")
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE_HINT = re.compile(rf"\b{_MONTH}\s+\d{{1,2}}\b|\b\d{{1,2}}\s+{_MONTH}\b|\b\d{{4}}-\d{{2}}-\d{{2}}\b|\b\d{{1,2}}/\d{{1,2}}/\d{{4}}\b", re.I)
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_DATE_PREFIX = re.compile(r"^(?:published|posted|updated|last updated|first published|date|on"
                          r"|veröffentlicht|aktualisiert|stand|publié|mis à jour|publicado|actualizado|atualizado|pubblicato|aggiornato)"
                          r"(?: (?:le|el|em|il|am|a|o))?\b\s*:?\s*", re.I)
# Month names in German, French, Spanish, Portuguese and Italian, read as English ones by dateutil.
_MONTHS = {
    "januar": "january", "jänner": "january", "janvier": "january", "enero": "january", "janeiro": "january", "gennaio": "january",
    "februar": "february", "février": "february", "fevrier": "february", "febrero": "february", "fevereiro": "february", "febbraio": "february",
    "märz": "march", "mars": "march", "marzo": "march", "março": "march",
    "avril": "april", "abril": "april", "aprile": "april",
    "mai": "may", "mayo": "may", "maio": "may", "maggio": "may",
    "juni": "june", "juin": "june", "junio": "june", "junho": "june", "giugno": "june",
    "juli": "july", "juillet": "july", "julio": "july", "julho": "july", "luglio": "july",
    "août": "august", "aout": "august", "agosto": "august",
    "septembre": "september", "septiembre": "september", "setiembre": "september", "setembro": "september", "settembre": "september",
    "oktober": "october", "octobre": "october", "octubre": "october", "outubro": "october", "ottobre": "october",
    "novembre": "november", "noviembre": "november", "novembro": "november",
    "dezember": "december", "décembre": "december", "decembre": "december", "diciembre": "december", "dezembro": "december", "dicembre": "december",
}
_MONTH_WORD = re.compile(r"\b(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b", re.I)
_FILLER = re.compile(r"\b(?:de|del|do|da)\b|(?<=\d)\.(?=\s)", re.I)  # "12 de noviembre de 2025", "14. Oktober 2025"


def _english_months(text: str) -> str:
    """`text` with foreign month names turned into English ones (and Spanish/Portuguese "de" dropped)."""
    if not _MONTH_WORD.search(text):
        return text
    return _FILLER.sub(" ", _MONTH_WORD.sub(lambda m: _MONTHS[m.group(1).lower()], text))
_BYLINE = re.compile(r"^(?:[Bb]y|BY|[Vv]on|[Pp]ar|[Pp]or|[Dd]i)\s+([A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){0,3}(?:\s*(?:,|and|&)\s*[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){0,3})*)\s*(?:[|,•·–—-]\s*(.*))?$")
_AUTHOR_SPLIT = re.compile(r"\s*(?:,|\band\b|&)\s*")
# A credit with no person in it ("Harbour Times staff", "By Staff Reporter"); only looked for
# under a headline, since a title-case headline can end in "Staff" too.
_STAFF_CREDIT = re.compile(r"^(?:[Bb]y\s+)?(?:[A-Z][\w'’.&-]*\s+){0,4}[Ss]taff(?:\s+(?:[Ww]riters?|[Rr]eporters?|[Rr]eports?))?$")
_TZ_NAMES = {"ET": "America/New_York", "EST": "America/New_York", "EDT": "America/New_York",
             "PT": "America/Los_Angeles", "PST": "America/Los_Angeles", "PDT": "America/Los_Angeles",
             "CT": "America/Chicago", "BST": "Europe/London", "GMT": "UTC", "UTC": "UTC", "CET": "Europe/Paris"}
_HEAD_LINES = 6  # title, dek, byline and dateline sit in the first few lines


def parse_dateline(line: str) -> datetime | None:
    """A timestamp (UTC) when `line` is nothing but a date, with an optional label and time."""
    candidate = _english_months(_DATE_PREFIX.sub("", line.strip()).strip(" .|"))
    if word_count(candidate) > 12 or not _DATE_HINT.search(candidate) or not _YEAR.search(candidate):
        return None
    candidate = re.sub(r"\b([ap])\.m\.?", r"\1m", candidate, flags=re.I)
    candidate = re.sub(r"\s+at\s+", " ", candidate, flags=re.I)
    try:
        parsed = dateparser.parse(candidate, tzinfos=lambda name, _off: gettz(_TZ_NAMES.get(name, name)))
    except (ValueError, OverflowError):
        return None
    return to_utc(parsed)


def to_utc(value: datetime) -> datetime:
    """Aware UTC datetime; a naive one is taken as UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def looks_like_headline(line: str) -> bool:
    return (is_teaser(line) and not line.endswith((":", ",", ";")) and line[:1].isupper()
            and parse_dateline(line) is None and not _BYLINE.match(line))


def read_text(text: str) -> Extracted:
    """Split a plain-text article into headline, byline, dateline and body paragraphs."""
    paras = [_BULLET.sub("- ", p) for p in paragraphs(text)]
    title, authors, published = None, [], None
    head: set[int] = set()
    total = len(paras)
    for i, para in enumerate(paras[:_HEAD_LINES]):
        if (rule := match_rule(para, i, total)) and rule.name != "byline":
            continue  # boilerplate above the headline is left for the cleaner (a byline is read here)
        if published is None and (stamp := parse_dateline(para)):
            published, _ = stamp, head.add(i)
        elif not authors and (byline := _BYLINE.match(para)):
            authors = [a for a in _AUTHOR_SPLIT.split(byline.group(1)) if a]
            head.add(i)
            if byline.group(2) and (stamp := parse_dateline(byline.group(2))):
                published = published or stamp
        elif title is None and not head and i + 1 < total and looks_like_headline(para):
            title = para
            head.add(i)
        elif title is not None and not authors and _STAFF_CREDIT.match(para):
            head.add(i)
        elif word_count(para) > 20:
            break  # the body has started
    body = "\n".join(p for i, p in enumerate(paras) if i not in head)
    return Extracted(text=body, title=title, authors=authors, published_at=published)
