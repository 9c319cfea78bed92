"""Unchanged local files, counted `unchanged` at discover time, as a 304 is for a URL.

A file whose path, named outlet and stat stamp (acquire/stamps.py) match what `file_state` holds
for it from an earlier committed run is not batched, read, parsed, staged, validated or loaded: it
gets no `documents` row and counts in `runs.unchanged` (not in `inputs`). A re-run over an
unchanged folder therefore costs a stat per file and one query.

Every other file is read as before. Its stamp is taken here, before it is read (a write during
the run moves the stamp, so the next run reads it again), and recorded in the run's transaction
if the file became a documents row (loaded, quarantined or an exact duplicate: reading it again
could only find the same text again). A file rejected at its latest reading has no stamp (an
older one is dropped) and is retried.

`skip_unchanged_files = false` (settings) or `--refresh` reads and records every file again;
`newsflow reprocess` reads every file whatever its stamp.
"""

from __future__ import annotations

import time

from newsflow.acquire.files import Item
from newsflow.acquire.stamps import file_stamp
from newsflow.settings import Settings
from newsflow.warehouse.db import connect
from newsflow.warehouse.filestate import recorded


class FileStamps:
    """The files a run reads, origin -> (named outlet, stamp), for file_state; the files it skipped.

    A plain class, not a dataclass: Prefect walks a task's dataclass parameters element by element
    (visit_collection: ~1 s for 10,000 files on a busy machine) and may copy them; this one it passes as is.
    """

    def __init__(self, read: dict[str, tuple[str | None, tuple]] | None = None, unchanged: int = 0):
        self.read, self.unchanged = read or {}, unchanged

    def __deepcopy__(self, memo):
        return self  # not changed after discovery


def skip_unchanged(items: list, outlets: dict[str, str], settings: Settings) -> tuple[list, FileStamps]:
    """The items still to read (in order) and the stamps to record for them; unchanged files dropped."""
    now = time.time_ns()
    stamps = {}
    for item in items:
        if type(item) is Item:
            stamp = file_stamp(item.origin, item.follow_symlinks, now)
            if stamp is not None:  # None: unreadable, not a regular file, or changed just now
                stamps[item.origin] = (outlets.get(item.origin), stamp)
    if not stamps or not settings.skip_unchanged_files or settings.refresh:
        return items, FileStamps(stamps)
    con = connect(settings.db, lock_timeout=settings.lock_timeout)
    try:
        known = recorded(con, list(stamps))
    finally:
        con.close()
    same = {origin for origin, entry in stamps.items() if known.get(origin) == entry}
    todo = [item for item in items if not (type(item) is Item and item.origin in same)]
    return todo, FileStamps({o: e for o, e in stamps.items() if o not in same}, len(same))
