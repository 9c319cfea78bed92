"""The commit's per-article index work made cheaper: the same terms and vectors as their definitions."""

from __future__ import annotations

import math
import unicodedata
from collections import Counter

from newsflow.transforms import fulltext, stories

from conftest import FERRY, GERMAN, ORCHARD

SAMPLES = ["plain ascii", "Café résumé naïve Ñandú Ångström", "Ελληνικά με τόνους ά έ ή", "Ёжик и мир",
           "日本語のテキスト", "a\u0301b\u0327c e\u0308\u0301 x\u20dd", "ﬁ ＡＢＣ İstanbul ǅ ß", "‘quoted’ — dash",
           "", *FERRY, *ORCHARD, *GERMAN, " ".join(FERRY + GERMAN)]


def test_strip_accents_is_nfd_without_nonspacing_marks_then_nfc():
    def reference(text):
        decomposed = unicodedata.normalize("NFD", text)
        return unicodedata.normalize("NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn"))

    for text in SAMPLES:
        assert fulltext.strip_accents(text) == reference(text)


def test_terms_are_the_stems_of_the_tokens_counted_in_order_of_first_occurrence():
    for text in SAMPLES:
        reference = Counter(fulltext.stem(t) for t in fulltext.tokens(text) if t not in fulltext.STOPWORDS)
        assert list(fulltext.terms(text).items()) == list(reference.items())


def test_vector_keeps_the_top_terms_by_weight_then_term_even_when_weights_tie_at_the_cut():
    def reference(counts, df, n_docs, top=stories.ARTICLE_TERMS):
        weights = {t: (1.0 + math.log(c)) * stories.idf(df.get(t, 0), n_docs) for t, c in counts.items()}
        kept = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
        norm = math.sqrt(sum(w * w for _, w in kept)) or 1.0
        return {t: round(w / norm, 6) for t, w in kept}

    ties = Counter({f"term{i:03d}": 1 for i in range(100)})  # 100 equal weights, 40 kept: by term
    ties.update({"strong": 5, "stronger": 9})
    texts = [stories.term_counts(" ".join(FERRY), "Electric ferry"), stories.term_counts(" ".join(ORCHARD))]
    df = Counter({"ferry": 3, "harbour": 1, "term005": 7, "term050": 2})
    for counts in (ties, *texts, Counter({"one": 1}), Counter()):
        for n_docs in (0, 5, 5000):
            assert list(stories.vector(counts, df, n_docs).items()) == list(reference(counts, df, n_docs).items())
    assert len(stories.vector(ties, df, 10)) == stories.ARTICLE_TERMS

