"""One writer per warehouse file: a run-long lock that a second run waits for, then gives up on.

DuckDB's own file lock only covers an open connection (our load, a few seconds at the end of a
run) and does not separate two runs in one process, which share one database instance. This lock
spans a whole run and works across threads (a lock per file in this process) and processes (an
flock on `<db>.lock`, released by the OS if the holder dies). Readers are not blocked.
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from newsflow.warehouse.errors import WarehouseError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: DuckDB's own file lock still stops a second writer
    fcntl = None

_POLL_S = 0.1
_local_locks: dict[str, threading.Lock] = {}
_local_guard = threading.Lock()


class WriteLocked(WarehouseError):
    """Another run is writing the warehouse and did not finish within lock_timeout."""

    def __init__(self, db: str, waited: float, holder: str):
        super().__init__(
            f"database {db} is being written by another newsflow run ({holder}); waited {waited:.0f}s. "
            "Wait for that run to finish, or raise lock_timeout (--lock-timeout, NEWSFLOW_LOCK_TIMEOUT)."
        )


def lock_path(db: str | Path) -> Path:
    """The lock file beside the warehouse: `<db>.lock`."""
    db = Path(db)
    return db.with_name(db.name + ".lock")


@contextmanager
def write_lock(db: str | Path, timeout: float):
    """Hold the warehouse's write lock for the block; wait up to `timeout` s, then raise WriteLocked."""
    key = str(Path(db).resolve())
    started = time.monotonic()
    with _local_guard:
        local = _local_locks.setdefault(key, threading.Lock())
    if not local.acquire(timeout=timeout):
        raise WriteLocked(str(db), time.monotonic() - started, f"another run in this process, pid {os.getpid()}")
    try:
        if fcntl is None:
            yield
            return
        path = lock_path(db)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _flock(fd, path, str(db), started, timeout)
            # Who holds it, for the message the next run prints while it waits in vain.
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()} since {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%SZ}".encode(), 0)
            try:
                yield
            finally:
                os.ftruncate(fd, 0)
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
    finally:
        local.release()


def _flock(fd: int, path: Path, db: str, started: float, timeout: float) -> None:
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            waited = time.monotonic() - started
            if waited >= timeout:
                holder = path.read_text(errors="replace").strip() or "holder unknown"
                raise WriteLocked(db, timeout, holder) from None  # the timeout, not the poll-granular wait
            time.sleep(min(_POLL_S, max(timeout - waited, 0.01)))
