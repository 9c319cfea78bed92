"""Pure transforms: decoding, the plain-text reader, normalization, exact dedup, discovery."""

from __future__ import annotations

import codecs
import json
import subprocess
import sys
from datetime import datetime, timezone

import pytest

from newsflow.acquire.files import discover, kind_of
from newsflow.transforms.clean import word_count
from newsflow.transforms.decode import declared_charset, decode
from newsflow.transforms.dedup import exact_duplicates
from newsflow.transforms.extract import drop_leading_title, extract_html, parse_timestamp
from newsflow.transforms.models import Cleaned, Extracted, RejectError
from newsflow.transforms.normalize import content_hash, detect_language, fold, normalize, normalize_text
from newsflow.transforms.textreader import parse_dateline, read_text

from conftest import REPO, write

PARA = ("Residents of the lakeside town voted on Sunday to keep the old stone bridge open to cyclists "
        "while a new crossing is built a short distance upstream, ending a year of debate.")


# --- decode -------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,codec", [
    ("Café au lait, naïve résumé — “quoted” déjà vu.", "cp1252"),
    ("Café au lait, naïve résumé — “quoted” déjà vu.", "utf-8"),
    ("中文新闻报道，今天天气很好。我们去公园散步，然后回家吃饭。" * 3, "gb18030"),
    ("日本のニュース記事です。今日は晴れです。明日は雨が降るでしょう。" * 3, "shift_jis"),
])
def test_decode_recovers_common_encodings(text, codec):
    assert decode(text.encode(codec)) == text


def test_decode_honours_bom_and_declared_charset():
    assert decode(codecs.BOM_UTF8 + "Zoë".encode()) == "Zoë"
    assert decode("Ünïcode".encode("utf-16")) == "Ünïcode"
    page = '<html><head><meta charset="windows-1252"></head><body>caf\xe9</body></html>'.encode("cp1252")
    assert declared_charset(page) == "windows-1252"
    assert "café" in decode(page, declared_charset(page))


@pytest.mark.parametrize("body,reason", [
    (b"\x00\x01\x02binary\x00", "binary"),
    (bytes(range(0x80, 0x100)) * 8, "undecodable"),
    ("Almost done, caf\u00e9".encode()[:-1], "truncated"),
])
def test_decode_refuses_binary_undecodable_and_truncated(body, reason):
    with pytest.raises(RejectError) as err:
        decode(body)
    assert (err.value.stage, err.value.reason) == ("decode", reason)


# --- plain-text reader ------------------------------------------------------------------------------
def test_text_reader_takes_headline_byline_and_dateline():
    text = f"Town keeps old bridge open to cyclists\nBy Mara Quint and Tobias Rehn\nMarch 3, 2025, 4:15 p.m. ET\n\n{PARA}\n{PARA}"
    ex = read_text(text)
    assert ex.title == "Town keeps old bridge open to cyclists"
    assert ex.authors == ["Mara Quint", "Tobias Rehn"]
    assert ex.published_at == datetime(2025, 3, 3, 21, 15, tzinfo=timezone.utc)
    assert ex.text.splitlines() == [PARA, PARA]


def test_text_reader_leaves_a_body_first_line_in_the_body():
    ex = read_text(f"{PARA}\n{PARA}")
    assert ex.title is None and ex.text.count(PARA) == 2


def test_text_reader_skips_boilerplate_above_the_headline():
    ex = read_text(f"Share this article\nBridge stays open\n{PARA}")
    assert ex.title == "Bridge stays open"
    assert ex.text.splitlines()[0] == "Share this article"  # left for the cleaner to remove and record


@pytest.mark.parametrize("line,expected", [
    ("Published: 2024-11-05", datetime(2024, 11, 5, tzinfo=timezone.utc)),
    ("Updated 12 January 2025 at 09:00 GMT", datetime(2025, 1, 12, 9, tzinfo=timezone.utc)),
    ("Jul 29, 2025, 9:50 a.m.", datetime(2025, 7, 29, 9, 50, tzinfo=timezone.utc)),
    ("The vote on May 4 was close, officials said in 2024 after a long count of the ballots.", None),
    ("Bridge stays open", None),
])
def test_dateline_parsing(line, expected):
    assert parse_dateline(line) == expected


# --- extraction helpers -----------------------------------------------------------------------------
def test_html_extraction_reads_metadata_and_drops_repeated_headline():
    html = (f"<html><head><title>Bridge</title><meta property='article:published_time' content='2025-02-01T10:00:00+02:00'>"
            f"<meta name='author' content='Mara Quint; Tobias Rehn'><meta property='og:site_name' content='Lake Gazette'>"
            f"<link rel='canonical' href='https://lake.example/bridge'></head><body><article><h1>Bridge stays open</h1>"
            f"<p>{PARA}</p><p>{PARA} Again.</p></article></body></html>")
    ex = extract_html(html)
    assert ex.published_at == datetime(2025, 2, 1, 8, tzinfo=timezone.utc)
    assert ex.authors == ["Mara Quint", "Tobias Rehn"]
    assert ex.site_name == "Lake Gazette" and ex.canonical_url == "https://lake.example/bridge"
    assert ex.text.startswith("Residents")


def test_drop_leading_title_only_when_it_repeats():
    assert drop_leading_title("Bridge Stays Open!\nBody", "Bridge stays open") == "Body"
    assert drop_leading_title("Other line\nBody", "Bridge stays open") == "Other line\nBody"
    assert parse_timestamp("2025-02-01") == datetime(2025, 2, 1, tzinfo=timezone.utc)
    assert parse_timestamp("yesterday") is None


# --- normalization ------------------------------------------------------------------------------------
def test_fold_makes_typographic_variants_hash_alike():
    a = "“It’s done” — she said.\n\nNext  paragraph."
    b = '"It\'s done" - she said. Next paragraph.'
    assert fold(a) == fold(b) and content_hash(a) == content_hash(b)
    assert content_hash(a) != content_hash(a.replace("done", "over"))


def test_normalize_text_is_nfc_with_clean_whitespace():
    decomposed = "Cafe\u0301  au\tlait\u00ad\n\n\n  second   para "
    assert normalize_text(decomposed) == "Café au lait\n\nsecond para"


def test_language_detection_is_deterministic():
    german = "Die Stadtverwaltung hat am Montag beschlossen, die alte Brücke für Radfahrer offen zu halten."
    assert detect_language(german)[0] == "de"
    assert {detect_language(PARA) for _ in range(5)} == {detect_language(PARA)}


def test_normalize_builds_the_article_or_rejects_short_text():
    ex = Extracted(text=PARA, title="  Bridge\n stays open ", authors=["Mara  Quint"])
    art = normalize(ex, Cleaned(PARA + "\n" + PARA), min_words=10)
    assert art.title == "Bridge stays open" and art.authors == ["Mara Quint"]
    assert art.word_count == 2 * word_count(PARA) and art.language == "en" and art.language_prob > 0.9
    assert art.article_id == art.content_hash[:16]
    with pytest.raises(RejectError) as err:
        normalize(ex, Cleaned("Too short."), min_words=10)
    assert err.value.reason == "too_short"


# --- exact dedup and discovery ------------------------------------------------------------------------
def test_exact_duplicates_within_batch_and_against_known():
    assert exact_duplicates(["a", "b", "a", "c"], known={"c"}) == [False, False, True, True]


def test_discover_recurses_sorts_and_skips_other_files(tmp_path):
    for name in ("b/2.htm", "a/1.txt.gz", "a/x.html", "a/.hidden.txt", "a/readme.md", "c.HTML"):
        write(tmp_path / name, "x")
    items, skipped = discover([tmp_path, tmp_path / "c.HTML"])
    assert [i.origin[len(str(tmp_path)) + 1:] for i in items] == ["a/1.txt.gz", "a/x.html", "b/2.htm", "c.HTML"]
    assert [i.kind for i in items] == ["text", "html", "html", "html"]
    assert skipped == {"hidden": 1, "other_type": 1}
    assert kind_of(tmp_path / "report.pdf") == "unknown"


def test_declared_publication_time_keeps_its_time_of_day():
    html = (f"<html><head><meta property='article:published_time' content='2025-05-15T20:10:00-04:00'>"
            f"<script type='application/ld+json'>{{\"datePublished\": \"2025-05-14\"}}</script></head>"
            f"<body><article><p>Updated May 17, 2025.</p><p>{PARA}</p><p>{PARA}</p></article></body></html>")
    assert extract_html(html).published_at == datetime(2025, 5, 16, 0, 10, tzinfo=timezone.utc)
    assert extract_html(html.replace("article:published_time", "og:title")).published_at.hour == 0


@pytest.mark.slow  # a subprocess that imports the whole stack
def test_language_detection_is_the_same_from_many_threads_at_first_use():
    # langdetect loads its profiles lazily into a global; a fresh process makes the race visible.
    code = """
import json, sys
from concurrent.futures import ThreadPoolExecutor
from newsflow.transforms.normalize import detect_language
texts = json.loads(sys.stdin.read())
with ThreadPoolExecutor(8) as pool:
    threaded = list(pool.map(detect_language, texts))
print(json.dumps([threaded, [detect_language(t) for t in texts]]))
"""
    texts = [PARA * 3, "Die Stadtverwaltung hat am Montag beschlossen, die alte Brücke offen zu halten. " * 3,
             "Le conseil municipal a décidé lundi de garder le vieux pont ouvert aux cyclistes. " * 3] * 4
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", code], input=json.dumps(texts), capture_output=True,
                             text=True, check=True, cwd=REPO).stdout
        threaded, sequential = json.loads(out)
        assert threaded == sequential
        assert [lang for lang, _ in sequential[:3]] == ["en", "de", "fr"]
