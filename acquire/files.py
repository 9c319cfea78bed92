"""Discovery: expand the inputs a user names into the items a run will read."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

KINDS = {".html": "html", ".htm": "html", ".txt": "text"}


@dataclass(frozen=True)
class Item:
    origin: str
    kind: str  # html | text | unknown


def kind_of(path: Path) -> str:
    """html, text or unknown, by extension; a trailing .gz is looked through."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return KINDS.get(suffixes[-1], "unknown") if suffixes else "unknown"


def discover(inputs: list[str | Path]) -> tuple[list[Item], int]:
    """Items for files and (recursively) directories, sorted within each directory.

    A file named directly is always an item (an unsupported one is rejected later, so it is
    accounted for); inside directories, files of other types and hidden files are skipped and
    counted. Returns (items, skipped).
    """
    items: list[Item] = []
    seen: set[str] = set()
    skipped = 0
    for given in inputs:
        path = Path(given)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                rel = child.relative_to(path)
                if any(part.startswith(".") for part in rel.parts) or kind_of(child) == "unknown":
                    skipped += 1
                    continue
                _add(items, seen, child)
        else:
            _add(items, seen, path)
    return items, skipped


def _add(items: list[Item], seen: set[str], path: Path) -> None:
    origin = str(path)
    if origin not in seen:
        seen.add(origin)
        items.append(Item(origin, kind_of(path)))


def discover_outlets(groups: list[tuple[str | None, list[str | Path]]]) -> tuple[list[Item], int, dict[str, str]]:
    """discover() over groups of inputs that each name an outlet (None: not named).

    Returns (items, skipped, {origin: outlet}); a file reached by two groups is read once, with the
    outlet of the first.
    """
    items: list[Item] = []
    outlets: dict[str, str] = {}
    seen: set[str] = set()
    skipped = 0
    for outlet, inputs in groups:
        found, n = discover(inputs)
        skipped += n
        for item in found:
            if item.origin in seen:
                continue
            seen.add(item.origin)
            items.append(item)
            if outlet:
                outlets[item.origin] = outlet
    return items, skipped, outlets
