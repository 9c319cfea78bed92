"""Reusing a batch's extraction results across runs, keyed by the files' stamps, the code and the settings.

A re-run over unchanged files skips read → extract → clean → normalize for their batches; the load
(dedup, validation) always runs. Web items are never cached: whether a page changed is for the
fetcher's conditional requests to say.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

from newsflow.acquire.files import Item
from newsflow.acquire.read import open_regular
from newsflow.acquire.stamps import stamp_of
from newsflow.transforms.models import RejectError

# Code whose change changes a batch's result: the transforms and the file reader.
_CODE = ("newsflow.transforms", "newsflow.acquire.read", "newsflow.acquire.files", "newsflow.flows.batches",
         "newsflow.flows.workers")


@lru_cache(maxsize=1)
def code_version() -> str:
    """sha256 over the source of everything a batch result depends on."""
    import importlib

    digest = hashlib.sha256()
    for name in _CODE:
        module = importlib.import_module(name)
        path = Path(module.__file__)
        root = path.parent
        for file in sorted(root.rglob("*.py")) if path.name == "__init__.py" else [path]:
            digest.update(f"{name}:{file.relative_to(root).as_posix()}".encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def batch_cache_key(context, parameters: dict) -> str | None:
    """Prefect cache key for process-batch, or None (no caching) when a result must not be reused."""
    from newsflow.transforms.rules import RULES

    items, settings = parameters["items"], parameters["settings"]
    if not settings.cache_extraction or not items or any(type(i) is not Item for i in items):
        return None
    digest = hashlib.sha256(code_version().encode())
    # The rule table is data a caller may change at run time; the settings that shape a result.
    digest.update(repr((RULES, settings.min_words, settings.max_file_bytes)).encode())
    for item in items:
        path = Path(item.origin)
        try:
            # Opened (not read) to apply the reader's rules: regular files only, links only when
            # followed; an oversized file is left to the batch, which rejects it (never cached).
            with open_regular(path, follow_symlinks=item.follow_symlinks) as stream:
                st = os.fstat(stream.fileno())
            if st.st_size > settings.max_file_bytes:
                return None
        except (OSError, RejectError):
            return None  # unreadable, not a regular file, a link not to follow: let the batch reject it
        # The file's identity and change stamps (acquire/stamps.py): unchanged stamps mean
        # unchanged bytes -- and a batch of unchanged files is served without reading them.
        digest.update(f"{item.origin}\0{item.kind}\0{item.follow_symlinks}\0{stamp_of(st)}\0".encode())
    return f"process-batch-{digest.hexdigest()}"
