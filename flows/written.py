"""What this process has committed to a warehouse, so an interrupted command (Ctrl-C) can say
truthfully whether it changed anything.

A run writes in one transaction (flows/commit.py; `newsflow validate` in flows/validate.py):
`committing` is marked as the last step inside it, `committed` once the COMMIT has returned. An
interrupt before the first mark left the warehouse as it was; one between the two may have come
while DuckDB was committing.
"""

from __future__ import annotations

_state: dict[str, str] = {}  # run id -> "committing" | "committed", in the order they began


def committing(run_id: str) -> None:
    _state[run_id] = "committing"


def committed(run_id: str) -> None:
    _state[run_id] = "committed"


def outcome() -> tuple[list[str], list[str]]:
    """(run ids committed, run ids whose COMMIT was under way) since the last `reset`."""
    return ([r for r, s in _state.items() if s == "committed"], [r for r, s in _state.items() if s == "committing"])


def reset() -> None:
    _state.clear()
