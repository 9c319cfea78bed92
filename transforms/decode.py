"""Bytes to text: BOM, declared charset, UTF-8, then detection; binary input is refused."""

from __future__ import annotations

import codecs
import re

from newsflow.transforms.models import Rejected

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1f\x7f]")
# Above this share of non-ASCII bytes a text is more likely CJK or Cyrillic than Western.
_WESTERN_MAX_HIGH_SHARE = 0.3


def sniff_binary(body: bytes) -> str | None:
    """Why `body` looks like a binary file rather than text, or None."""
    head = body[:8192]
    if not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        if b"\x00" in head:
            return "contains NUL bytes"
        controls = len(_CONTROL.findall(head))
        if controls > 0.05 * len(head):
            return f"{controls} control bytes in the first {len(head)}"
    return None


def declared_charset(body: bytes) -> str | None:
    """The charset an HTML page declares in a <meta> tag, if any."""
    match = _META_CHARSET.search(body[:4096])
    return match.group(1).decode("ascii").lower() if match else None


def decode(body: bytes, declared: str | None = None) -> str:
    """Decode `body`, trying BOM, `declared`, UTF-8, cp1252 and detection, in that order."""
    why = sniff_binary(body)
    if why:
        raise Rejected("decode", "binary", why)
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body.decode(codec, errors="replace")
    if declared:
        try:
            return body.decode(_codec_name(declared))
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong declaration is common; fall through to detection
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data":
            raise Rejected("decode", "truncated", "the text ends inside a UTF-8 character: the file was cut off") from exc
    high = sum(1 for b in body if b > 0x7F)
    if high <= _WESTERN_MAX_HIGH_SHARE * len(body):
        try:
            return body.decode("cp1252")
        except UnicodeDecodeError:
            pass
    return _detect(body)


def _codec_name(charset: str) -> str:
    # WHATWG treats these labels as their supersets; browsers do the same.
    aliases = {"iso-8859-1": "cp1252", "latin1": "cp1252", "gb2312": "gb18030", "gbk": "gb18030",
               "shift_jis": "cp932", "x-sjis": "cp932", "ascii": "cp1252", "us-ascii": "cp1252"}
    return aliases.get(charset.lower(), charset)


def _detect(body: bytes) -> str:
    import charset_normalizer  # imported here: detection is the rare path

    best = charset_normalizer.from_bytes(body).best()
    if best is None:
        raise Rejected("decode", "undecodable",
                       "not UTF-8, not cp1252, and no character set fits the bytes")
    return str(best)
