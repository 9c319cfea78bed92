"""The per-item work (read → extract → clean → normalize) and where it runs: worker processes, one set per run.

Extraction holds the GIL, so `workers` threads give one core of extraction. With the local
runner (`threads`, the default, or its alias `processes`) a run therefore starts `workers` processes once, before its first batch;
every process-batch task (a thread that sends its items and collects the outcomes) uses them, and
they stop when the run ends: their start-up (~1 s, importing trafilatura) is paid once per run,
not per batch. Where there is no pool -- a task on a Dask worker, already a process of its own, or
a run of one batch, where a second process buys nothing -- the same function runs inline. Every runner runs the same code: `run_items`.

This module imports no Prefect, so a worker process starts with only the transforms loaded.
"""

from __future__ import annotations

import math
import multiprocessing
import threading
from collections import Counter
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

from newsflow.acquire.read import read_item
from newsflow.flows.timing import StageTimer
from newsflow.transforms.clean import clean
from newsflow.transforms.extract import extract
from newsflow.transforms.models import Processed, Reject, RejectError
from newsflow.transforms.normalize import normalize

# The run's pool, seen by its process-batch tasks: Prefect's thread runner copies the context into
# each task's thread; a task in another process sees the default, None, and works inline.
_POOL: ContextVar[_LazyPool | None] = ContextVar("newsflow_worker_pool", default=None)


def process_item(item, settings, timer: StageTimer | None = None) -> Processed | Reject:
    """Run one input through read, extract, clean and normalize; any failure becomes a Reject."""
    timer = timer or StageTimer()
    try:
        timer.enter("acquire")
        raw = read_item(item, settings.max_file_bytes)
        timer.enter("extract")
        extracted = extract(raw)
        timer.enter("clean")
        cleaned = clean(extracted.text)
        timer.enter("normalize")
        article = normalize(extracted, cleaned, settings.min_words)
    except RejectError as exc:
        return Reject(item.origin, exc.stage, exc.reason, exc.detail)
    except Exception as exc:  # a bug or a library failure on one page must not stop the run
        return Reject(item.origin, timer.stage, "error", f"{type(exc).__name__}: {exc}")
    finally:
        timer.enter(None)
    return Processed(origin=item.origin, kind=item.kind, raw_sha256=raw.raw_sha256,
                     fetched_at=raw.fetched_at, article=article, removed=extracted.removed + cleaned.removed,
                     url=raw.url, source=raw.source, charset_note=extracted.charset_note)


def _timed_item(item, settings) -> tuple[Processed | Reject, dict[str, float]]:
    timer = StageTimer()
    outcome = process_item(item, settings, timer)
    return outcome, timer.stop()


def run_items(items: list, settings) -> tuple[list[Processed | Reject], Counter]:
    """`process_item` for every item, in order, in the run's pool or inline; and the stage seconds.

    With a pool the seconds are worker seconds, spent in parallel (flows/timing.py turns them into
    shares of the run's wall time).
    """
    lazy = _POOL.get()
    if lazy is None or not items:
        done = [_timed_item(item, settings) for item in items]
    else:
        pool = lazy.get()
        done = [f.result() for f in [pool.submit(_timed_item, item, settings) for item in items]]
    seconds: Counter = Counter()
    for _, spent in done:
        seconds.update(spent)
    return [outcome for outcome, _ in done], seconds


def _warm() -> None:
    """Import the extractor as the worker starts, not inside its first item; then freeze the heap.
    Ctrl-C is left to the run's process, which stops the workers.

    What is loaded now (trafilatura, lxml, langdetect's profiles: ~140k tracked objects) lives as
    long as the worker, yet each full collection walked it again (~80 ms, ~0.4 ms a page); frozen,
    the collector skips it.
    """
    import gc
    import signal

    import trafilatura  # noqa: F401

    # Ctrl-C reaches the whole process group: the run decides what it means and stops its workers
    # (shutdown below); a worker dying of it mid-item would only break the pool under the run.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.collect()
    gc.freeze()


def pool_size(settings, items: int) -> int:
    """Worker processes for a run of `items` inputs; 0 = work inline.

    Only the local runners get a pool (their tasks are threads of the flow's process; Dask has
    processes of its own), and a single batch does not: it would only add the workers' start-up.
    """
    if settings.runner not in ("threads", "processes"):
        return 0
    size = min(settings.workers, math.ceil(items / settings.batch_size))
    return size if size > 1 else 0


class _LazyPool:
    """The run's worker processes, started by the first batch that needs them (a re-run whose
    batches all come from the cache starts none)."""

    def __init__(self, size: int):
        self.size, self._pool, self._lock = size, None, threading.Lock()

    def get(self) -> Executor:
        with self._lock:
            if self._pool is None:
                context = multiprocessing.get_context("forkserver")
                # The fork server imports these once; every worker forked from it starts with them.
                context.set_forkserver_preload(["newsflow.flows.workers", "newsflow.flows.worker_preload"])
                self._pool = ProcessPoolExecutor(self.size, mp_context=context, initializer=_warm)
            return self._pool

    def shutdown(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def run_pool(size: int) -> Iterator[None]:
    """`size` worker processes for the code inside the block (the run); none when size is 0.

    forkserver, not fork: the flow's process runs Prefect's threads and event loops, which a forked
    child would inherit in whatever state they were in.
    """
    if size <= 0:
        yield
        return
    pool = _LazyPool(size)
    token = _POOL.set(pool)
    try:
        yield
    finally:
        _POOL.reset(token)
        pool.shutdown()
