"""Full-text search terms, as DuckDB's fts extension makes them with its defaults.

DuckDB's `PRAGMA create_fts_index` (fts 1.5.5: stemmer 'porter', stopwords 'english', strip_accents,
lower, and its default `ignore` pattern) turns a text into terms like this; warehouse/search.py
stores them at load time and scores queries with the extension's BM25 (docs/search.md says why we do
not load the extension itself, and how the two were compared).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache

# fts's default `ignore`: digits and ASCII punctuation become spaces; other characters stay in words.
_IGNORE = re.compile(r"[0-9!@#$%^&*()_+={}\[\]:;<>,.?~\\/|'\"`-]+")
_SPLIT = re.compile(r"[\t\n\f\r ]+")  # RE2's \s, which fts splits on: ASCII whitespace only

# fts's 'english' stopword list (571 words, SMART), as the extension's stopwords table holds it.
STOPWORDS = frozenset((
    "a", "a's", "able", "about", "above", "according", "accordingly", "across", "actually", "after",
    "afterwards", "again", "against", "ain't", "all", "allow", "allows", "almost", "alone", "along",
    "already", "also", "although", "always", "am", "among", "amongst", "an", "and", "another",
    "any", "anybody", "anyhow", "anyone", "anything", "anyway", "anyways", "anywhere", "apart",
    "appear", "appreciate", "appropriate", "are", "aren't", "around", "as", "aside", "ask",
    "asking", "associated", "at", "available", "away", "awfully", "b", "be", "became", "because",
    "become", "becomes", "becoming", "been", "before", "beforehand", "behind", "being", "believe",
    "below", "beside", "besides", "best", "better", "between", "beyond", "both", "brief", "but",
    "by", "c", "c'mon", "c's", "came", "can", "can't", "cannot", "cant", "cause", "causes",
    "certain", "certainly", "changes", "clearly", "co", "com", "come", "comes", "concerning",
    "consequently", "consider", "considering", "contain", "containing", "contains", "corresponding",
    "could", "couldn't", "course", "currently", "d", "definitely", "described", "despite", "did",
    "didn't", "different", "do", "does", "doesn't", "doing", "don't", "done", "down", "downwards",
    "during", "e", "each", "edu", "eg", "eight", "either", "else", "elsewhere", "enough",
    "entirely", "especially", "et", "etc", "even", "ever", "every", "everybody", "everyone",
    "everything", "everywhere", "ex", "exactly", "example", "except", "f", "far", "few", "fifth",
    "first", "five", "followed", "following", "follows", "for", "former", "formerly", "forth",
    "four", "from", "further", "furthermore", "g", "get", "gets", "getting", "given", "gives", "go",
    "goes", "going", "gone", "got", "gotten", "greetings", "h", "had", "hadn't", "happens",
    "hardly", "has", "hasn't", "have", "haven't", "having", "he", "he's", "hello", "help", "hence",
    "her", "here", "here's", "hereafter", "hereby", "herein", "hereupon", "hers", "herself", "hi",
    "him", "himself", "his", "hither", "hopefully", "how", "howbeit", "however", "i", "i'd", "i'll",
    "i'm", "i've", "ie", "if", "ignored", "immediate", "in", "inasmuch", "inc", "indeed",
    "indicate", "indicated", "indicates", "inner", "insofar", "instead", "into", "inward", "is",
    "isn't", "it", "it'd", "it'll", "it's", "its", "itself", "j", "just", "k", "keep", "keeps",
    "kept", "know", "knows", "known", "l", "last", "lately", "later", "latter", "latterly", "least",
    "less", "lest", "let", "let's", "like", "liked", "likely", "little", "look", "looking", "looks",
    "ltd", "m", "mainly", "many", "may", "maybe", "me", "mean", "meanwhile", "merely", "might",
    "more", "moreover", "most", "mostly", "much", "must", "my", "myself", "n", "name", "namely",
    "nd", "near", "nearly", "necessary", "need", "needs", "neither", "never", "nevertheless", "new",
    "next", "nine", "no", "nobody", "non", "none", "noone", "nor", "normally", "not", "nothing",
    "novel", "now", "nowhere", "o", "obviously", "of", "off", "often", "oh", "ok", "okay", "old",
    "on", "once", "one", "ones", "only", "onto", "or", "other", "others", "otherwise", "ought",
    "our", "ours", "ourselves", "out", "outside", "over", "overall", "own", "p", "particular",
    "particularly", "per", "perhaps", "placed", "please", "plus", "possible", "presumably",
    "probably", "provides", "q", "que", "quite", "qv", "r", "rather", "rd", "re", "really",
    "reasonably", "regarding", "regardless", "regards", "relatively", "respectively", "right", "s",
    "said", "same", "saw", "say", "saying", "says", "second", "secondly", "see", "seeing", "seem",
    "seemed", "seeming", "seems", "seen", "self", "selves", "sensible", "sent", "serious",
    "seriously", "seven", "several", "shall", "she", "should", "shouldn't", "since", "six", "so",
    "some", "somebody", "somehow", "someone", "something", "sometime", "sometimes", "somewhat",
    "somewhere", "soon", "sorry", "specified", "specify", "specifying", "still", "sub", "such",
    "sup", "sure", "t", "t's", "take", "taken", "tell", "tends", "th", "than", "thank", "thanks",
    "thanx", "that", "that's", "thats", "the", "their", "theirs", "them", "themselves", "then",
    "thence", "there", "there's", "thereafter", "thereby", "therefore", "therein", "theres",
    "thereupon", "these", "they", "they'd", "they'll", "they're", "they've", "think", "third",
    "this", "thorough", "thoroughly", "those", "though", "three", "through", "throughout", "thru",
    "thus", "to", "together", "too", "took", "toward", "towards", "tried", "tries", "truly", "try",
    "trying", "twice", "two", "u", "un", "under", "unfortunately", "unless", "unlikely", "until",
    "unto", "up", "upon", "us", "use", "used", "useful", "uses", "using", "usually", "uucp", "v",
    "value", "various", "very", "via", "viz", "vs", "w", "want", "wants", "was", "wasn't", "way",
    "we", "we'd", "we'll", "we're", "we've", "welcome", "well", "went", "were", "weren't", "what",
    "what's", "whatever", "when", "whence", "whenever", "where", "where's", "whereafter", "whereas",
    "whereby", "wherein", "whereupon", "wherever", "whether", "which", "while", "whither", "who",
    "who's", "whoever", "whole", "whom", "whose", "why", "will", "willing", "wish", "with",
    "within", "without", "won't", "wonder", "would", "would", "wouldn't", "x", "y", "yes", "yet",
    "you", "you'd", "you'll", "you're", "you've", "your", "yours", "yourself", "yourselves", "z",
    "zero",
))


# No character below U+0300 is a nonspacing mark (Mn), so only runs of characters from U+0300 up
# are looked at one by one: in Latin-script text that is the few accents, not every character.
_MAYBE_MARKS = re.compile("[^\x00-\u02ff]+")


def _drop_marks(run: re.Match) -> str:
    return "".join(c for c in run.group() if unicodedata.category(c) != "Mn")


def strip_accents(text: str) -> str:
    """NFD, nonspacing marks (Mn) removed, NFC."""
    if text.isascii():  # nothing to strip, and ASCII is its own NFD and NFC
        return text
    return unicodedata.normalize("NFC", _MAYBE_MARKS.sub(_drop_marks, unicodedata.normalize("NFD", text)))


def tokens(text: str | None) -> list[str]:
    """fts's tokenize(): accents stripped, lower case, split at digits, punctuation and spaces."""
    if not text:
        return []
    return [t for t in _SPLIT.split(_IGNORE.sub(" ", strip_accents(text).lower())) if t]


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return _stemmer().stemWord(word)


@lru_cache(maxsize=1)
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("porter")


def terms(text: str | None) -> Counter:
    """Stemmed terms of a field with their counts, stopwords left out (what fts indexes)."""
    # Per distinct word, not per occurrence, into a plain dict (a Counter's += is a Python call per
    # new key); the terms keep the order of their first occurrence.
    counts: dict[str, int] = {}
    for word, n in Counter(tokens(text)).items():
        if word not in STOPWORDS:
            term = stem(word)
            counts[term] = counts.get(term, 0) + n
    return Counter(counts)


def query_terms(query: str) -> list[str]:
    """A query's distinct terms, as fts's match_bm25 stems them (stopwords never match: not indexed)."""
    return sorted({stem(t) for t in tokens(query)})


def required_terms(query: str) -> list[str]:
    """The query terms an article must hold to match every term (`search --all`): a stopword's
    are not required, as the index holds none for it (its stem may still score, as in fts)."""
    return sorted({stem(t) for t in tokens(query) if t not in STOPWORDS})
