"""Warehouse errors with messages that say what to do."""


class WarehouseError(Exception):
    """A warehouse operation failed; the file is unchanged."""


class NoWarehouse(WarehouseError):
    """A command that reads or redoes runs was pointed at a warehouse file that is not there."""

    def __init__(self, path):
        super().__init__(f"no database at {path}; run `newsflow ingest` first or pass --db")


class WarehouseLocked(WarehouseError):
    def __init__(self, path: str, waited: float, detail: str):
        holder = detail.split("Conflicting lock is held in", 1)[-1].split(". See", 1)[0].strip()
        super().__init__(
            f"database {path} is in use by another process ({holder}); waited {waited:.0f}s. "
            "Wait for that run to finish, or raise lock_timeout (--lock-timeout, NEWSFLOW_LOCK_TIMEOUT)."
        )
