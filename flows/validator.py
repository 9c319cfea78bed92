"""Data-quality validation in a process of its own, started as a run starts.

`import great_expectations` costs ~3.5 s of CPU, more than everything else a small run does. In
the flow's process it cannot overlap with anything (a thread importing holds the GIL), so a 5-page
run waited for it. Started when the CLI starts a run, this process imports GX on the other core
while the flow's process starts Prefect, discovers and extracts; the commit then sends it the
run's frames and gets the Report back. Same GX, same suites, same results: only the process
differs. Runs not started by the CLI (deployments, tests calling the flow) validate in-process.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

_EXECUTOR: ProcessPoolExecutor | None = None
_READY: Future | None = None


def _load() -> bool:
    from newsflow.expectations.runner import load_gx

    load_gx()
    return True


def _validate(frames, config, run_id, docs_dir):
    from newsflow.expectations.runner import validate

    return validate(frames, config, run_id, docs_dir)


def start() -> None:
    """Start the validation process and its GX import now (once per process; stopped by `stop`)."""
    global _EXECUTOR, _READY
    if _EXECUTOR is None:
        # spawn: a fresh interpreter that imports only what validation needs (forkserver is the
        # worker pool's, preloaded with the extractor; fork would copy Prefect's threads).
        _EXECUTOR = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        _READY = _EXECUTOR.submit(_load)


def validator():
    """A function (frames, config, run_id, docs_dir) -> Report running in the started process (once:
    the process stops after it), or None when no process was started."""
    executor = _EXECUTOR
    if executor is None:
        return None

    def run(frames, config, run_id, docs_dir):
        try:
            return executor.submit(_validate, frames, config, run_id, docs_dir).result()
        except BrokenProcessPool:  # the process died (killed, out of memory): validate here instead
            return _validate(frames, config, run_id, docs_dir)
        finally:
            stop()  # one validation per run: its memory (GX, the run's frames) goes back before the load


    return run


def stop() -> None:
    global _EXECUTOR, _READY
    if _EXECUTOR is not None:
        _EXECUTOR.shutdown(wait=True, cancel_futures=True)
    _EXECUTOR = _READY = None
