"""Exact and near-duplicate removal for one partition, optionally against earlier partitions' kept records.

Two stages share one graph of verified edges:

* exact: records whose normalized texts (``normalize_text``) are equal, i.e. have the same sha256
  (``content_hash``). Candidates come from a 64-bit hash of the whole normalized text computed alongside
  the shingles; only records whose key is shared get a sha256, which then decides.
* near: one representative per exact group (its earliest record) goes through MinHash LSH (word 5-gram
  shingles, 128 permutations, 16 bands x 8 rows); every candidate pair is verified by exact Jaccard of
  the shingle sets and becomes an edge when it reaches ``threshold``.

Records are ranked by survival priority: earliest ``time``, then smallest ``id`` (records without a time
come after all that have one). Two decisions are read off the edges:

* removal, greedily in priority order: a record is removed when it has an edge to a record already kept,
  in favour of the earliest such record (``kept_id``, with that pair's ``jaccard``); otherwise it is kept.
  So every removed record is at or above the threshold against a record that stays, and no two kept
  records are (kept records form an independent set, so deduplicating the output again removes nothing).
* ``cluster_id``: the earliest record of the connected component. A chain A~B~C with A and C apart keeps
  A and C (B goes for A) but puts all three in one cluster, so a split made by cluster never separates them.

An exact copy of a kept representative is removed as ``exact`` in its favour; a copy of a removed one
goes with it, as ``near``, in favour of the same kept record.

Across partitions, the band hashes of every kept record live in the warehouse (``gleaner.dedup.lsh``). The
records they point at take part here as ``prior``: a new record with an edge to a kept prior record that
is earlier is removed in its favour. When a new record is earlier than a prior record and the prior record
would be removed in its favour, the new record survives and the prior record is reported in
``stale_prior_ids``: it was kept by an earlier run and is now a duplicate, which only a global pass
settles (``gleaner.dedup.global_pass``). Only kept records are indexed; removed ones never remove anything, so
leaving them out changes nothing as long as the decisions they were removed by still stand.

The result depends only on the set of records, not on their order: ids must be unique, every stage is a
function of (text, time, id), and everything returned is sorted by id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import polars as pl

from gleaner.dedup.arrays import maybe_repeated, release_freed_memory
from gleaner.dedup.edges import KnownJaccard, near_edges
from gleaner.dedup.lsh import band_table, find_prior_candidates, write_band_index
from gleaner.dedup.shingles import content_hash, normalize_text
from gleaner.dedup.sketch import ShingleStore, Sketches, shingle_lists, sketch
from gleaner.dedup.unionfind import components, keep_earliest

__all__ = [
    "DedupResult",
    "PriorCandidates",
    "Sketches",
    "band_table",
    "content_hash",
    "dedup",
    "find_prior_candidates",
    "normalize_text",
    "sketch",
    "write_band_index",
]


# Texts stay in the container they came in: a polars column read from Parquet is turned into Python strings
# one batch at a time, never all at once (a million of them would double the memory of the input).
Texts = list[str | None] | pl.Series


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
    cluster_of: dict  # every new record's id -> its cluster's earliest record's id (may be a prior id)
    exact_removed: int
    near_removed: int
    kept_bands: np.ndarray  # (kept, BANDS) uint64 band hashes, in kept_ids order
    stale_prior_ids: list = field(default_factory=list)
    # with ``known_pairs``: every candidate pair outside oversized buckets as two arrays of input rows (the
    # new records, then the prior ones) and its exact Jaccard (``gleaner.dedup.edges.Edges.checked``)
    checked_pairs: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @cached_property
    def bands(self) -> pl.DataFrame:
        """The index rows of the kept records (``lsh.band_table``): record_id and band_0 .. band_15.

        Built on first use, not by ``dedup``, so that they never coexist with dedup's working memory.
        """
        return band_table(self.kept_ids, self.kept_bands)


def _series(values: Sequence | pl.Series | None, name: str) -> pl.Series | None:
    if values is None:
        return None
    if isinstance(values, pl.Series):
        return values.rename(name)
    return pl.Series(name, values if isinstance(values, np.ndarray | list) else list(values))


def _as_list(values: Sequence | pl.Series) -> list:
    """A list of the values, reusing the caller's objects where there are any (a million ids or texts
    copied into new Python strings would cost more memory than the rest of dedup)."""
    return values.to_list() if isinstance(values, pl.Series) else list(values)


def _priority(id_rank: np.ndarray, times: pl.Series | None) -> np.ndarray:
    """Records in survival order: earliest time first (missing times last), then smallest id."""
    if times is None:
        return np.argsort(id_rank)
    if times.dtype.is_numeric() or times.dtype.is_temporal():
        missing = times.is_null().to_numpy()
        values = times.to_physical().fill_null(0).to_numpy()
        return np.lexsort((id_rank, values, missing))
    frame = pl.DataFrame({"time": times, "id_rank": id_rank}).with_row_index("row")
    return frame.sort(["time", "id_rank"], nulls_last=True)["row"].to_numpy().astype(np.int64)


def _exact_representatives(keys: np.ndarray, texts: Texts, rank: np.ndarray) -> np.ndarray:
    """``rep[i]`` = the earliest record with the same normalized text as record ``i``.

    Only records whose 64-bit text key is shared get a sha256, which then decides.
    """
    rep = np.arange(len(keys), dtype=np.int64)
    candidates = maybe_repeated(keys)
    candidates = candidates[np.argsort(keys[candidates], kind="stable")]
    same = keys[candidates][1:] == keys[candidates][:-1]
    shared = np.zeros(len(candidates), dtype=bool)
    shared[1:] |= same
    shared[:-1] |= same
    candidates = candidates[shared]
    first_of: dict[tuple[int, str], int] = {}
    for i in candidates[np.argsort(rank[candidates])].tolist():
        group = (int(keys[i]), content_hash(texts[i]))
        rep[i] = first_of.setdefault(group, i)
    return rep


@dataclass(frozen=True)
class _Records:
    """The new records followed by the prior ones, with their sketches; rows ``< n_new`` are new."""

    ids: pl.Series
    id_list: list  # the same ids as Python objects
    texts: Texts
    times: pl.Series | None
    keys: np.ndarray
    bands: np.ndarray
    store: ShingleStore | None  # kept shingles and signatures, when the sketches kept them
    n_new: int

    def candidates(self, rows: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Shingle hashes and offsets of ``rows`` (ascending), in consecutive parts: kept from pass one when
        the sketches kept them, hashed again (on the thread pool) when not."""
        return shingle_lists(self.store, self.texts, rows)


def _records(
    ids: Sequence | pl.Series,
    texts: Sequence[str | None] | pl.Series,
    times: Sequence | pl.Series | None,
    prior: PriorCandidates | None,
    sketches: Sketches | None,
) -> _Records:
    new_id_list = _as_list(ids)
    new_ids = ids.rename("id") if isinstance(ids, pl.Series) else pl.Series("id", new_id_list)
    new_texts = texts if isinstance(texts, pl.Series) else list(texts)
    n_new = len(new_ids)
    if len(new_texts) != n_new or (times is not None and len(times) != n_new):
        raise ValueError("ids, texts and times must have the same length")
    if new_ids.null_count():
        raise ValueError("ids must not be null")
    if sketches is None:
        sketches = sketch(new_texts)
    elif len(sketches) != n_new:
        raise ValueError("sketches do not match the texts")
    new_times = _series(times, "time")
    if prior is None or not len(prior.ids):
        return _Records(
            new_ids,
            new_id_list,
            new_texts,
            new_times,
            sketches.text_keys,
            sketches.bands,
            sketches.shingles,
            n_new,
        )

    # A prior record that is also in this batch is this batch's own earlier version: the batch wins.
    prior_ids = _series(prior.ids, "id").cast(new_ids.dtype, strict=True)
    fresh = ~prior_ids.is_in(new_ids.implode()).to_numpy()
    prior_ids = prior_ids.filter(fresh)
    prior_texts = [t for t, f in zip(_as_list(prior.texts), fresh, strict=True) if f]
    prior_times = _series(prior.times, "time")
    prior_sketches = sketch(prior_texts)
    all_times = None
    if new_times is not None or prior_times is not None:
        dtype = (new_times if new_times is not None else prior_times).dtype
        new_part = new_times if new_times is not None else pl.Series("time", [None] * n_new, dtype=dtype)
        old_part = prior_times.filter(fresh) if prior_times is not None else pl.Series("time", [None] * len(prior_ids))
        all_times = pl.concat([new_part, old_part.cast(dtype, strict=True)])
    stores = (sketches.shingles, prior_sketches.shingles)
    return _Records(
        ids=pl.concat([new_ids, prior_ids]),
        id_list=new_id_list + prior_ids.to_list(),
        texts=(
            pl.concat([new_texts.cast(pl.String), pl.Series(prior_texts, dtype=pl.String)])
            if isinstance(new_texts, pl.Series)
            else new_texts + prior_texts
        ),
        times=all_times,
        keys=np.concatenate([sketches.text_keys, prior_sketches.text_keys]),
        bands=np.concatenate([sketches.bands, prior_sketches.bands]),
        store=stores[0] + stores[1] if None not in stores else None,
        n_new=n_new,
    )


def dedup(
    ids: Sequence | pl.Series,
    texts: Sequence[str | None] | pl.Series,
    times: Sequence | pl.Series | None = None,
    threshold: float = 0.8,
    *,
    prior: PriorCandidates | None = None,
    sketches: Sketches | None = None,
    known_pairs: KnownJaccard | None = None,
) -> DedupResult:
    """Deduplicate one partition (see the module docstring for the rules).

    ``sketches`` may be passed when they were already computed for the prior-candidate join (``sketch``
    of the same texts, same order), which saves hashing the partition twice. ``known_pairs``: the exact
    Jaccard of candidate pairs (input rows) known from an earlier run on the same texts; pairs known to fall
    below ``threshold`` are not verified again (``gleaner.dedup.edges.near_edges``), the result is the same,
    and ``DedupResult.checked_pairs`` holds every pair's Jaccard for the next run.
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    records = _records(ids, texts, times, prior, sketches)
    n, n_new = len(records.ids), records.n_new
    id_order = records.ids.arg_sort().to_numpy().astype(np.int64)
    in_order = records.ids.gather(id_order)
    if n > 1 and (in_order.slice(1) == in_order.slice(0, n - 1)).any():  # cheaper than a hash table
        raise ValueError("ids must be unique")
    del in_order
    id_rank = np.empty(n, dtype=np.int64)
    id_rank[id_order] = np.arange(n)
    order = _priority(id_rank, records.times)  # order[k] = the record with the k-th highest priority
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    rep = _exact_representatives(records.keys, records.texts, rank)
    edges = near_edges(records.bands, rep, rank, records.candidates, threshold, known_pairs)
    checked = edges.checked
    cluster = order[components(n, edges.left, edges.right)[rank[rep]]]
    partner, edge = keep_earliest(n, edges.left, edges.right)
    keeper = order[partner[rank[rep]]]  # the kept record each one goes in favour of (itself when kept)

    # Everything below concerns the new records only (rows 0..n_new-1).
    new_rows = np.arange(n_new)
    keepers = keeper[:n_new]
    removed = np.flatnonzero(keepers != new_rows)
    removed = removed[np.argsort(id_rank[removed])]  # reported in id order
    kept = np.flatnonzero(keepers == new_rows)
    exact = rep[removed] == keepers[removed]
    near = removed[~exact]
    jaccard = np.ones(len(removed))
    estimate = np.ones(len(removed))
    if len(near):
        jaccard[~exact] = edges.jaccard[edge[rank[rep[near]]]]
        estimate[~exact] = edges.estimate[edge[rank[rep[near]]]]
    del edges
    if records.store is None:  # a large input (see sketch.RETAIN_SHINGLES_CHARS)
        release_freed_memory()

    ids_out, id_list = records.ids, records.id_list
    if ids_out.dtype == pl.Null:  # no ids at all (an empty partition): the removal log is still typed
        ids_out = ids_out.cast(pl.String)
    prior_rows = np.arange(n_new, n)
    stale = prior_rows[keeper[prior_rows] != prior_rows]
    kept = kept[np.argsort(id_rank[kept])]
    kept_bands = records.bands[kept]
    records = replace(records, bands=kept_bands[:0])  # at a million records, 128 MB less at the peak below
    return DedupResult(
        kept_ids=[id_list[i] for i in kept.tolist()],
        removals=pl.DataFrame(
            {
                "removed_id": ids_out.gather(removed),
                "kept_id": ids_out.gather(keepers[removed]),
                "kind": pl.Series(np.where(exact, "exact", "near").tolist(), dtype=pl.String),
                "jaccard": jaccard,
                "est_jaccard": estimate,
            }
        ),
        cluster_of=dict(zip(id_list[:n_new], [id_list[c] for c in cluster[:n_new].tolist()], strict=True)),
        exact_removed=int(exact.sum()),
        near_removed=int((~exact).sum()),
        kept_bands=kept_bands,
        stale_prior_ids=sorted(id_list[i] for i in stale.tolist()),
        checked_pairs=checked,
    )
