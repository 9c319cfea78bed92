"""The CPU-heavy stages, batched into Prefect tasks: read → extract → clean → normalize.

Shared by `ingest` and `reprocess`. A batch is a pure function of its items and the settings, so
its result can be cached across runs (flows/cache.py) and it can run in a thread, a process or on
Dask. Every failure on one input becomes that input's Reject; nothing in a batch is retried,
because nothing in it is transient: local bytes are read once, and fetching happened before.
"""

from __future__ import annotations

import gc
from collections import Counter
from datetime import timedelta

from prefect import task

from newsflow.acquire.web import with_fetch_info
from newsflow.flows import progress
from newsflow.flows.cache import batch_cache_key
from newsflow.flows.naming import batch_run_name
from newsflow.flows.spill import Outcomes
from newsflow.flows.workers import pool_size, process_item, run_items, run_pool  # noqa: F401 (process_item: API)
from newsflow.settings import Settings
from newsflow.transforms.models import Processed, Reject, Unchanged

CACHE_FOR = timedelta(days=7)  # how long a batch's extraction result may be reused

COLLECT_EVERY = 20
"""Batches between two full garbage collections in `run_batches`. A submitted task's
PrefectConcurrentFuture and the concurrent Future it wraps refer to each other (a done callback
bound to it), and that Future holds the task's final State -> ResultRecord -> the batch's outcomes
(~25 kB a page), so a batch's result outlives the flow's last reference to it. CPython frees cycles
only in a full collection, which in a flow process of ~600k objects comes about every 100 batches;
by then the texts have grown the heap (the flow process grew ~30 kB a page until ~15k pages). A
full collection costs ~0.2-0.3 s, so 20 batches (1,000 pages) bound the garbage to ~25 MB for
~1 s per 5k pages."""


# cache_result_in_memory=False: the result is persisted anyway (the cache), and the flow run's
# context would otherwise keep every batch's outcomes (~25 kB a page) alive until the run ends.
@task(name="process-batch", task_run_name=batch_run_name, cache_key_fn=batch_cache_key, cache_expiration=CACHE_FOR,
      persist_result=True, cache_result_in_memory=False)
def process_batch(items: list, settings: Settings) -> tuple[list[Processed | Reject | Unchanged], dict[str, float]]:
    """The batch's outcomes, in order, and the seconds spent in each stage.

    Items the fetch stage already settled (Reject, Unchanged) pass through as they are.
    """
    todo = [item for item in items if not isinstance(item, (Reject, Unchanged))]
    done, seconds = run_items(todo, settings)  # in the run's worker processes, or inline
    results = iter(done)
    outcomes = [item if isinstance(item, (Reject, Unchanged)) else with_fetch_info(next(results), item)
                for item in items]
    return outcomes, dict(seconds)


def run_batches(items: list, settings: Settings, outlets: dict[str, str] | None = None) -> tuple[Outcomes, Counter]:
    """Submit one process-batch per `batch_size` items; their outcomes in input order and summed stage seconds.

    Each batch's articles go to the run's spill file as the batch is collected, its future is
    dropped, and every COLLECT_EVERY batches a full collection frees the finished task runs (reference
    cycles that still hold their results), so the flow holds no batch's texts for long once it is
    filed (memory flat with the corpus).
    The seconds are worker seconds of the batches computed in this run (not those from the cache).
    """
    reporter = progress.current()
    reporter.start(len(items))
    batches = [items[i:i + settings.batch_size] for i in range(0, len(items), settings.batch_size)]
    outcomes = Outcomes()
    seconds: Counter = Counter()
    done = 0
    size = pool_size(settings, len(items))
    with run_pool(size):  # worker processes for the whole run, not per batch
        futures = [process_batch.submit(batch, settings) for batch in batches]
        del batches
        for i in range(len(futures)):  # in submission order, so the tables do not depend on timing
            future, futures[i] = futures[i], None
            batch_outcomes, batch_seconds = future.result()
            if future.state.name != "Cached":  # a cached result's seconds were spent by an earlier run
                seconds.update(batch_seconds)
            done += len(batch_outcomes)
            outcomes.add(batch_outcomes, outlets)
            del future, batch_outcomes
            if (i + 1) % COLLECT_EVERY == 0:
                gc.collect()  # the finished task runs' cycles (see COLLECT_EVERY)
            reporter.advance(done)
    return outcomes, seconds
