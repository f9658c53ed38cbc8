"""Exact and near-duplicate removal for one partition, optionally against earlier partitions' kept records.

Two stages share one clustering:

* exact: records whose normalized texts (``normalize_text``) are equal, i.e. have the same sha256
  (``content_hash``). Candidates come from a 64-bit hash of the whole normalized text computed alongside
  the shingles; only records whose key is shared get a sha256, which then decides.
* near: one representative per exact group (its earliest record) goes through MinHash LSH (word 5-gram
  shingles, 128 permutations, 16 bands x 8 rows); every candidate pair is verified by exact Jaccard of
  the shingle sets and joins a cluster when it reaches ``threshold``.

Clusters are connected components, so A~B and B~C put A and C together even when A and C are further
apart than the threshold; the reported ``jaccard`` is always between a removed record and its survivor,
and can therefore be below the threshold. The survivor is the earliest record (``time``, then ``id``;
records without a time come after all that have one); every record's ``cluster_id`` is its survivor's id.

Across partitions, the band hashes of every kept record live in the warehouse (``gleaner.lsh``). The
records they point at take part here as ``prior``: a new record in a cluster whose survivor is a prior
record is removed in its favour. When a new record is earlier than a prior record of its cluster, the new
record survives and the prior record is reported in ``stale_prior_ids``: it was kept by an earlier run
and is now a duplicate, which only a global pass over all kept records (dedup of their union) can settle.
Only kept records are indexed, so a chain that ran through a record removed in an earlier partition is
not followed; the global pass has the same blind spot, by design, because removed records are gone.

The result depends only on the set of records, not on their order: ids must be unique, every stage is a
function of (text, time, id), and everything returned is sorted by id.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import polars as pl

from gleaner.jaccard import ShingleSets
from gleaner.lsh import band_table, candidate_pairs
from gleaner.minhash import jaccard_estimate, signatures
from gleaner.shingles import ShingledBatch, content_hash, normalize_text
from gleaner.sketch import Sketches, shingle, sketch, take
from gleaner.unionfind import components

__all__ = [
    "DedupResult",
    "PriorCandidates",
    "Sketches",
    "band_table",
    "content_hash",
    "dedup",
    "normalize_text",
    "sketch",
]


@dataclass(frozen=True)
class PriorCandidates:
    """Earlier-kept records that share a band with the new partition (see ``lsh.find_prior_candidates``)."""

    ids: Sequence | pl.Series
    texts: Sequence[str | None] | pl.Series
    times: Sequence | pl.Series | None = None


@dataclass(frozen=True)
class DedupResult:
    """What dedup decided for the new records; ids have the input's type, every list is sorted by id."""

    kept_ids: list
    removals: pl.DataFrame  # removed_id, kept_id, kind ('exact' | 'near'), jaccard, est_jaccard
    cluster_of: dict  # every new record's id -> its survivor's id (itself when kept; may be a prior id)
    exact_removed: int
    near_removed: int
    bands: pl.DataFrame  # record_id (str), band (int16), hash (int64) of the kept records: the index rows
    stale_prior_ids: list = field(default_factory=list)


def _series(values: Sequence | pl.Series | None, name: str) -> pl.Series | None:
    if values is None:
        return None
    return values.rename(name) if isinstance(values, pl.Series) else pl.Series(name, list(values))


def _texts(values: Sequence[str | None] | pl.Series) -> list[str | None]:
    return values.to_list() if isinstance(values, pl.Series) else list(values)


def _priority(ids: pl.Series, times: pl.Series | None) -> np.ndarray:
    """Records in survival order: earliest time first (missing times last), then smallest id."""
    frame = pl.DataFrame({"id": ids}).with_row_index("row")
    if times is None:
        return frame.sort("id")["row"].to_numpy().astype(np.int64)
    frame = frame.with_columns(time=times)
    return frame.sort(["time", "id"], nulls_last=True)["row"].to_numpy().astype(np.int64)


def _exact_representatives(keys: np.ndarray, texts: list[str | None], order: np.ndarray) -> np.ndarray:
    """``rep[i]`` = the earliest record with the same normalized text as record ``i``."""
    rep = np.arange(len(keys), dtype=np.int64)
    shared = np.flatnonzero(pl.Series(keys).is_duplicated().to_numpy())
    if len(shared) == 0:
        return rep
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    first_of: dict[tuple[int, str], int] = {}
    for i in shared[np.argsort(rank[shared])].tolist():
        group = (int(keys[i]), content_hash(texts[i]))
        rep[i] = first_of.setdefault(group, i)
    return rep


def _near_edges(
    bands: np.ndarray,
    rep: np.ndarray,
    rank: np.ndarray,
    shingles: Callable[[np.ndarray], ShingledBatch],
    threshold: float,
) -> tuple[np.ndarray, np.ndarray, ShingleSets, ShingledBatch, np.ndarray]:
    """Verified near-duplicate edges between exact-group representatives, as (rank, rank) pairs.

    Also returns what the report needs again: the shingle sets and hashes of every record that was in a
    candidate pair, and ``local``, which maps a record to its row in them (-1 for the others).
    """
    reps = np.flatnonzero(rep == np.arange(len(rep)))
    left, right, big = candidate_pairs(bands[reps])
    left, right = reps[left], reps[right]
    big = [reps[b] for b in {tuple(b.tolist()): b for b in big}.values()]  # a family fills several bands
    involved = np.unique(np.concatenate([left, right, *big]))
    local = np.full(len(rep), -1, dtype=np.int64)
    local[involved] = np.arange(len(involved))
    shingled = shingles(involved)
    sets = ShingleSets(shingled.shingles, shingled.offsets)

    similar = sets.jaccard(local[left], local[right]) >= threshold
    edge_left, edge_right = [rank[left[similar]]], [rank[right[similar]]]
    for bucket in big:
        # One pivot at a time, in survival order. A member joined to a pivot, now or by an earlier edge, is
        # not a pivot itself: its pairs with the rest are skipped, which is exact when the bucket's clusters
        # are cliques and otherwise misses only links between members at least 0.6 from the pivot.
        labels = components(len(rep), np.concatenate(edge_left), np.concatenate(edge_right))
        remaining = bucket[np.argsort(rank[bucket])]
        while len(remaining) > 1:
            pivot, rest = remaining[0], remaining[1:]
            apart = np.flatnonzero(labels[rank[rest]] != labels[rank[pivot]])
            matched = np.ones(len(rest), dtype=bool)
            matched[apart] = sets.jaccard(np.full(len(apart), local[pivot]), local[rest[apart]]) >= threshold
            edge_left.append(np.full(int(matched[apart].sum()), rank[pivot]))
            edge_right.append(rank[rest[apart][matched[apart]]])
            remaining = rest[~matched]
    return np.concatenate(edge_left), np.concatenate(edge_right), sets, shingled, local


def _signatures_of(batch: ShingledBatch, rows: np.ndarray) -> np.ndarray:
    subset = take(batch, rows)
    return signatures(subset.shingles, subset.offsets)


def _estimates(sigs: Callable[[np.ndarray], np.ndarray], left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """MinHash Jaccard estimates for pairs of rows, ``sigs(rows)`` giving the signatures of ascending rows."""
    needed = np.unique(np.concatenate([left, right]))
    found = sigs(needed)
    return jaccard_estimate(found[np.searchsorted(needed, left)], found[np.searchsorted(needed, right)])


def dedup(
    ids: Sequence | pl.Series,
    texts: Sequence[str | None] | pl.Series,
    times: Sequence | pl.Series | None = None,
    threshold: float = 0.8,
    *,
    prior: PriorCandidates | None = None,
    sketches: Sketches | None = None,
) -> DedupResult:
    """Deduplicate one partition (see the module docstring for the rules).

    ``sketches`` may be passed when they were already computed for the prior-candidate join (``sketch``
    of the same texts, same order), which saves hashing the partition twice.
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    new_ids = _series(ids, "id")
    new_texts = _texts(texts)
    n_new = len(new_ids)
    if len(new_texts) != n_new or (times is not None and len(times) != n_new):
        raise ValueError("ids, texts and times must have the same length")
    if new_ids.null_count() or new_ids.is_duplicated().any():
        raise ValueError("ids must be unique and not null")
    prior_texts: list[str | None] = []
    if prior is not None and len(prior.ids):
        prior_ids = _series(prior.ids, "id").cast(new_ids.dtype, strict=True)
        fresh = ~prior_ids.is_in(new_ids.implode()).to_numpy()
        prior_texts = [t for t, f in zip(_texts(prior.texts), fresh, strict=True) if f]
    if sketches is None:
        sketches = sketch(new_texts)
    elif len(sketches) != n_new:
        raise ValueError("sketches do not match the texts")
    new_times = _series(times, "time")

    all_ids, all_texts, all_times = new_ids, new_texts, new_times
    keys, bands, kept_shingles = sketches.text_keys, sketches.bands, [sketches.shingles]
    n_prior = len(prior_texts)
    if n_prior:
        prior_times = _series(prior.times, "time")
        prior_sketches = sketch(prior_texts)
        all_ids = pl.concat([new_ids, prior_ids.filter(fresh)])
        all_texts = new_texts + prior_texts
        if new_times is not None or prior_times is not None:
            dtype = (new_times if new_times is not None else prior_times).dtype
            new_part = new_times if new_times is not None else pl.Series("time", [None] * n_new, dtype=dtype)
            old_part = (
                prior_times.filter(fresh) if prior_times is not None else pl.Series("time", [None] * n_prior)
            )
            all_times = pl.concat([new_part, old_part.cast(dtype, strict=True)])
        keys = np.concatenate([keys, prior_sketches.text_keys])
        bands = np.concatenate([bands, prior_sketches.bands])
        kept_shingles.append(prior_sketches.shingles)
    n = n_new + n_prior

    stored = sum(kept_shingles[1:], kept_shingles[0]) if None not in kept_shingles else None

    def shingles_of(rows: np.ndarray) -> ShingledBatch:
        return stored.take(rows) if stored is not None else shingle([all_texts[i] for i in rows.tolist()])

    order = _priority(all_ids, all_times)  # order[k] = the record with the k-th highest priority
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    rep = _exact_representatives(keys, all_texts, order)
    edge_left, edge_right, sets, shingled, local = _near_edges(bands, rep, rank, shingles_of, threshold)
    survivor = order[components(n, edge_left, edge_right)[rank[rep]]]

    # Everything below concerns the new records only (rows 0..n_new-1).
    new_rows = np.arange(n_new)
    survivors = survivor[:n_new]
    removed = np.flatnonzero(survivors != new_rows)
    kept = np.flatnonzero(survivors == new_rows)
    exact = rep[removed] == survivors[removed]
    near = removed[~exact]
    near_rep, near_survivor = local[rep[near]], local[survivors[near]]
    jaccard = np.ones(len(removed))
    estimate = np.ones(len(removed))
    if len(near):
        jaccard[~exact] = sets.jaccard(near_rep, near_survivor)
        if stored is not None:
            estimate[~exact] = _estimates(stored.take_signatures, rep[near], survivors[near])
        else:
            estimate[~exact] = _estimates(partial(_signatures_of, shingled), near_rep, near_survivor)

    id_list = all_ids.to_list()
    removals = pl.DataFrame(
        {
            "removed_id": all_ids.gather(removed),
            "kept_id": all_ids.gather(survivors[removed]),
            "kind": pl.Series(np.where(exact, "exact", "near").tolist(), dtype=pl.String),
            "jaccard": jaccard,
            "est_jaccard": estimate,
        }
    ).sort("removed_id")
    prior_rows = np.arange(n_new, n)
    stale = prior_rows[survivor[prior_rows] != prior_rows]
    return DedupResult(
        kept_ids=all_ids.gather(kept).sort().to_list(),
        removals=removals,
        cluster_of={
            id_list[i]: id_list[s] for i, s in zip(new_rows.tolist(), survivors.tolist(), strict=True)
        },
        exact_removed=int(exact.sum()),
        near_removed=int((~exact).sum()),
        bands=band_table(all_ids.gather(kept), bands[kept]),
        stale_prior_ids=sorted(id_list[i] for i in stale.tolist()),
    )
