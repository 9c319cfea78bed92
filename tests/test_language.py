"""transforms.language gives langdetect's own probabilities, to the last bit, on every kind of text."""

from __future__ import annotations

import gzip
import random

import pytest

from newsflow.transforms.language import Detector
from newsflow.transforms.normalize import detect_language

from conftest import REPO, SEEDS

EDGE_CASES = [
    "Residents of the lakeside town voted on Sunday to keep the old stone bridge open to cyclists.",
    "Привет, как дела? Это текст на русском языке, with a few English words mixed in.",  # Latin dropped
    "これは日本語のテキストです。カタカナ、ひらがな、漢字。",
    "Tiếng Việt có dấu: Hà Nội là thủ đô.",
    "ạả ấầ ẩẫ ậắ ằẳ ẵặ ẹẻ ẽế ềể ễệ in on",  # langdetect counts Latin Extended Additional as non-Latin
    "Tie\u0302\u0301ng Vie\u0323\u0302t vie\u0302\u0301t ba\u0306\u0300ng da\u0302\u0301u to\u0302\u0309 ho\u031b\u0323p",
    "ALL CAPS HEADLINE WORDS AND NATO UNESCO ABC",
    "Şi ţară, şi ș şi ț: române", "مرحبا بكم في هذا النص العربي", "Ελληνικό κείμενο εδώ", "中文文本，汉字测试。",
    "한국어 텍스트입니다", "see https://example.com/a?b=c or write to x.y@example.com   now   ",
    "Ǆ ǅ ǆ titlecase, ß and ẞ, Ⅻ roman, ﬁ ligature", "\ud800 a lone surrogate in the text",
    "12345 678", "", "   ", "!!!", "a",
]


def _texts() -> list[str]:
    texts = list(EDGE_CASES)
    for path in sorted((REPO / "newsflow" / "samples").iterdir()):  # multilingual pages, markup and all
        body = path.read_bytes()
        if path.suffix == ".gz":
            try:
                body = gzip.decompress(body)
            except (EOFError, OSError):  # the samples hold a truncated .gz on purpose: its bytes as they are
                pass
        texts.append(body.decode("utf-8", "replace"))
    if SEEDS.is_dir():
        texts += [p.read_text("utf-8") for p in sorted(SEEDS.iterdir())]
    rnd = random.Random(7)
    joined = "\n".join(texts)
    # slices anywhere (mid-word, mid-script) of every length, for the word cache's edges
    texts += [joined[start:start + rnd.randint(1, 2500)] for start in rnd.sample(range(len(joined)), 150)]
    return texts


def _reference(factory, text: str):
    detector = factory.create()
    detector.append(text)
    try:
        return [(lang.lang, lang.prob) for lang in detector.get_probabilities()]
    except Exception as exc:  # noqa: BLE001 (the same exception, whatever it is)
        return type(exc).__name__


def test_the_same_probabilities_as_langdetect():
    from langdetect import DetectorFactory, detector_factory

    detector_factory.init_factory()
    factory = detector_factory._factory
    fast = Detector(factory)
    saved, DetectorFactory.seed = DetectorFactory.seed, 0
    try:
        for text in _texts() * 2:  # twice: the second time from the word cache
            try:
                got = [(lang.lang, lang.prob) for lang in fast.probabilities(text, seed=0)]
            except Exception as exc:  # noqa: BLE001
                got = type(exc).__name__
            assert got == _reference(factory, text), text[:80]
    finally:
        DetectorFactory.seed = saved


@pytest.mark.parametrize("text,language", [
    ("Die Stadtverwaltung hat am Montag beschlossen, die alte Brücke offen zu halten.", "de"),
    ("Le conseil municipal a décidé lundi de garder le vieux pont ouvert aux cyclistes.", "fr"),
    ("1234 5678", None),
])
def test_detect_language_uses_it(text, language):
    assert detect_language(text)[0] == language
