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
    """Lists of Processed, appended in order and read back in that order, any number of times.

    With `features`, each new article's index inputs (transforms/features.py) are computed as its
    batch is appended -- in the flow's process while the workers still extract -- and spilled too,
    so the commit's index stages read them back (`features_of`) instead of computing them.
    """

    def __init__(self, items: list[Processed] | None = None, features: bool = False):
        self._file = tempfile.TemporaryFile(prefix="newsflow-run-")
        self._chunks: list[tuple[int, int]] = []  # (offset, length) of each appended list
        self._end = 0
        self._lock = threading.Lock()
        self.count = 0
        self.features = features
        # article_id -> (digest, offset, length of each part): the parts themselves are on disk
        self._features: dict[str, tuple] = {}
        if items:
            self.append(items)

    def append(self, processed: list[Processed]) -> None:
        if not processed:
            return
        data = pickle.dumps(processed, protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            self._chunks.append((self._write(data), len(data)))
            self.count += len(processed)
        if self.features:
            self._add_features(processed)

    def _write(self, data: bytes) -> int:
        offset = self._end
        os.pwrite(self._file.fileno(), data, offset)
        self._end += len(data)
        return offset

    def _add_features(self, processed: list[Processed]) -> None:
        from newsflow.transforms.features import PARTS, compute, digest

        for p in processed:
            article = p.article
            if article.article_id in self._features:  # an exact copy: the first one is what gets loaded
                continue
            try:
                made = compute(article.title, article.text)
            except Exception:  # noqa: BLE001 -- not made ahead; a stage that needs it computes it (and fails) itself
                continue
            # Each part pickled on its own, one after the other: a stage reads back only its own.
            parts = [pickle.dumps(made[name], protocol=pickle.HIGHEST_PROTOCOL) for name in PARTS]
            with self._lock:
                offset = self._write(b"".join(parts))
            self._features[article.article_id] = (digest(article.title, article.text), offset,
                                                  *(len(data) for data in parts))

    def features_of(self, article_id: str, title: str | None, text: str, part: str):
        """The article's spilled `part` (transforms/features.py) if it was made from this very title and
        text, else None (the caller computes its own)."""
        from newsflow.transforms.features import PARTS, digest

        found = self._features.get(article_id)
        if found is None or found[0] != digest(title, text):
            return None
        i = PARTS.index(part)
        offset, lengths = found[1], found[2:]
        return pickle.loads(os.pread(self._file.fileno(), lengths[i], offset + sum(lengths[:i])))

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

    processed: Spill = field(default_factory=lambda: Spill(features=True))
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
