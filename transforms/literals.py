"""Literal strings a regular expression cannot match without: a cheap test before the regex.

A cleaning rule is tried on every paragraph, and an unanchored rule costs a regex attempt at every
position of it. Most rules cannot match unless the paragraph contains one of a few literal strings
("purposes only", "your own", ...); `required_literals` reads them off the parsed pattern, so a
paragraph without any of them skips the regex, and the rule table stays data (no hand-written
filter to keep in step with a pattern). The test is exact, never a guess: see `screen`.
"""

from __future__ import annotations

import re

try:  # Python 3.11+
    from re import _constants as _C
    from re import _parser as _P
except ImportError:  # pragma: no cover (3.10)
    import sre_constants as _C  # type: ignore[no-redef]
    import sre_parse as _P  # type: ignore[no-redef]

# The only characters that Python's case-insensitive matching equates with an ASCII character
# while str.lower() does not turn them into that character's lowercase (İ lowers to two characters,
# ı and ſ match i and s but stay themselves). tests/test_literals.py recomputes the set from `re`.
FOLD_UNSAFE = "\u0130\u0131\u017f"
_UNSAFE = re.compile(f"[{FOLD_UNSAFE}]")
_ASCII_STRETCH = re.compile("[ -~]+")  # printable ASCII
_REPEATS = {_C.MAX_REPEAT, _C.MIN_REPEAT} | ({_C.POSSESSIVE_REPEAT} if hasattr(_C, "POSSESSIVE_REPEAT") else set())


def required_literals(regex: re.Pattern) -> tuple[str, ...] | None:
    """Lowercase ASCII strings one of which every match of the case-insensitive `regex` contains, or
    None when no such set is known (then the regex always runs)."""
    if not isinstance(regex.pattern, str) or regex.flags & ~(re.IGNORECASE | re.UNICODE) \
            or not regex.flags & re.IGNORECASE:
        return None
    try:
        needs = _sequence(_P.parse(regex.pattern, regex.flags))
    except Exception:  # noqa: BLE001 (a pattern this reader does not know: no filter, never a wrong one)
        return None
    if not needs or not all(s.isascii() and s.isprintable() for s in needs):
        return None
    needs = {s.lower() for s in needs}
    # a string holding another one is found only where that one is: keep the shorter (fewer lookups)
    return tuple(sorted(s for s in needs if not any(o != s and o in s for o in needs)))


def screen(paragraph: str) -> str | None:
    """The form `required_literals` are looked up in: the paragraph lowercased, or None when it holds
    a character for which that lookup would not be exact (the regex then runs)."""
    return None if _UNSAFE.search(paragraph) else paragraph.lower()


def _score(needs: set[str]) -> tuple[bool, int, int]:
    # usable (ASCII) first, then the longest shortest string, then the fewest strings
    return all(s.isascii() and s.isprintable() for s in needs), min(map(len, needs)), -len(needs)


def _sequence(items) -> set[str] | None:
    """A set for a sequence: a run of literals, or the most selective set of one of its items."""
    options: list[set[str]] = []
    run: list[str] = []
    for op, av in [*items, (None, None)]:  # (None, None): the end, closing the last run
        if op is _C.LITERAL:
            run.append(chr(av))
            continue
        if run:  # a run of literals; of one with other characters, its longest ASCII stretch
            options.append({max(_ASCII_STRETCH.findall("".join(run)), key=len, default="") or "".join(run)})
            run = []
        needs = _node(op, av) if op is not None else None
        if needs:
            options.append(needs)
    return max(options, key=_score, default=None)


def _node(op, av) -> set[str] | None:
    if op is _C.SUBPATTERN:
        _, add_flags, del_flags, sub = av
        return None if add_flags or del_flags else _sequence(sub)
    if op is _C.BRANCH:  # every alternative must need something
        union: set[str] = set()
        for alternative in av[1]:
            needs = _sequence(alternative)
            if not needs:
                return None
            union |= needs
        return union
    if op in _REPEATS:
        low, _, sub = av
        return _sequence(sub) if low >= 1 else None
    return None  # classes, anchors, lookarounds, references ...: no literal known
