"""langdetect's detector, run the same way with less CPU per call.

langdetect (a port of Cybozu's Java detector) spends most of a call in Python loops: its n-gram
buffer takes one character at a time, and every sampled n-gram multiplies 55 probabilities in a
loop. This runs the same algorithm on the same profiles, seed and random draws and returns the
same probabilities to the last bit (tests/test_language.py checks it against langdetect's own
`Detector`), at under a third of the CPU:
- a word's n-grams depend only on the word (the buffer is reset at each space), so they are
  computed once per distinct word and process (cached);
- the probabilities are a numpy vector: its elementwise products and quotients are the same IEEE
  operations as langdetect's loop, and the sum is Python's `sum` over the same floats in the
  same order.
Not thread-safe (one random generator, caches): the caller serializes (transforms/normalize.py).
"""

from __future__ import annotations

import random
import re
from functools import lru_cache
from itertools import chain

import numpy as np

_SPACE_RUNS = re.compile(" {2,}")
_WORDS = re.compile("[^ ]+ ?")
_LATIN = re.compile("[A-z]")  # langdetect's test: 'A' <= ch <= 'z'
_NOT_LATIN_BYTES = bytes(b for b in range(128) if not ord("A") <= b <= ord("z"))
# langdetect compares unicode_block(ch) (an int) with a block's name (a str), so every character
# from U+0300 counts as non-Latin, Latin Extended Additional included: kept as it does.
_NON_LATIN = re.compile("[\u0300-\U0010ffff]")


class _Normalized(dict):
    """str.translate table: each character as langdetect's NGram.normalize maps it, filled as met."""

    def __init__(self, normalize):
        super().__init__()
        self._normalize = normalize

    def __missing__(self, codepoint: int) -> str:
        mapped = self[codepoint] = self._normalize(chr(codepoint))
        return mapped


class Detector:
    """`probabilities(text, seed)` = langdetect `Detector.append(text)` + `get_probabilities()`."""

    def __init__(self, factory):
        """`factory`: langdetect's DetectorFactory with its profiles loaded."""
        from langdetect.detector import Detector as Reference
        from langdetect.utils.ngram import NGram

        self._ref = Reference
        self._normalize_vi = NGram.normalize_vi
        self.langlist = list(factory.langlist)
        self._word_map = factory.word_lang_prob_map
        self._table = _Normalized(NGram.normalize)
        self._random = random.Random()
        self.word_ngrams = lru_cache(maxsize=1 << 16)(self._word_ngrams)
        self._row = lru_cache(maxsize=1 << 14)(lambda gram: np.array(self._word_map[gram], dtype=np.float64))

    def _word_ngrams(self, word: str) -> tuple[str, ...]:
        """The n-grams langdetect's buffer yields for `word` (normalized; with its trailing space if
        one follows), from the buffer's reset state."""
        known = self._word_map
        grams, capital, out = " ", False, []
        for ch in word:  # NGram.add_char, then _extract_ngrams' lookups
            last = grams[-1]
            if last == " ":
                grams, capital = " ", False
                if ch == " ":
                    continue
            elif len(grams) >= 3:
                grams = grams[1:]
            grams += ch
            if ch.isupper():
                if last.isupper():
                    capital = True
            else:
                capital = False
            if capital:
                continue
            for n in (1, 2, 3):
                if len(grams) < n:
                    break
                gram = grams[-n:]
                if gram != " " and gram in known:
                    out.append(gram)
        return tuple(out)

    def ngrams(self, text: str) -> list[str]:
        """langdetect's `append` and `_extract_ngrams` (with `cleaning_text`) for `text`."""
        ref = self._ref
        text = self._normalize_vi(ref.MAIL_RE.sub(" ", ref.URL_RE.sub(" ", text)))
        text = _SPACE_RUNS.sub(" ", text[:10000])  # max_text_length, then `append`'s space collapse
        ascii_ = text.encode("ascii", "ignore")
        latin = len(ascii_.translate(None, _NOT_LATIN_BYTES))
        # langdetect's cleaning_text; non-Latin counted only when the non-ASCII characters could outnumber
        if latin * 2 < len(text) - len(ascii_) and latin * 2 < len(_NON_LATIN.findall(text)):
            text = _LATIN.sub("", text)
        # each word with the space after it, if one follows (more spaces in a row yield nothing)
        return list(chain.from_iterable(map(self.word_ngrams, _WORDS.findall(text.translate(self._table)))))

    def probabilities(self, text: str, seed) -> list:
        """langdetect's Language list (probability > 0.1, most likely first) for `text`."""
        from langdetect.lang_detect_exception import ErrorCode, LangDetectException
        from langdetect.language import Language

        ref = self._ref
        ngrams = self.ngrams(text)
        if not ngrams:
            raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")
        size, trials = len(self.langlist), 7
        langprob = np.zeros(size)
        rnd, row = self._random, self._row
        rnd.seed(seed)
        for _ in range(trials):
            prob = np.full(size, 1.0 / size)
            alpha = ref.ALPHA_DEFAULT + rnd.gauss(0.0, 1.0) * ref.ALPHA_WIDTH
            weight = alpha / ref.BASE_FREQ
            i = 0
            while True:
                prob *= weight + row(rnd.choice(ngrams))
                if i % 5 == 0:
                    total = sum(prob.tolist())  # Python's sum, in langdetect's order
                    if total == 0.0:
                        raise ZeroDivisionError("float division by zero")
                    prob /= total
                    if prob.max() > ref.CONV_THRESHOLD or i >= ref.ITERATION_LIMIT:
                        break
                i += 1
            langprob += prob / trials
        result = [Language(lang, p) for lang, p in zip(self.langlist, langprob.tolist()) if p > ref.PROB_THRESHOLD]
        result.sort(reverse=True)
        return result
