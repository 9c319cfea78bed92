"""Data-quality validation in a process of its own, started as a run starts.

`import great_expectations` costs ~3.5 s of CPU, more than everything else a small run does. In
the flow's process it cannot overlap with anything (a thread importing holds the GIL), so a 5-page
run waited for it. Started when the CLI starts a run, this process imports GX on the other core
while the flow's process starts Prefect, discovers and extracts; the commit then sends it the
run's frames and gets the Report back. Same GX, same suites, same results: only the process
differs. Runs not started by the CLI (deployments, tests calling the flow) validate in-process,
and so do runs big enough for the worker pool (`release`): their workers keep both cores busy, and
their frames are too big to hold twice.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from newsflow.flows.workers import FORKSERVER_PRELOAD

_EXECUTOR: ProcessPoolExecutor | None = None
_READY: Future | None = None
_LOCK = threading.RLock()
_IN_USE = False  # the commit is validating in the process: do not stop it under it
_LOCAL_GX = threading.Event()  # GX imported in this process too (release): no need for the process


def _watch_parent(parent: int) -> None:
    """Exit as soon as the process that started this one is gone, however it ended (even SIGKILL)."""
    import time

    def watch():
        while True:
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(0)
            time.sleep(0.5)

    threading.Thread(target=watch, name="newsflow-parent-watch", daemon=True).start()


def _load() -> bool:
    from newsflow.expectations.runner import load_gx

    load_gx()
    return True


def _validate(frames, config, run_id, docs_dir, **options):
    from newsflow.expectations.runner import validate

    return validate(frames, config, run_id, docs_dir, **options)


def start() -> None:
    """Start the validation process and its GX import now (once per process; stopped by `stop`)."""
    global _EXECUTOR, _READY
    if _EXECUTOR is None and not _LOCAL_GX.is_set():  # GX already here (an earlier big run): no need
        # The worker pool's fork server (flows/workers.py), started here with the same preload:
        # fork would copy Prefect's threads, and spawn would run the caller's main script again.
        # The fork server is then warm when (if) the run starts its workers.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(FORKSERVER_PRELOAD))
        _EXECUTOR = ProcessPoolExecutor(1, mp_context=context, initializer=_watch_parent, initargs=(os.getpid(),))
        _READY = _EXECUTOR.submit(_load)


def validator():
    """A function (frames, config, run_id, docs_dir, **options) -> Report running in the started process (once:
    the process stops after it), or None: validate in this process (none started, or GX is
    already imported here)."""
    global _IN_USE
    with _LOCK:
        if _EXECUTOR is None or _LOCAL_GX.is_set():
            stop()
            return None
        executor, _IN_USE = _EXECUTOR, True

    def run(frames, config, run_id, docs_dir, **options):
        global _IN_USE
        try:
            return executor.submit(_validate, frames, config, run_id, docs_dir, **options).result()
        except BrokenProcessPool:  # the process died (killed, out of memory): validate here instead
            return _validate(frames, config, run_id, docs_dir, **options)
        finally:
            with _LOCK:
                _IN_USE = False
                stop()  # one validation per run: its memory (GX, the run's frames) goes back before the load

    return run


def release() -> None:
    """A run big enough for the worker pool: no spare core to overlap on, and shipping its frames to
    another process would hold them twice. Import GX in a thread of this process (which mostly
    waits on its workers) and validate here; the process stops once that import is done, unless
    the commit came first and is using it (a re-run served from the cache commits at once)."""
    if _EXECUTOR is None:
        return

    def load():
        from newsflow.expectations.runner import load_gx

        load_gx()
        _LOCAL_GX.set()
        with _LOCK:
            if not _IN_USE:
                stop()

    threading.Thread(target=load, name="newsflow-gx-import", daemon=True).start()


def stop() -> None:
    global _EXECUTOR, _READY
    if _EXECUTOR is not None:
        # Killed, not asked to exit: a graceful exit (the interpreter's teardown of GX, ~1 s) would
        # be waited for at the end of the run. It holds nothing but a finished validation.
        processes = list(getattr(_EXECUTOR, "_processes", {}).values())
        _EXECUTOR.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.kill()
    _EXECUTOR = _READY = None
