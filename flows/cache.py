"""Reusing a batch's extraction results across runs, keyed by the files' bytes, the code and the settings.

A re-run over unchanged files skips read → extract → clean → normalize for their batches; the load
(dedup, validation) always runs. Web items are never cached: whether a page changed is for the
fetcher's conditional requests to say.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from flows.discover import Item

# Code whose change changes a batch's result: the transforms and the file reader.
_CODE = ("transforms", "flows/acquire.py", "flows/ingest.py")
_ROOT = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def code_version() -> str:
    """sha256 over the source of everything a batch result depends on."""
    digest = hashlib.sha256()
    for entry in _CODE:
        path = _ROOT / entry
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(file.relative_to(_ROOT).as_posix().encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def batch_cache_key(context, parameters: dict) -> str | None:
    """Prefect cache key for process-batch, or None (no caching) when a result must not be reused."""
    from transforms.rules import RULES

    items, settings = parameters["items"], parameters["settings"]
    if not settings.cache_extraction or not items or any(type(i) is not Item for i in items):
        return None
    digest = hashlib.sha256(code_version().encode())
    # The rule table is data a caller may change at run time; the settings that shape a result.
    digest.update(repr((RULES, settings.min_words, settings.max_file_bytes)).encode())
    for item in items:
        path = Path(item.origin)
        if not path.is_file():
            return None  # a pipe or device: reading it here would consume what the batch must read
        try:
            mtime, body = path.stat().st_mtime_ns, path.read_bytes()
        except OSError:
            return None  # unreadable now: let the batch run and reject it
        digest.update(f"{item.origin}\0{item.kind}\0{mtime}\0".encode())
        digest.update(hashlib.sha256(body).digest())
    return f"process-batch-{digest.hexdigest()}"
