"""Near-duplicate detection: MinHash over word shingles, LSH band hashes, exact Jaccard to confirm.

Pure functions on plain data. The persisted index (signatures and band hashes) lives in the
warehouse; `warehouse.similarity` reads candidates from it and writes new entries back.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import numpy as np

from newsflow.transforms.normalize import fold

_WORD = re.compile(r"\w+")
_U64 = np.uint64
_MIX1, _MIX2 = _U64(0xFF51AFD7ED558CCD), _U64(0xC4CEB9FE1A85EC53)
_SHINGLE_MUL = _U64(0x9E3779B97F4A7C15)  # odd constant: combining token hashes stays order-sensitive

PREFILTER_MARGIN = 0.2
"""A candidate whose MinHash estimate is this far below the threshold is dropped without reading its
text. At 128 permutations the estimate's standard error is at most 0.044, so a true pair at the
threshold falls 0.2 below it with probability ~3e-6; unrelated texts that share a band by chance
(their number grows with the index) cost a signature comparison, not a text read."""


@dataclass(frozen=True)
class IndexParams:
    """How signatures and band hashes are made. Stored with the index: changing any of it needs a rebuild."""

    shingle_size: int = 3
    num_perm: int = 128
    bands: int = 42
    rows: int = 3
    seed: int = 1
    scheme: str = "affine32"

    def __post_init__(self):
        if self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands*rows = {self.bands * self.rows} exceeds num_perm = {self.num_perm}")

    def describe(self) -> str:
        """One string naming everything a stored signature depends on, datasketch version included."""
        import datasketch

        return (f"minhash/{self.scheme}/k={self.shingle_size}/perm={self.num_perm}/seed={self.seed}"
                f"/bands={self.bands}x{self.rows}/datasketch={datasketch.__version__}")

    def candidate_probability(self, jaccard: float) -> float:
        """Chance that two texts with this Jaccard share at least one band (the LSH S-curve)."""
        return 1.0 - (1.0 - jaccard ** self.rows) ** self.bands


DEFAULT_PARAMS = IndexParams()


@dataclass(frozen=True)
class Entry:
    """An article as the near-duplicate stage sees it: its shingle set, signature and rank key.

    `shingles` may be None for an indexed article whose text was not read (only its signature
    was needed, e.g. the head of a group that no new article shares a band with).
    """

    article_id: str
    key: tuple
    signature: np.ndarray
    shingles: np.ndarray | None = None
    canonical_id: str | None = None  # indexed articles: the head of their group (None = itself)


@dataclass(frozen=True)
class Match:
    """The decision for one new article: `duplicate_of` None means it heads its own group."""

    article_id: str
    duplicate_of: str | None
    similarity: float | None


@dataclass(frozen=True)
class Repoint:
    """An indexed group whose head `old` now follows `new` (a new article bridged or outranked it)."""

    old: str
    new: str


@dataclass(frozen=True)
class Decision:
    matches: list[Match]
    repoints: list[Repoint]


def tokens(text: str) -> list[str]:
    """Words of the folded text: case, quotes, dashes and punctuation do not count."""
    return _WORD.findall(fold(text))


@lru_cache(maxsize=1 << 18)
def _token_hash(token: str) -> int:
    # blake2b, not hash(): the value must be the same on every machine and every run.
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")


def _mix(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> _U64(33))
    h = h * _MIX1
    h = h ^ (h >> _U64(33))
    h = h * _MIX2
    return h ^ (h >> _U64(33))


def shingles(text: str, k: int = DEFAULT_PARAMS.shingle_size) -> np.ndarray:
    """Sorted distinct 32-bit hashes of the word k-grams (one shingle if the text is shorter)."""
    words = tokens(text)
    if not words:
        return np.empty(0, dtype=np.uint32)
    hashes = np.fromiter((_token_hash(w) for w in words), dtype=np.uint64, count=len(words))
    n = max(len(words) - k + 1, 1)
    h = hashes[:n].copy()
    with np.errstate(over="ignore"):
        for j in range(1, min(k, len(words))):
            h = _mix(h * _SHINGLE_MUL + hashes[j:j + n])
        h = _mix(h)
    return np.unique((h ^ (h >> _U64(32))).astype(np.uint32))


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard similarity of two shingle sets (sorted distinct arrays)."""
    if len(a) == 0 or len(b) == 0:
        return 0.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)


@lru_cache(maxsize=8)
def _template(num_perm: int, seed: int, scheme: str):
    from datasketch import MinHash

    return MinHash(num_perm=num_perm, seed=seed, scheme=scheme, hashfunc=int)


def signature(shingle_set: np.ndarray, params: IndexParams = DEFAULT_PARAMS) -> np.ndarray:
    """MinHash signature (uint32[num_perm]) of a shingle set, computed by datasketch."""
    from datasketch import MinHash

    tpl = _template(params.num_perm, params.seed, params.scheme)
    m = MinHash(num_perm=params.num_perm, seed=params.seed, scheme=params.scheme, hashfunc=int,
                permutations=tpl.permutations)
    if len(shingle_set):
        m.update_batch(shingle_set.tolist())
    return np.asarray(m.hashvalues, dtype=np.uint32)


def estimate(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    """MinHash estimate of the Jaccard similarity: the share of equal signature slots."""
    return round(float(np.count_nonzero(sig_a == sig_b)) / len(sig_a), 4)


def plausible(sig_a: np.ndarray, sig_b: np.ndarray, threshold: float) -> bool:
    """Whether the estimate leaves a chance that the exact Jaccard reaches `threshold`."""
    return estimate(sig_a, sig_b) >= threshold - PREFILTER_MARGIN


def plausible_pairs(sigs_a: np.ndarray, sigs_b: np.ndarray, threshold: float) -> np.ndarray:
    """`plausible` for many pairs at once: row i of the two (pairs, num_perm) arrays is one pair.

    One array comparison instead of a Python call per pair: chance candidates grow with the index.
    The cut is taken from `estimate` itself (one verdict per possible count of equal slots), so
    the verdicts are exactly those of `plausible`."""
    num_perm = sigs_a.shape[1]
    ok = np.array([round(c / num_perm, 4) >= threshold - PREFILTER_MARGIN for c in range(num_perm + 1)])
    return ok[np.count_nonzero(sigs_a == sigs_b, axis=1)]


def band_hashes(sig: np.ndarray, params: IndexParams = DEFAULT_PARAMS) -> list[int]:
    """One signed 64-bit hash per LSH band (the band number is hashed in, so one column holds all)."""
    if np.all(sig == np.iinfo(np.uint32).max):
        return []  # empty text: every such signature is equal, never a candidate
    out = []
    raw = sig.astype("<u4").tobytes()
    width = params.rows * 4
    for band in range(params.bands):
        digest = hashlib.blake2b(raw[band * width:(band + 1) * width], digest_size=8,
                                 salt=band.to_bytes(16, "little")).digest()
        out.append(int.from_bytes(digest, "little", signed=True))
    return out


def to_blob(sig: np.ndarray) -> bytes:
    return sig.astype("<u4").tobytes()


def from_blob(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<u4").astype(np.uint32)


def from_blobs(blobs: Sequence[bytes], num_perm: int) -> np.ndarray:
    """Many stored signatures as one (len(blobs), num_perm) array."""
    return np.frombuffer(b"".join(blobs), dtype="<u4").reshape(len(blobs), num_perm).astype(np.uint32)


def rank_key(published_at: datetime | None, first_seen_at: datetime, article_id: str) -> tuple:
    """Canonical order: earliest published (unknown last), then earliest seen, then article_id."""
    return (published_at is None, published_at.timestamp() if published_at else 0.0,
            first_seen_at.timestamp(), article_id)


def entry(article_id: str, text: str, key: tuple, params: IndexParams = DEFAULT_PARAMS) -> Entry:
    """Shingle and sign one new article."""
    sh = shingles(text, params.shingle_size)
    return Entry(article_id, key, signature(sh, params), sh)


class _Groups:
    """Union-find; the result depends only on which pairs were joined, never on the order."""

    def __init__(self):
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def candidate_pairs(new: Sequence[Entry], known: Sequence[Entry],
                    params: IndexParams = DEFAULT_PARAMS) -> list[tuple[str, str]]:
    """Pairs (sorted ids) sharing at least one band, where at least one side is new."""
    new_ids = {e.article_id for e in new}
    buckets: dict[int, list[str]] = {}
    for e in [*new, *known]:
        for h in band_hashes(e.signature, params):
            buckets.setdefault(h, []).append(e.article_id)
    pairs = set()
    for ids in buckets.values():
        if len(ids) < 2:
            continue
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                if a != b and (a in new_ids or b in new_ids):
                    pairs.add((min(a, b), max(a, b)))
    return sorted(pairs)


def decide(new: Sequence[Entry], known: Sequence[Entry], threshold: float,
           params: IndexParams = DEFAULT_PARAMS) -> Decision:
    """Link new articles to indexed ones (and to each other) whose exact Jaccard reaches `threshold`.

    `known` holds the indexed articles that share a band with a new one, plus the heads of their
    groups. Linked articles form one group whose head is the lowest `key`; every other member
    names the head in `duplicate_of`, with the MinHash-estimated Jaccard to it as `similarity`.
    The result depends only on the set of inputs, not their order.
    """
    by_id = {e.article_id: e for e in [*known, *new]}
    groups = _Groups()
    for e in known:
        if (e.canonical_id or e.article_id) in by_id:  # a head missing from `known` is left alone
            groups.union(e.article_id, e.canonical_id or e.article_id)
    for e in new:
        groups.find(e.article_id)
    for a, b in candidate_pairs(new, known, params):
        ea, eb = by_id[a], by_id[b]
        if not plausible(ea.signature, eb.signature, threshold):
            continue
        if ea.shingles is None or eb.shingles is None:
            continue
        if jaccard(ea.shingles, eb.shingles) >= threshold:
            groups.union(a, b)

    members: dict[str, list[str]] = {}
    for article_id in by_id:
        members.setdefault(groups.find(article_id), []).append(article_id)
    new_ids = {e.article_id for e in new}
    matches, repoints = [], set()
    for ids in members.values():
        if not new_ids.intersection(ids):
            continue
        head = min(ids, key=lambda i: by_id[i].key)
        for i in ids:
            e = by_id[i]
            if i not in new_ids:
                old_head = e.canonical_id or i
                if old_head != head and old_head == i:
                    repoints.add(Repoint(i, head))
                continue
            if i == head:
                matches.append(Match(i, None, None))
            else:
                matches.append(Match(i, head, estimate(e.signature, by_id[head].signature)))
    return Decision(sorted(matches, key=lambda m: m.article_id), sorted(repoints, key=lambda r: r.old))


def minimum_threshold(params: IndexParams = DEFAULT_PARAMS, recall: float = 0.99) -> float:
    """Lowest Jaccard at which LSH still proposes a pair with at least `recall` probability."""
    lo, hi = 0.0, 1.0
    for _ in range(40):
        mid = (lo + hi) / 2
        if params.candidate_probability(mid) >= recall:
            hi = mid
        else:
            lo = mid
    return round(hi, 3)


def check_threshold(threshold: float, params: IndexParams = DEFAULT_PARAMS) -> None:
    """Refuse a threshold below what the band layout can find reliably."""
    floor = minimum_threshold(params)
    if not floor <= threshold <= 1.0:
        raise ValueError(
            f"neardup_threshold {threshold} is outside [{floor}, 1.0]: below {floor} the LSH bands "
            f"({params.bands}x{params.rows}) miss more than 1% of pairs; use more bands of fewer rows "
            "and rebuild the index (see docs/dedup.md)")
