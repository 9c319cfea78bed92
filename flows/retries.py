"""Which task failures are worth a retry: transient faults yes, bad data and held locks no."""

from __future__ import annotations

# Connection and timeout errors (a lost Dask worker, a flaky network share, a busy disk) can pass;
# a missing or forbidden file will not.
_PERMANENT_OS_ERRORS = (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)


def is_transient(exc: BaseException) -> bool:
    """True for faults that may pass on their own: I/O hiccups, lost connections, write conflicts."""
    from newsflow.warehouse.errors import WarehouseError

    if isinstance(exc, WarehouseError):  # a held lock was already waited for; a bad file stays bad
        return False
    if isinstance(exc, (TimeoutError, ConnectionError)):
        return True
    if isinstance(exc, OSError):
        return not isinstance(exc, _PERMANENT_OS_ERRORS)
    import duckdb

    # A write-write conflict or an I/O error while writing; the load is one transaction, so a retry is safe.
    return isinstance(exc, (duckdb.TransactionException, duckdb.IOException))


def retry_transient(task, task_run, state) -> bool:
    """Prefect `retry_condition_fn`: retry only when the task failed with a transient fault."""
    try:
        state.result()
    except Exception as exc:  # noqa: BLE001 - the task's own exception, classified below
        return is_transient(exc)
    return False


def retry_follows(exc: BaseException) -> bool:
    """Inside a task run: will Prefect run this task again after it raises `exc`?

    Prefect's own test (task_engine handle_retry): attempts left, and the task's retry condition
    passes. A task records a final outcome (a failed run) only when none follows.
    """
    from prefect.context import TaskRunContext
    from prefect.states import Failed

    context = TaskRunContext.get()
    if context is None or context.task_run is None:
        return False
    task, task_run = context.task, context.task_run
    if task_run.run_count > task.retries:  # run_count counts this attempt; retries the extra ones
        return False
    condition = task.retry_condition_fn
    if condition is None:
        return True
    try:
        return bool(condition(task, task_run, Failed(data=exc)))
    except Exception:  # noqa: BLE001 - Prefect treats a failing condition as "no retry" too
        return False
