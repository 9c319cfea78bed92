"""Worker processes for the CPU-bound stages (read, extract, clean, normalize), one set per run.

Extraction holds the GIL, so `workers` threads give one core of extraction. With the threads
runner (the default) the run therefore starts `workers` processes once, before the first batch,
and every process-batch task (a thread that fetches, waits and collects) sends its items to them;
they live until the run ends, so their start-up (~1 s: importing trafilatura) is paid once, not
per batch. Where there is no pool -- a task on a Prefect process-pool or Dask worker, which is a
process of its own already, or a run of a single batch, where a second process buys nothing --
the same function runs inline. So every runner runs the same code: `run_items`.
"""

from __future__ import annotations

import math
import multiprocessing
from collections import Counter
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar

T = TypeVar("T")


def _warm() -> None:
    """Import the heavy extraction modules as the worker starts, not inside the first item."""
    import trafilatura  # noqa: F401

    from newsflow.transforms import clean, extract, normalize  # noqa: F401


def pool_size(settings, items: int) -> int:
    """How many worker processes a run of `items` inputs gets: 0 = run the stages inline.

    Only the threads runner gets a pool (its tasks share one interpreter); one batch never needs one.
    """
    if settings.runner != "threads":
        return 0
    size = min(settings.workers, math.ceil(items / settings.batch_size))
    return size if size > 1 else 0


@contextmanager
def run_pool(size: int) -> Iterator[Executor | None]:
    """`size` worker processes for the length of a run, or None (inline) when size is 0.

    forkserver, not fork: the flow's process runs Prefect's threads and event loops, which a forked
    child would inherit in whatever state they were in.
    """
    if size <= 0:
        yield None
        return
    pool = ProcessPoolExecutor(size, mp_context=multiprocessing.get_context("forkserver"), initializer=_warm)
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _timed(fn: Callable[..., T], item, *args) -> tuple[T, dict[str, float]]:
    from newsflow.flows.timing import StageTimer

    timer = StageTimer()
    result = fn(item, *args, timer)
    return result, timer.stop()


def run_items(fn: Callable[..., T], items: list, *args, pool: Executor | None = None) -> tuple[list[T], Counter]:
    """`fn(item, *args, timer)` for every item, in order, in the pool or inline; and its stage seconds.

    The seconds are summed over items: with a pool they are worker seconds, spent in parallel.
    """
    seconds: Counter = Counter()
    if pool is None:
        results = [_timed(fn, item, *args) for item in items]
    else:
        results = [f.result() for f in [pool.submit(_timed, fn, item, *args) for item in items]]
    out = []
    for result, spent in results:
        out.append(result)
        seconds.update(spent)
    return out, seconds
