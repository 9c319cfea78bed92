"""extract.parse_html: trafilatura's load_html with one element class for every element."""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import pytest
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from newsflow.transforms.decode import declared_charset, decode
from newsflow.transforms.extract import parse_html

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import extraction_golden as golden  # noqa: E402

FORM_PAGE = ("<html><head><title>Form</title></head><body><p>Story text here.</p>"
             "<form action='/s'><label for='q'>Search</label><input id='q' name='q' value='x'>"
             "<select name='s'><option>a</option></select><textarea name='t'>hi</textarea></form></body></html>")


def test_every_element_is_a_plain_html_element():
    """lxml.html's parser makes form, input, select, textarea and label their own classes (a Python
    lookup per element); the page's tree has one class, and trafilatura still takes it as a tree."""
    tree = parse_html(FORM_PAGE)
    assert {el.tag for el in tree.iter()} >= {"form", "input", "select", "textarea", "label"}
    assert {type(el) for el in tree.iter()} == {HtmlElement}
    assert load_html(tree) is tree  # isinstance(tree, HtmlElement): trafilatura does not parse it again
    assert tree.find(".//form").text_content() == "Searchahi"


@pytest.mark.parametrize("html", [
    "", "   ", "plain text, no markup", "<p>one fragment</p>", "<div><p>a</p><p>b</p></div>",
    '<?xml version="1.0" encoding="utf-8"?><html><body><p>declared</p></body></html>',
    "<!DOCTYPE html/><html><body><p>doctype</p></body></html>", "<html/>\n<body><p>self-closed</p></body>",
    "<html><body><p>control\x01char</p></body></html>", FORM_PAGE,
])
def test_the_same_tree_as_trafilaturas_load_html(html):
    want, got = load_html(html), parse_html(html)
    assert (got is None) == (want is None)
    if want is not None:
        assert etree.tostring(got) == etree.tostring(want)


def test_dev_pages_parse_as_trafilatura_parses_them():
    pages = list(golden.dev_pages().values())
    if not pages:
        pytest.skip("dev-set corpora not found")
    for path in pages:
        body = gzip.decompress(path.read_bytes())
        html = decode(body, declared_charset(body))
        assert etree.tostring(parse_html(html)) == etree.tostring(load_html(html)), path.name
