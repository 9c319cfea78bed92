"""Bytes to text: BOM, declared charset, UTF-8, then detection; binary input is refused."""

from __future__ import annotations

import codecs
import functools
import re

from newsflow.transforms.models import RejectError

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
    return decode_noted(body, declared)[0]


def decode_noted(body: bytes, declared: str | None = None) -> tuple[str, str | None]:
    """(text, note): `decode`, with a note when the declared charset was overruled (else None).

    A declared single-byte charset (ISO-8859-x, windows-125x, ASCII...) is overruled when the bytes
    are valid UTF-8 with multi-byte characters in them: real Latin-1 text practically never forms
    valid UTF-8 sequences, while UTF-8 pages mislabelled Latin-1 are common, and decoding them as
    labelled stores mojibake ("CafÃ©") that no later check can undo.
    """
    why = sniff_binary(body)
    if why:
        raise RejectError("decode", "binary", why)
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body.decode(codec, errors="replace"), None
    if declared:
        codec = _codec_name(declared)
        if _single_byte(codec) and not body.isascii():
            try:
                return body.decode("utf-8"), f"utf-8 (declared {declared.lower()}, but the bytes are UTF-8)"
            except UnicodeDecodeError:
                pass
        try:
            return body.decode(codec), None
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong declaration is common; fall through to detection
    try:
        return body.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        # Cut off inside a UTF-8 character only if UTF-8 is what the rest says: a cp1252 file whose
        # one non-ASCII byte is its last ("... caf\xe9") looks the same to the decoder.
        if exc.reason == "unexpected end of data" and not _cp1252_ending(body, exc.start):
            raise RejectError("decode", "truncated", "the text ends inside a UTF-8 character: the file was cut off") from exc
    high = sum(1 for b in body if b > 0x7F)
    if high <= _WESTERN_MAX_HIGH_SHARE * len(body):
        try:
            return body.decode("cp1252"), None
        except UnicodeDecodeError:
            pass
    return _detect(body), None


def _cp1252_ending(body: bytes, start: int) -> bool:
    """Whether an incomplete UTF-8 tail at `start` reads better as one cp1252 letter ("caf\\xe9").

    Only when everything before it is ASCII (no UTF-8 seen) and the tail is one byte whose cp1252
    letter fits the case of the letter before it: "caf\\xe9" is "café", but "caf\\xc3" ("cafÃ")
    is "café" in UTF-8 cut off after its first byte.
    """
    head, tail = body[:start], body[start:]
    if len(tail) != 1 or not head.isascii():
        return False
    letter = tail.decode("cp1252", errors="replace")
    if not letter.isalpha():
        return False
    before = head[-1:].decode("ascii")
    return not before.isalpha() or before.islower() == letter.islower()


@functools.lru_cache(maxsize=64)
def _single_byte(codec: str) -> bool:
    """Whether a codec maps each byte to one character (Latin-1, windows-125x, KOI8...), not UTF-8 or CJK."""
    try:
        if codecs.lookup(codec).name in ("utf-8", "utf-8-sig"):
            return False
        return len(bytes(range(0x80, 0x100)).decode(codec, errors="replace")) == 0x80
    except (LookupError, UnicodeError, TypeError):
        return False


def _codec_name(charset: str) -> str:
    # WHATWG treats these labels as their supersets; browsers do the same.
    aliases = {"iso-8859-1": "cp1252", "latin1": "cp1252", "gb2312": "gb18030", "gbk": "gb18030",
               "shift_jis": "cp932", "x-sjis": "cp932", "ascii": "cp1252", "us-ascii": "cp1252"}
    return aliases.get(charset.lower(), charset)


def _detect(body: bytes) -> str:
    import charset_normalizer  # imported here: detection is the rare path

    best = charset_normalizer.from_bytes(body).best()
    if best is None:
        raise RejectError("decode", "undecodable",
                       "not UTF-8, not cp1252, and no character set fits the bytes")
    return str(best)
