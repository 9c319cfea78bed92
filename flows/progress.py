"""Progress reporting from inside a flow to whoever runs it (the CLI draws a bar)."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol


class Progress(Protocol):
    def start(self, total: int) -> None: ...
    def advance(self, done: int) -> None: ...


class _Silent:
    def start(self, total: int) -> None:
        pass

    def advance(self, done: int) -> None:
        pass


_current: ContextVar[Progress] = ContextVar("newsflow_progress", default=_Silent())


def current() -> Progress:
    return _current.get()


@contextmanager
def reporting(progress: Progress):
    token = _current.set(progress)
    try:
        yield progress
    finally:
        _current.reset(token)
