"""Acquisition: read an item's bytes from disk, decompressing .gz, within a size limit.

The size is checked on the opened file before anything is read, and every read is capped at the
limit anyway (a device or a file growing while read cannot exhaust memory). Only regular files are
read; the file is opened non-blocking so a FIFO is refused instead of waiting for a writer.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import stat
import zlib
from datetime import datetime, timezone
from pathlib import Path

from newsflow.acquire.files import Item
from newsflow.acquire.web import FetchedItem
from newsflow.transforms.models import RawDocument, RejectError


def read_item(item: Item, max_bytes: int) -> RawDocument:
    """The item's (decompressed) bytes; unreadable, truncated, oversized or non-regular files are RejectError."""
    if isinstance(item, FetchedItem):  # fetched from the web by the fetch stage (acquire/web.py)
        return item.raw
    path = Path(item.origin)
    if not path.exists():  # a named input (or a deployment's inbox folder) that is not there
        raise RejectError("acquire", "not_found", f"{item.origin}: no such file or directory")
    if item.kind == "unknown":
        raise RejectError("acquire", "unsupported_type",
                       f"{path.name}: only .html, .htm and .txt files (optionally .gz) are read")
    try:
        with open_regular(path, follow_symlinks=getattr(item, "follow_symlinks", True)) as stream:
            st = os.fstat(stream.fileno())
            fetched_at = datetime.fromtimestamp(st.st_mtime, timezone.utc)
            if path.suffix.lower() == ".gz":
                body = _gunzip(stream, max_bytes)
            else:
                if st.st_size > max_bytes:
                    raise RejectError("acquire", "too_large",
                                   f"{st.st_size} bytes; the limit is {max_bytes} (setting max_file_bytes)")
                body = stream.read(max_bytes + 1)
                if len(body) > max_bytes:
                    raise RejectError("acquire", "too_large", f"more than {max_bytes} bytes read (the file grew "
                                   "while read); the limit is set by max_file_bytes")
    except OSError as exc:
        raise RejectError("acquire", "unreadable", exc.strerror or str(exc)) from exc
    if not body.strip():
        raise RejectError("acquire", "empty", "the file is empty" if not body else "the file holds only whitespace")
    return RawDocument(origin=item.origin, kind=item.kind, body=body, fetched_at=fetched_at,
                       raw_sha256=hashlib.sha256(body).hexdigest())


def open_regular(path: Path, *, follow_symlinks: bool = True) -> io.BufferedReader:
    """`path` opened for reading if it is a regular file; RejectError("acquire", "not_regular") if not.

    O_NONBLOCK makes opening a FIFO return at once (then refused) rather than wait for a writer;
    without `follow_symlinks`, O_NOFOLLOW refuses a link swapped in after discovery.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if not follow_symlinks and os.path.islink(path):
            raise RejectError("acquire", "symlink", "a symbolic link where a scanned folder's file was found (or "
                           "read again by reprocess); not followed (setting follow_symlinks)") from exc
        raise
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        what = ("a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                else "a socket" if stat.S_ISSOCK(mode) else "a directory" if stat.S_ISDIR(mode) else "not a file")
        raise RejectError("acquire", "not_regular", f"{path.name} is {what}; only regular files are read")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def _gunzip(stream, max_bytes: int) -> bytes:
    with gzip.GzipFile(fileobj=stream) as unzipped:
        try:
            body = unzipped.read(max_bytes + 1)
        except EOFError as exc:
            raise RejectError("acquire", "truncated", "the gzip stream ends early") from exc
        except (gzip.BadGzipFile, zlib.error) as exc:
            raise RejectError("acquire", "corrupt", f"not a valid gzip file: {exc}") from exc
    if len(body) > max_bytes:
        raise RejectError("acquire", "too_large", f"decompresses past {max_bytes} bytes (setting max_file_bytes)")
    return body
