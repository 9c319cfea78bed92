"""The batch loop lets go of each finished batch's articles (flows/batches.py, COLLECT_EVERY).

A finished Prefect task run is a reference cycle that still holds the batch's result after the
flow has spilled it to disk; only a full garbage collection frees it. With the automatic
collector switched off, the articles still alive after `run_batches` are exactly what the loop
leaves for it to find.
"""

from __future__ import annotations

import gc

from newsflow.acquire.files import discover
from newsflow.flows import batches
from newsflow.settings import SAMPLES_DIR, Settings
from newsflow.transforms.models import Processed


def _alive_processed() -> int:
    return sum(1 for o in gc.get_objects() if isinstance(o, Processed))


def test_finished_batches_articles_are_freed_during_the_run(prefect_harness, monkeypatch):
    from prefect import flow
    from prefect.task_runners import ThreadPoolTaskRunner

    monkeypatch.setattr(batches, "COLLECT_EVERY", 2)
    items, _ = discover([SAMPLES_DIR])
    settings = Settings(batch_size=1, workers=1, cache_extraction=False)  # a batch per sample, all computed

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=1))
    def only_batches() -> tuple[int, int, int]:
        gc.collect()
        before = _alive_processed()
        gc.disable()  # the automatic collector would hide what the loop holds on to
        try:
            outcomes, _ = batches.run_batches(items, settings)
            alive = _alive_processed() - before
        finally:
            gc.enable()
        spilled = len(outcomes.processed)
        assert len(list(outcomes.processed)) == spilled  # still readable from the spill file
        outcomes.close()
        return spilled, alive, len(items)

    spilled, alive, inputs = only_batches()
    assert inputs >= 10 and spilled >= 10
    # At most the batches after the last collection (COLLECT_EVERY = 2, one article each); without
    # the collections every batch's articles stay alive until the run's next full collection.
    assert alive <= 2, f"{alive} of {spilled} articles still in memory after run_batches"
