"""A run's batch outcomes on disk while the run goes on, so memory does not grow with the corpus.

Each finished batch's articles (text, removed segments: ~25 kB a page) are pickled into one
anonymous temporary file (`tempfile.TemporaryFile`: unlinked at once, so a crashed run leaves
nothing behind for the next one to clean up) and read back a batch at a time by the commit.
Rejects and unchanged URLs are small and stay in memory.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from newsflow.transforms.models import Processed, Reject, Unchanged


class Spill:
    """Lists of Processed, appended in order and read back in that order, any number of times."""

    def __init__(self, items: list[Processed] | None = None):
        self._file = tempfile.TemporaryFile(prefix="newsflow-run-")
        self._chunks: list[tuple[int, int]] = []  # (offset, length) of each appended list
        self._end = 0
        self._lock = threading.Lock()
        self.count = 0
        if items:
            self.append(items)

    def append(self, processed: list[Processed]) -> None:
        if not processed:
            return
        data = pickle.dumps(processed, protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            os.pwrite(self._file.fileno(), data, self._end)
            self._chunks.append((self._end, len(data)))
            self._end += len(data)
            self.count += len(processed)

    def chunks(self) -> Iterator[list[Processed]]:
        """The appended lists, one at a time (each read from disk when it is reached)."""
        for offset, length in list(self._chunks):
            yield pickle.loads(os.pread(self._file.fileno(), length, offset))

    def __iter__(self) -> Iterator[Processed]:
        for chunk in self.chunks():
            yield from chunk

    def __len__(self) -> int:
        return self.count

    def close(self) -> None:
        self._file.close()

    # Not copied when Prefect snapshots a task's parameters: the file is the run's, not the task's.
    def __deepcopy__(self, memo):
        return self


@dataclass
class Outcomes:
    """What a run's batches produced: articles spilled to disk, rejects and unchanged URLs in memory."""

    processed: Spill = field(default_factory=Spill)
    rejects: list[Reject] = field(default_factory=list)
    unchanged: list[Unchanged] = field(default_factory=list)

    def add(self, outcomes: list, outlets: dict[str, str] | None = None) -> None:
        """File one batch's outcomes. Files get the outlet the user named (--source-name, a sources-file
        entry's paths) here, after the batch, so a batch's cached result does not depend on it."""
        processed = []
        for o in outcomes:
            if isinstance(o, Processed):
                if outlets and o.origin in outlets:
                    o.source = outlets[o.origin]
                processed.append(o)
            elif isinstance(o, Reject):
                self.rejects.append(o)
            elif isinstance(o, Unchanged):
                self.unchanged.append(o)
        self.processed.append(processed)

    def close(self) -> None:
        self.processed.close()
