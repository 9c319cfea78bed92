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


class CorruptBody(ValueError):
    """A stored body that cannot be read back: not gzip, cut off, or not the bytes its name says."""


def get(root: Path, sha256: str, max_bytes: int | None = None) -> bytes | None:
    """The stored body, or None when it is not in the store; CorruptBody when it is damaged.

    `max_bytes` caps the decompressed size (a replaced file must not be a gzip bomb).
    """
    import zlib

    try:
        packed = path_for(root, sha256).read_bytes()
    except FileNotFoundError:
        return None
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        body = inflater.decompress(packed, max_bytes + 1) if max_bytes else inflater.decompress(packed)
    except zlib.error as exc:
        raise CorruptBody(f"not a valid gzip file: {exc}") from None
    if max_bytes and len(body) > max_bytes:
        raise CorruptBody(f"decompresses past {max_bytes} bytes (setting max_body_bytes)")
    if not inflater.eof:
        raise CorruptBody("the gzip stream ends early (truncated)")
    if hashlib.sha256(body).hexdigest() != sha256:
        raise CorruptBody("its content no longer matches its sha256 name")
    return body
