"""Exact deduplication by content hash."""

from __future__ import annotations

from collections.abc import Iterable


def exact_duplicates(hashes: Iterable[str], known: set[str]) -> list[bool]:
    """For each hash in order, whether it is a duplicate: already `known` or seen earlier in the list."""
    seen = set(known)
    flags = []
    for h in hashes:
        flags.append(h in seen)
        seen.add(h)
    return flags
