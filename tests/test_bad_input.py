"""Every kind of bad input becomes a Reject with its stage and reason; nothing raises."""

from __future__ import annotations

import gzip

import pytest

from newsflow.acquire.files import discover
from newsflow.flows.batches import process_item
from newsflow.settings import Settings
from newsflow.transforms.models import Processed, Reject

from conftest import html_page, write

BODY = ("The county library service will open two new branches next year, one in the former post "
        "office on Mill Street and one beside the new secondary school, the council said on Monday. ")

CASES = {
    "empty.txt": (b"", "acquire", "empty"),
    "blank.html": (b"  \n\t\n", "acquire", "empty"),
    "photo.txt": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "decode", "binary"),
    "noise.txt": (bytes(range(0x80, 0x100)) * 16, "decode", "undecodable"),
    "cut-utf8.txt": ((BODY * 3 + "caf\u00e9").encode("utf-8")[:-1], "decode", "truncated"),
    "cut.html": (html_page("Library branches", [BODY * 2]).encode()[:-200], "extract", "truncated"),
    "cut.txt.gz": (gzip.compress((BODY * 5).encode())[:-12], "acquire", "truncated"),
    "notgzip.html.gz": (b"this was never gzip data, just a misnamed file", "acquire", "corrupt"),
    "app-shell.html": (b"<html><head><script>window.boot()</script></head><body><div id='app'></div></body></html>",
                       "extract", "no_article"),
    # the structural stage drops the <nav>, so nothing is left for trafilatura: no article at all
    "nav-only.html": (b"<html><body><nav><a href='/'>Home</a> <a href='/a'>About</a></nav></body></html>",
                      "extract", "no_article"),
    "brief.txt": (b"Library to open.\nTwo branches next year, the council said.\n", "normalize", "too_short"),
    "report.pdf": (b"%PDF-1.4 not an article", "acquire", "unsupported_type"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_rejected_with_stage_and_reason(tmp_path, name):
    content, stage, reason = CASES[name]
    path = write(tmp_path / name, content)
    (item,), _ = discover([path])

    outcome = process_item(item, Settings(db=tmp_path / "unused.duckdb"))

    assert isinstance(outcome, Reject), f"{name} was not rejected"
    assert (outcome.stage, outcome.reason) == (stage, reason), outcome.detail
    assert outcome.origin == str(path) and outcome.detail


def test_oversized_file_is_rejected_with_the_limit_and_setting(tmp_path):
    path = write(tmp_path / "big.txt", "Headline\n" + BODY * 50)
    (item,), _ = discover([path])
    outcome = process_item(item, Settings(db=tmp_path / "x.duckdb", max_file_bytes=1000))
    assert (outcome.stage, outcome.reason) == ("acquire", "too_large")
    assert "1000" in outcome.detail and "max_file_bytes" in outcome.detail


def test_oversized_gzip_is_cut_off_while_reading(tmp_path):
    path = write(tmp_path / "bomb.txt.gz", b"a" * 5_000_000, compress=True)
    (item,), _ = discover([path])
    outcome = process_item(item, Settings(db=tmp_path / "x.duckdb", max_file_bytes=100_000))
    assert (outcome.stage, outcome.reason) == ("acquire", "too_large")


def test_file_gone_before_reading_is_rejected_as_not_found(tmp_path):
    path = write(tmp_path / "moved.txt", "Headline\n" + BODY * 3)
    (item,), _ = discover([path])
    path.unlink()
    outcome = process_item(item, Settings(db=tmp_path / "x.duckdb"))
    assert (outcome.stage, outcome.reason) == ("acquire", "not_found")
    assert "no such file" in outcome.detail


def test_a_good_file_passes_through(tmp_path):
    path = write(tmp_path / "ok.txt", "Library branches to open\n" + BODY * 3)
    (item,), _ = discover([path])
    outcome = process_item(item, Settings(db=tmp_path / "x.duckdb"))
    assert isinstance(outcome, Processed)
    assert outcome.article.title == "Library branches to open"
