"""Near-duplicate edges: candidate pairs from LSH buckets, verified by exact Jaccard, a chunk at a time.

The edges are what `gleaner.dedup.kernel.dedup` reads its removals and clusters off. Candidates come from
shared band hashes; a pair is an edge when the exact Jaccard of its shingle sets reaches the threshold.
Records are handled a chunk of whole candidate-graph components at a time, so only one chunk's shingles are
in memory at once, and buckets too large for all pairs are walked one pivot at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gleaner.dedup.arrays import unique
from gleaner.dedup.jaccard import ShingleSets
from gleaner.dedup.lsh import candidate_pairs
from gleaner.dedup.minhash import jaccard_estimate, signatures
from gleaner.dedup.sketch import BATCH_MAX_DOCS, map_ranges
from gleaner.dedup.unionfind import components

# Records in candidate pairs whose shingles are held at once while verifying (about 50 MB at 100 words).
VERIFY_CHUNK = 1 << 16
# An oversized bucket up to this many members has every pair's shared shingles counted at once (a square
# of int32 counts: 64 MB at the limit); a larger one, one pivot at a time.
PIVOT_MATRIX_DOCS = 4096


@dataclass(frozen=True)
class Edges:
    """Verified near-duplicate edges between exact-group representatives, as ranks (survival order)."""

    left: np.ndarray
    right: np.ndarray
    jaccard: np.ndarray  # exact, of the shingle sets
    estimate: np.ndarray  # MinHash's, the fraction of agreeing signature rows
    # every candidate pair outside oversized buckets (rows, left < right) with its exact Jaccard, known or
    # verified now: only when the caller passed what it knows (``near_edges``), to keep for next time
    checked: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None


# (left rows, right rows) of candidate pairs -> the exact Jaccard of each pair where the caller knows it
# (from an earlier run on the same texts), NaN where it does not
KnownJaccard = Callable[[np.ndarray, np.ndarray], np.ndarray]


class _DistinctLists:
    """The distinct shingles of some documents of a ``ShingleSets``, sorted within each document, flat, so
    that a document's Jaccard against all the others is counted in one pass rather than by sorting each
    pair's two lists together (``ShingleSets.jaccard``)."""

    def __init__(self, sets: ShingleSets, docs: np.ndarray) -> None:
        values, offsets = sets.lists(docs)
        owner = np.repeat(np.arange(len(docs)), np.diff(offsets))
        order = np.lexsort((values, owner))
        values, owner = values[order], owner[order]
        first = np.ones(len(values), dtype=bool)
        first[1:] = (values[1:] != values[:-1]) | (owner[1:] != owner[:-1])
        self.values, self.owner = values[first], owner[first]
        self.sizes = np.bincount(self.owner, minlength=len(docs))
        self.starts = np.concatenate([[0], np.cumsum(self.sizes)])
        self._common: np.ndarray | None = None
        if len(docs) <= PIVOT_MATRIX_DOCS:  # every pair's shared count at once: a sparse product
            from scipy.sparse import csr_matrix

            _, column = np.unique(self.values, return_inverse=True)
            incidence = csr_matrix(
                (np.ones(len(column), dtype=np.int32), (self.owner, column)),
                shape=(len(docs), int(column.max(initial=-1)) + 1),
            )
            self._common = (incidence @ incidence.T).toarray()

    def jaccard_with(self, doc: int) -> np.ndarray:
        """|A & B| / |A | B| of document ``doc`` against every document (1.0 where both are empty): the same
        integers divided as in ``ShingleSets.jaccard``, so the same figures to the last bit."""
        if self._common is not None:
            common = self._common[doc]
        else:
            mine = self.values[self.starts[doc] : self.starts[doc + 1]]
            found = np.minimum(np.searchsorted(mine, self.values), max(len(mine) - 1, 0))
            hit = mine[found] == self.values if len(mine) else np.zeros(len(self.values), dtype=bool)
            common = np.bincount(self.owner[hit], minlength=len(self.sizes))
        union = self.sizes[doc] + self.sizes - common
        return np.where(union > 0, common / np.maximum(union, 1), 1.0)


def _pivot_edges(
    bucket: np.ndarray, sets: ShingleSets, row: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edges of a bucket too large for all pairs (rows of ``sets``, ascending survival order).

    One pivot at a time: the earliest member left is compared with every other one left, and those at or
    above the threshold leave with it (they are removed in its favour unless the pivot itself goes). That
    is every edge when the bucket's clusters are cliques; otherwise a member joined to a pivot is not
    compared with the members after it, which by the triangle inequality of Jaccard distance are within
    2 * threshold - 1 of the pivot (0.6 at 0.8), near misses themselves.

    In buckets of templated pages nearly every member becomes a pivot, so the comparisons are counted for
    the whole bucket at once (``_DistinctLists``), not by a sort per pair; the walk reads them.
    """
    lefts, rights, similarities = [], [], []
    members = _DistinctLists(sets, row[bucket])
    alive = np.ones(len(bucket), dtype=bool)
    for pivot in range(len(bucket)):
        if not alive[pivot]:  # left with an earlier pivot
            continue
        alive[pivot] = False  # every member before it has left: it is the earliest one left
        if not alive.any():
            break
        similarity = members.jaccard_with(pivot)
        matched = alive & (similarity >= threshold)
        lefts.append(np.full(int(matched.sum()), bucket[pivot]))
        rights.append(bucket[matched])
        similarities.append(similarity[matched])
        alive &= ~matched
    empty = [np.zeros(0, np.int64)]
    return np.concatenate(empty + lefts), np.concatenate(empty + rights), np.concatenate([np.zeros(0)] + similarities)


def _work_chunks(n: int, left: np.ndarray, right: np.ndarray, big: list[np.ndarray]) -> np.ndarray:
    """A chunk number per node of the candidate graph (``n`` nodes; pairs and buckets as edges), such that
    a connected component stays in one chunk and a chunk holds about ``VERIFY_CHUNK`` nodes."""
    bucket_left = [np.full(len(b) - 1, b[0]) for b in big]
    bucket_right = [b[1:] for b in big]
    label = components(n, np.concatenate([left, *bucket_left]), np.concatenate([right, *bucket_right]))
    sizes = np.bincount(label, minlength=n)
    roots = np.flatnonzero(sizes)
    chunk_of_root = np.zeros(n, dtype=np.int64)
    chunk_of_root[roots] = (np.cumsum(sizes[roots]) - sizes[roots]) // VERIFY_CHUNK
    return chunk_of_root[label]


def _estimates(sets: ShingleSets, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """MinHash estimates of the Jaccard of pairs of documents in ``sets``, from signatures computed again
    a slice of pairs at a time (keeping every candidate's from the first pass would cost more memory than
    recomputing those of the few with edges costs time)."""
    out = np.empty(len(left))

    def work(start: int, end: int) -> None:
        out[start:end] = jaccard_estimate(
            signatures(*sets.lists(left[start:end])), signatures(*sets.lists(right[start:end]))
        )

    map_ranges([(s, min(s + BATCH_MAX_DOCS, len(left))) for s in range(0, len(left), BATCH_MAX_DOCS)], work)
    return out


def near_edges(
    bands: np.ndarray,
    rep: np.ndarray,
    rank: np.ndarray,
    candidates: Callable[[np.ndarray], list[tuple[np.ndarray, np.ndarray]]],
    threshold: float,
    known: KnownJaccard | None = None,
) -> Edges:
    """Every candidate pair among the exact-group representatives, verified by exact Jaccard.

    ``candidates(rows)`` gives the shingle hashes (in parts) of records ``rows`` (ascending). The records in
    candidate pairs are handled a chunk of whole candidate-graph components at a time, so only one chunk's
    shingles are in memory at once, whatever the input's size.

    ``known``: what the caller knows of the pairs' Jaccard. A pair known to fall below ``threshold`` is no
    edge and is not verified again, so a record none of whose pairs needs verifying is never shingled; a
    pair known to reach it is verified again (its edge needs the MinHash estimate, from the shingles). The
    edges are the ones verifying every pair gives, and ``Edges.checked`` holds every pair's Jaccard.
    """
    all_left, all_right, big = candidate_pairs(bands, np.flatnonzero(rep == np.arange(len(rep))))
    left, right, already, verify = all_left, all_right, None, None
    if known is not None:
        already = np.asarray(known(all_left, all_right), dtype=np.float64)
        verify = np.flatnonzero(~(already < threshold))  # unknown (NaN) or an edge
        left, right = all_left[verify], all_right[verify]
    big = list({tuple(b.tolist()): b for b in big}.values())  # a family fills several bands
    big = [b[np.argsort(rank[b])] for b in big]
    involved = unique(np.concatenate([left, right, *big]))
    local = np.full(len(rep), -1, dtype=np.int64)
    local[involved] = np.arange(len(involved))
    chunk = _work_chunks(len(involved), local[left], local[right], [local[b] for b in big])
    by_chunk = np.argsort(chunk, kind="stable")
    row_cuts = np.searchsorted(chunk[by_chunk], np.arange(chunk.max(initial=-1) + 2))
    pair_chunk = chunk[local[left]]
    pair_order = np.argsort(pair_chunk, kind="stable")
    pair_cuts = np.searchsorted(pair_chunk[pair_order], np.arange(len(row_cuts)))
    bucket_chunk = [int(chunk[local[b[0]]]) for b in big]

    del local, chunk, pair_chunk
    found: list[tuple[np.ndarray, ...]] = []
    verified: list[tuple[np.ndarray, np.ndarray]] = []  # (positions in left/right, Jaccard), with `known`
    row = np.full(len(rep), -1, dtype=np.int64)  # a record's row in the chunk's sets
    for c in range(len(row_cuts) - 1):
        rows = involved[by_chunk[row_cuts[c] : row_cuts[c + 1]]]  # ascending: involved is, the sort stable
        row[rows] = np.arange(len(rows))
        sets = ShingleSets(candidates(rows))
        pairs = pair_order[pair_cuts[c] : pair_cuts[c + 1]]
        similarity = sets.jaccard(row[left[pairs]], row[right[pairs]])
        if already is not None:
            verified.append((pairs, similarity))
        similar = similarity >= threshold
        edges = [(left[pairs][similar], right[pairs][similar], similarity[similar])]
        edges += [_pivot_edges(b, sets, row, threshold) for b, bc in zip(big, bucket_chunk, strict=True) if bc == c]
        a, b, jaccard = (np.concatenate(part) for part in zip(*edges, strict=True))
        found.append((rank[a], rank[b], jaccard, _estimates(sets, row[a], row[b])))
        del sets
        row[rows] = -1
    checked = None
    if already is not None:
        jaccard = already.copy()
        for pairs, similarity in verified:
            jaccard[verify[pairs]] = similarity
        checked = (all_left, all_right, jaccard)
    if not found:
        empty = np.zeros(0, dtype=np.int64)
        return Edges(empty, empty, np.zeros(0), np.zeros(0), checked)
    return Edges(*(np.concatenate(part) for part in zip(*found, strict=True)), checked)
