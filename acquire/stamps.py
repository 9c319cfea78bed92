"""A file's stat stamp: what says, without reading it, that a file is the one a run read before.

The stamp is the file's identity and change times, as git's index and rsync's quick check use
them: (device, inode, size, mtime_ns, ctime_ns). Any write to a file moves its ctime, which no tool
can set back, so an unchanged stamp means unchanged bytes. Two places rely on it: the batch cache
key (flows/cache.py) and discover-time skipping of files an earlier run recorded (file_state).
"""

from __future__ import annotations

import os
import stat
import time

Stamp = tuple[int, int, int, int, int]

# A file changed this recently before the stat may change again within the same timestamp tick
# (coarse clocks: FAT's 2 s, network file systems) without moving its stamp, as git's "racily
# clean" entries; such a stamp is not recorded, so the next run reads the file again.
RACY_NS = 2_000_000_000


def stamp_of(st: os.stat_result) -> Stamp:
    """(device, inode, size, mtime_ns, ctime_ns) of a stat result."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def file_stamp(origin: str, follow_symlinks: bool = True, now_ns: int | None = None) -> Stamp | None:
    """The stamp of the regular file at `origin`, or None: it cannot be stat'ed, it is not a regular
    file (the reader rejects those), or it changed less than RACY_NS before `now_ns` (default: now)."""
    try:
        st = os.stat(origin, follow_symlinks=follow_symlinks)
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    if st.st_ctime_ns > (time.time_ns() if now_ns is None else now_ns) - RACY_NS:
        return None
    return stamp_of(st)
