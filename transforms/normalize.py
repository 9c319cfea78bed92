"""Normalization: Unicode and whitespace, language, word count, and the folded content hash."""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata

from newsflow.transforms.clean import paragraphs, word_count
from newsflow.transforms.models import Article, Cleaned, Extracted, RejectError

_SPACES = re.compile(r"[^\S\n]+")
# regex substitutions, not str.translate: translate looks every character up in its table
# (~0.7 ms for a 6k-character article); a character class scans in C and stops only at a hit
_QUOTES = re.compile("[" + re.escape("‘’‚‛′`´“”„‟″«»‹›\"") + "]")
_DASHES = re.compile("[" + re.escape("‐‑‒–—―−⸺⸻") + "]")
# Enough text for a stable guess; keeps long articles cheap. bench/eval_langdetect.py: on both dev
# sets, the samples and the seeds (130 articles, 51 longer than 5,000 characters) the first 2,000
# give the same language and the same stored probability as the first 5,000, at ~4 vs ~6 ms CPU.
_LANGDETECT_CHARS = 2000
_LANGDETECT_LOCK = threading.Lock()
_DETECTOR = None  # transforms.language.Detector, built on first use


def normalize_text(text: str) -> str:
    """NFC, one space between words, paragraphs separated by one blank line."""
    text = unicodedata.normalize("NFC", text).replace("\u00ad", "").replace("\u200b", "")
    return "\n\n".join(_SPACES.sub(" ", p).strip() for p in paragraphs(text))


def fold(text: str) -> str:
    """The form hashed for exact dedup: case, quotes, dashes and whitespace folded."""
    text = _DASHES.sub("-", _QUOTES.sub("'", unicodedata.normalize("NFKC", text).casefold()))
    return " ".join(text.replace("…", "...").split())


def content_hash(text: str) -> str:
    return hashlib.sha256(fold(text).encode("utf-8")).hexdigest()


def load_language_profiles() -> None:
    """Read langdetect's profiles now (detect_language would on its first call)."""
    with _LANGDETECT_LOCK:
        _detector()


def _detector():
    """The process's language detector on langdetect's profiles (read on first use); hold the lock."""
    global _DETECTOR
    if _DETECTOR is None:
        from langdetect import detector_factory

        from newsflow.transforms.language import Detector

        detector_factory.init_factory()
        _DETECTOR = Detector(detector_factory._factory)
    return _DETECTOR


def detect_language(text: str) -> tuple[str | None, float | None]:
    """Most likely language code and its probability (deterministic: seeded langdetect)."""
    from langdetect.lang_detect_exception import LangDetectException

    # langdetect loads its profiles on first use into a module global, and two threads doing that
    # at once corrupt them (a batch run in threads then called English text Polish); the detector's
    # random generator and caches are shared too: serialize.
    with _LANGDETECT_LOCK:
        try:
            best = _detector().probabilities(text[:_LANGDETECT_CHARS], seed=0)[0]
        except (LangDetectException, IndexError):
            return None, None
    return best.lang, round(best.prob, 4)


def normalize(extracted: Extracted, cleaned: Cleaned, min_words: int = 25) -> Article:
    """Build the Article from extraction metadata and cleaned text; too little text is rejected."""
    text = normalize_text(cleaned.text)
    words = word_count(text)
    if words < min_words:
        raise RejectError("normalize", "too_short",
                       f"{words} words after cleaning; the minimum is {min_words} (setting min_words)")
    language, prob = detect_language(text)
    title = normalize_text(extracted.title).replace("\n\n", " ") if extracted.title else None
    return Article(
        text=text,
        title=title or None,
        authors=[normalize_text(a) for a in extracted.authors],
        published_at=extracted.published_at,
        language=language,
        language_prob=prob,
        word_count=words,
        content_hash=content_hash(text),
        canonical_url=extracted.canonical_url,
        site_name=extracted.site_name,
        description=extracted.description,
        repairs=list(extracted.repairs),
    )
