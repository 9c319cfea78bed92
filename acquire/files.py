"""Discovery: expand the inputs a user names into the items a run will read.

Only regular files are read. Inside scanned folders, symbolic links are skipped unless the user
allows them (setting follow_symlinks): a folder others can write to must not become a way to
ingest /etc/passwd or hang the run on /dev/zero. FIFOs, devices, sockets, dangling links and
unreadable subfolders are skipped too, and everything skipped is counted by reason.

A file's origin (documents.origin, rejects.origin, file_state) is its absolute, normalised path
(`local_origin`), so the same file is the same input whichever directory the run started in and
however its path was typed.
"""

from __future__ import annotations

import os
import stat
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

KINDS = {".html": "html", ".htm": "html", ".txt": "text"}


@dataclass(frozen=True)
class Item:
    origin: str
    kind: str  # html | text | unknown
    follow_symlinks: bool = True  # False for files found in a scanned folder (read with O_NOFOLLOW)


class Skipped(Counter):
    """Files and folders discovery skipped, by reason (other_type, hidden, symlink, dangling_link,
    not_regular, unreadable_dir, unreadable)."""


def local_origin(given: str | Path) -> Path:
    """The one spelling of a local path: absolute, without `.`, `..` or doubled slashes.

    Symbolic links are not resolved (a link stays its own input; docs/security.md), except where a
    `..` follows one: the system goes up from the link's target there, so the path does too, and
    the origin names the file that is read.
    """
    absolute = os.path.join(os.getcwd(), os.fspath(given))  # an absolute `given` replaces the cwd
    lexical = os.path.normpath(absolute)
    parts = Path(absolute).parts
    if ".." not in parts:
        return Path(lexical)
    last = len(parts) - 1 - parts[::-1].index("..")
    upto = os.path.join(*parts[:last + 1])
    try:
        if os.path.samefile(upto, os.path.normpath(upto)):
            return Path(lexical)
    except OSError:  # a folder that is not there: the file is a not_found reject, under its plain spelling
        return Path(lexical)
    return Path(os.path.normpath(os.path.join(os.path.realpath(upto), *parts[last + 1:])))


def kind_of(path: Path) -> str:
    """html, text or unknown, by extension; a trailing .gz is looked through."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return KINDS.get(suffixes[-1], "unknown") if suffixes else "unknown"


def discover(inputs: list[str | Path], *, follow_symlinks: bool = False) -> tuple[list[Item], Skipped]:
    """Items for files and (recursively) directories, sorted within each directory; every origin is
    absolute (`local_origin`).

    A file named directly is always an item (an unsupported or unreadable one is rejected later,
    so it is accounted for); inside directories, files of other types, hidden files, symlinks
    (unless `follow_symlinks`) and anything that is not a regular file are skipped and counted.
    Returns (items, skipped by reason).
    """
    items: list[Item] = []
    seen: set[str] = set()
    skipped = Skipped()
    for given in inputs:
        path = local_origin(given)
        if path.is_dir():
            _walk(path, path, items, seen, skipped, follow_symlinks, set())
        else:
            _add(items, seen, path, follow=True)
    return items, skipped


def _walk(root: Path, folder: Path, items: list[Item], seen: set[str], skipped: Skipped, follow: bool,
          visiting: set[tuple[int, int]]) -> None:
    try:
        st = folder.stat()
        visiting = visiting | {(st.st_dev, st.st_ino)}  # a followed link back up the tree is a loop
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        skipped["unreadable_dir"] += 1
        return
    for entry in entries:
        child = Path(entry.path)
        if entry.name.startswith("."):
            skipped["hidden"] += 1 if not _is_dir(entry) else _count_files(child)
            continue
        try:
            is_link = entry.is_symlink()
            if is_link and not follow:
                skipped["symlink"] += 1
                continue
            try:
                st = entry.stat(follow_symlinks=True)
            except FileNotFoundError:
                skipped["dangling_link" if is_link else "unreadable"] += 1
                continue
        except OSError:
            skipped["unreadable"] += 1
            continue
        if stat.S_ISDIR(st.st_mode):
            if (st.st_dev, st.st_ino) in visiting:
                skipped["symlink"] += 1  # a loop
                continue
            _walk(root, child, items, seen, skipped, follow, visiting)
        elif not stat.S_ISREG(st.st_mode):
            skipped["not_regular"] += 1  # FIFO, device, socket: reading could hang or never end
        elif kind_of(child) == "unknown":
            skipped["other_type"] += 1
        else:
            _add(items, seen, child, follow=follow)


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _count_files(folder: Path) -> int:
    """Files under a hidden folder (each counts as one skipped file, as before); links not followed."""
    count = 0
    for _dirpath, _dirs, files in os.walk(folder, followlinks=False):
        count += len(files)
    return count


def _add(items: list[Item], seen: set[str], path: Path, *, follow: bool) -> None:
    origin = str(path)
    if origin not in seen:
        seen.add(origin)
        items.append(Item(origin, kind_of(path), follow))


def discover_outlets(groups: list[tuple[str | None, list[str | Path]]], *,
                     follow_symlinks: bool = False) -> tuple[list[Item], Skipped, dict[str, str]]:
    """discover() over groups of inputs that each name an outlet (None: not named).

    Returns (items, skipped, {origin: outlet}); a file reached by two groups is read once, with the
    outlet of the first.
    """
    items: list[Item] = []
    outlets: dict[str, str] = {}
    seen: set[str] = set()
    skipped = Skipped()
    for outlet, inputs in groups:
        found, n = discover(inputs, follow_symlinks=follow_symlinks)
        skipped.update(n)
        for item in found:
            if item.origin in seen:
                continue
            seen.add(item.origin)
            items.append(item)
            if outlet:
                outlets[item.origin] = outlet
    return items, skipped, outlets
