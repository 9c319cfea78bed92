"""Raw bodies of fetched pages, content-addressed gzip files beside the warehouse: <dir>/ab/cd/<sha256>.gz.

Kept so `newsflow reprocess` can re-run extraction and cleaning without fetching again. Files are
written before the load transaction and never change (the name is the hash of the content), so a
crashed run leaves at most an unreferenced file behind.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
from pathlib import Path


def path_for(root: Path, sha256: str) -> Path:
    return Path(root) / sha256[:2] / sha256[2:4] / f"{sha256}.gz"


def put(root: Path, body: bytes) -> str:
    """Store `body` (if not already there) and return its sha256."""
    sha = hashlib.sha256(body).hexdigest()
    target = path_for(root, sha)
    if target.exists():
        return sha
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write a temporary file in the same folder, then rename: readers never see half a file.
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".gz")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(gzip.compress(body, mtime=0))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return sha


def get(root: Path, sha256: str) -> bytes | None:
    """The stored body, or None when it is not in the store."""
    try:
        return gzip.decompress(path_for(root, sha256).read_bytes())
    except FileNotFoundError:
        return None
