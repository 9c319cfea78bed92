"""Acquisition: read an item's bytes from disk, decompressing .gz, within a size limit."""

from __future__ import annotations

import gzip
import hashlib
import zlib
from datetime import datetime, timezone
from pathlib import Path

from newsflow.acquire.files import Item
from newsflow.acquire.web import FetchedItem
from newsflow.transforms.models import RawDocument, Rejected


def read_item(item: Item, max_bytes: int) -> RawDocument:
    """The item's (decompressed) bytes; unreadable, truncated or oversized files are Rejected."""
    if isinstance(item, FetchedItem):  # fetched from the web by the fetch stage (acquire/web.py)
        return item.raw
    path = Path(item.origin)
    if not path.exists():  # a named input (or a deployment's inbox folder) that is not there
        raise Rejected("acquire", "not_found", f"{item.origin}: no such file or directory")
    if item.kind == "unknown":
        raise Rejected("acquire", "unsupported_type",
                       f"{path.name}: only .html, .htm and .txt files (optionally .gz) are read")
    try:
        fetched_at = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
        if path.suffix.lower() == ".gz":
            body = _gunzip(path, max_bytes)
        else:
            if path.stat().st_size > max_bytes:
                raise Rejected("acquire", "too_large", f"{path.stat().st_size} bytes; the limit is {max_bytes} (setting max_file_bytes)")
            body = path.read_bytes()
    except OSError as exc:
        raise Rejected("acquire", "unreadable", exc.strerror or str(exc)) from exc
    if not body.strip():
        raise Rejected("acquire", "empty", "the file is empty" if not body else "the file holds only whitespace")
    return RawDocument(origin=item.origin, kind=item.kind, body=body, fetched_at=fetched_at,
                       raw_sha256=hashlib.sha256(body).hexdigest())


def _gunzip(path: Path, max_bytes: int) -> bytes:
    with gzip.open(path) as stream:
        try:
            body = stream.read(max_bytes + 1)
        except EOFError as exc:
            raise Rejected("acquire", "truncated", "the gzip stream ends early") from exc
        except (gzip.BadGzipFile, zlib.error) as exc:
            raise Rejected("acquire", "corrupt", f"not a valid gzip file: {exc}") from exc
    if len(body) > max_bytes:
        raise Rejected("acquire", "too_large", f"decompresses past {max_bytes} bytes (setting max_file_bytes)")
    return body
