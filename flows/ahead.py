"""The index stages' per-article inputs, made by low-priority helper processes while the commit runs.

The near-duplicate shingles and signature, the search terms and the story term counts
(transforms/features.py) need only an article's title and text. When a run's commit starts, a
feeder thread reads the run's articles back from its spill and sends them to `processes` helper
processes (forked from the workers' fork server, at the lowest CPU priority), which make those
parts on the cores the finished workers left idle while the commit's own thread dedups, validates
and links. The parts come back pickled and wait in an anonymous temporary file, so memory does not
grow with the run. The index stages ask through `lookup`, which never waits: it gives a part only
if it is ready and was made from the very title and text the stage read, and the stage makes any
other itself. So the helpers can only take work off the commit's thread, never hold it up (on a
busy machine, at their priority, they may do little), and the tables are the same either way.

Not in the flow's process during extraction: the flow's threads feed the workers their items, and
CPU work there held the GIL against them (a 1k run's processing phase got longer than the commit's
saving). Not a pool for the whole run: the workers keep both cores busy until the commit.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import tempfile
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ProcessPoolExecutor

AHEAD_MIN = 200
"""Runs with fewer articles make the parts in the commit's own thread: a helper's start (~1 s of
imports: numpy, datasketch) is more than it could take off a small run's commit."""
IN_FLIGHT = 3
"""Chunks (batches) sent and not yet back, per helper: bounds the texts held in the flow's memory."""


def _lower_priority() -> None:
    """A helper yields the CPU to the commit's thread and to everything else on the machine."""
    os.nice(19)


def _make(items: list[tuple[str, str | None, str]]) -> list[tuple[str, bytes, list[bytes]]]:
    """In a helper: each article's parts, pickled (a part that fails is left to its stage)."""
    from newsflow.transforms.features import PARTS, compute, digest

    out = []
    for article_id, title, text in items:
        try:
            made = compute(title, text)
        except Exception:  # noqa: BLE001 -- the stage computes it itself (and fails there if it must)
            continue
        out.append((article_id, digest(title, text), [pickle.dumps(made[p], protocol=pickle.HIGHEST_PROTOCOL)
                                                      for p in PARTS]))
    return out


class FeaturesAhead:
    """The parts of the articles in `chunks` (lists of Processed), made by `processes` helper processes."""

    def __init__(self, chunks: Iterable[list], processes: int):
        self._file = tempfile.TemporaryFile(prefix="newsflow-features-")
        self._index: dict[str, tuple] = {}  # article_id -> (digest, offset, length of each part)
        self._end = 0
        self._lock = threading.Lock()
        self._slots = threading.Semaphore(processes * IN_FLIGHT)
        self._pending = 0
        self._idle = threading.Condition(self._lock)
        self._pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("forkserver"),
                                         initializer=_lower_priority)
        self._feeder = threading.Thread(target=self._feed, args=(chunks,), name="newsflow-features", daemon=True)
        self._feeder.start()

    def _feed(self, chunks: Iterable[list]) -> None:
        sent: set[str] = set()
        try:
            for chunk in chunks:
                # An exact copy's text is not sent again: the first one is what the loader keeps.
                items = [(p.article.article_id, p.article.title, p.article.text) for p in chunk
                         if p.article.article_id not in sent]
                sent.update(i[0] for i in items)
                if not items:
                    continue
                self._slots.acquire()
                try:
                    future = self._pool.submit(_make, items)
                except Exception:  # noqa: BLE001 -- a closed pool (the run is failing): stop sending
                    self._slots.release()
                    return
                with self._lock:
                    self._pending += 1
                future.add_done_callback(self._store)
        except Exception:  # noqa: BLE001 -- the spill unreadable: the stages make the parts themselves
            return

    def _store(self, future: Future) -> None:
        """A chunk's parts into the file (in the pool's thread); the future, and its result, then go."""
        with self._lock:
            try:
                for article_id, digest, parts in future.result():
                    blob = b"".join(parts)
                    os.pwrite(self._file.fileno(), blob, self._end)
                    self._index[article_id] = (digest, self._end, *(len(p) for p in parts))
                    self._end += len(blob)
            except BaseException:  # noqa: BLE001 -- a broken helper or a full disk: the stages make the rest
                pass
            finally:  # always, or `lookup` would wait for this chunk forever
                self._pending -= 1
                self._idle.notify_all()
                self._slots.release()

    def wait(self) -> None:
        """Until every part sent is made (the stages never need to; a test does)."""
        self._feeder.join()
        with self._lock:
            self._idle.wait_for(lambda: self._pending == 0)

    def lookup(self, article_id: str, title: str | None, text: str, part: str):
        """A transforms.features.Lookup: the article's `part` if it is made already, from this very
        title and text; else None."""
        from newsflow.transforms.features import PARTS, digest

        with self._lock:
            found = self._index.get(article_id)
        if found is None or found[0] != digest(title, text):
            return None
        i = PARTS.index(part)
        lengths = found[2:]
        return pickle.loads(os.pread(self._file.fileno(), lengths[i], found[1] + sum(lengths[:i])))

    def __enter__(self) -> FeaturesAhead:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop the helpers (whatever they were doing) and drop the parts."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._feeder.join()
        self._file.close()


def start(processed, processes: int, minimum: int | None = None) -> FeaturesAhead | None:
    """Helpers for a run's articles (a flows.spill.Spill, read back on its own), or None for a small
    run or a plain list (the stages then make the parts themselves)."""
    if not hasattr(processed, "chunks") or len(processed) < (AHEAD_MIN if minimum is None else minimum):
        return None
    return FeaturesAhead(processed.chunks(), max(1, processes))
