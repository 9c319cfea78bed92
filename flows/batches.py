"""The CPU-heavy stages, batched into Prefect tasks: read → extract → clean → normalize.

Shared by `ingest` and `reprocess`. A batch is a pure function of its items and the settings, so
its result can be cached across runs (flows/cache.py) and it can run in a thread, a process or on
Dask. Every failure on one input becomes that input's Reject; nothing in a batch is retried,
because nothing in it is transient: local bytes are read once, and fetching happened before.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from prefect import task

from newsflow.acquire.read import read_item
from newsflow.acquire.web import with_fetch_info
from newsflow.flows import progress
from newsflow.flows.cache import batch_cache_key
from newsflow.flows.timing import StageTimer
from newsflow.settings import Settings
from newsflow.transforms.clean import clean
from newsflow.transforms.extract import extract
from newsflow.transforms.models import Processed, Reject, Rejected, Unchanged
from newsflow.transforms.normalize import normalize

CACHE_FOR = timedelta(days=7)  # how long a batch's extraction result may be reused


def assign_outlets(processed: list[Processed], outlets: dict[str, str]) -> list[Processed]:
    """Set the outlet the user named for files (--source-name, a sources-file entry's paths).

    Applied after the batches, so a batch's cached extraction result does not depend on it.
    """
    for p in processed:
        if p.origin in outlets:
            p.source = outlets[p.origin]
    return processed


def process_item(item, settings: Settings, timer: StageTimer | None = None) -> Processed | Reject:
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
    except Rejected as exc:
        return Reject(item.origin, exc.stage, exc.reason, exc.detail)
    except Exception as exc:  # a bug or a library failure on one page must not stop the run
        return Reject(item.origin, timer.stage, "error", f"{type(exc).__name__}: {exc}")
    finally:
        timer.enter(None)
    return Processed(origin=item.origin, kind=item.kind, raw_sha256=raw.raw_sha256,
                     fetched_at=raw.fetched_at, article=article, removed=extracted.removed + cleaned.removed,
                     url=raw.url, source=raw.source, charset_note=extracted.charset_note)


@task(name="process-batch", cache_key_fn=batch_cache_key, cache_expiration=CACHE_FOR, persist_result=True)
def process_batch(items: list, settings: Settings) -> tuple[list[Processed | Reject | Unchanged], dict[str, float]]:
    """The batch's outcomes, in order, and the seconds spent in each stage.

    Items the fetch stage already settled (Reject, Unchanged) pass through as they are.
    """
    timer = StageTimer()
    outcomes = [item if isinstance(item, (Reject, Unchanged)) else with_fetch_info(process_item(item, settings, timer), item)
                for item in items]
    return outcomes, timer.stop()


def run_batches(items: list, settings: Settings) -> tuple[list, Counter]:
    """Submit one process-batch per `batch_size` items; outcomes in input order and summed stage seconds."""
    reporter = progress.current()
    reporter.start(len(items))
    batches = [items[i:i + settings.batch_size] for i in range(0, len(items), settings.batch_size)]
    futures = [process_batch.submit(batch, settings) for batch in batches]
    outcomes: list = []
    seconds: Counter = Counter()
    for future in futures:  # in submission order, so the tables do not depend on timing
        batch_outcomes, batch_seconds = future.result()
        outcomes.extend(batch_outcomes)
        seconds.update(batch_seconds)
        reporter.advance(len(outcomes))
    return outcomes, seconds
