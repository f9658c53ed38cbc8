"""Batch-and-thread driver that turns texts into what dedup keeps per record: a text key and band hashes.

Texts are cut into batches of about a megabyte, which keeps every temporary array in the same reused heap
memory (bigger batches cost page faults, smaller ones numpy call overhead). The numba kernels release the
GIL, so a thread pool overlaps one batch's Python-level Unicode work with another's hashing and MinHash.
Shingle hashes (8 bytes a word) are kept only for inputs small enough that memory does not matter, which
saves dedup re-hashing its candidates; on large inputs they are dropped batch by batch and dedup
recomputes the few it needs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import polars as pl

from gleaner.dedup.arrays import ranges, release_freed_memory
from gleaner.dedup.minhash import BANDS, band_hashes, signatures
from gleaner.dedup.shingles import ShingledBatch, shingle_batch

BATCH_CHARS = 1 << 20
BATCH_MAX_DOCS = 4096
# Below this much text (at most about 250 MB of shingle hashes) ``sketch`` keeps them by
# default, so dedup does not hash its candidates a second time; above it, memory matters more than the few
# percent that re-hashing costs.
RETAIN_SHINGLES_CHARS = 200_000_000

T = TypeVar("T")
TextInput = Sequence[str | None] | pl.Series


@dataclass(frozen=True)
class ShingleStore:
    """Shingle hashes of many texts, kept as the batches that produced them (concatenating them would copy
    everything once more just to read back the candidates)."""

    batches: tuple[ShingledBatch, ...]

    def __add__(self, other: ShingleStore) -> ShingleStore:
        return ShingleStore(self.batches + other.batches)

    def _split(self, rows: np.ndarray) -> list[np.ndarray]:
        """``rows`` (ascending) cut into per-batch row numbers."""
        first_rows = np.cumsum([0] + [len(b.offsets) - 1 for b in self.batches])
        cuts = np.searchsorted(rows, first_rows)
        return [rows[cuts[k] : cuts[k + 1]] - first_rows[k] for k in range(len(self.batches))]

    def take_parts(self, rows: np.ndarray) -> list[ShingledBatch]:
        """Texts ``rows`` (ascending), one batch per stored batch they come from."""
        pieces = zip(self.batches, self._split(rows), strict=True)
        return [take(batch, part) for batch, part in pieces if len(part)]


@dataclass(frozen=True)
class Sketches:
    """Per record, in input order: the whole-text key (see ``ShingledBatch``) and the LSH band hashes,
    plus the shingle hashes when ``sketch`` kept them."""

    text_keys: np.ndarray  # (n,) uint64
    bands: np.ndarray  # (n, BANDS) uint64
    shingles: ShingleStore | None = None

    def __len__(self) -> int:
        return len(self.text_keys)


def worker_count() -> int:
    return max(1, len(os.sched_getaffinity(0)))


def text_chars(texts: TextInput) -> np.ndarray:
    if isinstance(texts, pl.Series):
        return texts.str.len_chars().fill_null(0).to_numpy().astype(np.int64)
    return np.array([len(t) if t else 0 for t in texts], dtype=np.int64)


def batch_bounds(texts: TextInput) -> list[tuple[int, int]]:
    """Consecutive [start, end) slices of about ``BATCH_CHARS`` characters and at most ``BATCH_MAX_DOCS``."""
    return _bounds(np.cumsum(text_chars(texts)))


def _bounds(cumulative: np.ndarray) -> list[tuple[int, int]]:
    bounds = []
    start = 0
    while start < len(cumulative):
        base = cumulative[start - 1] if start else 0
        end = int(np.searchsorted(cumulative, base + BATCH_CHARS, side="right"))
        end = min(max(end, start + 1), start + BATCH_MAX_DOCS, len(cumulative))
        bounds.append((start, end))
        start = end
    return bounds


def map_ranges(bounds: list[tuple[int, int]], work: Callable[[int, int], T]) -> list[T]:
    """``work(start, end)`` for each range on a thread pool, results in range order."""
    if len(bounds) <= 1 or worker_count() == 1:
        return [work(s, e) for s, e in bounds]
    with ThreadPoolExecutor(max_workers=worker_count()) as pool:
        return list(pool.map(lambda b: work(*b), bounds))


def map_batches(
    texts: TextInput,
    work: Callable[[TextInput], T],
    bounds: list[tuple[int, int]] | None = None,
) -> list[T]:
    """``work`` applied to each batch of ``texts`` on a thread pool, results in batch order."""
    bounds = batch_bounds(texts) if bounds is None else bounds
    return map_ranges(bounds, lambda s, e: work(texts[s:e]))


def take(batch: ShingledBatch, rows: np.ndarray) -> ShingledBatch:
    """The texts ``rows`` of a batch, in that order."""
    starts, ends = batch.offsets[rows], batch.offsets[rows + 1]
    lengths = ends - starts
    offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    positions = np.repeat(starts, lengths) + ranges(lengths)
    return ShingledBatch(batch.text_keys[rows], batch.shingles[positions], offsets)


def shingle_lists(
    store: ShingleStore | None, texts: TextInput, rows: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Shingle hashes and offsets of texts ``rows`` (ascending), in consecutive parts: from ``store`` when
    ``sketch`` kept the shingles, else hashed again from ``texts`` (on the thread pool, without MinHash)."""
    if store is not None:
        return [(b.shingles, b.offsets) for b in store.take_parts(rows)]
    chosen = texts.gather(rows) if isinstance(texts, pl.Series) else [texts[i] for i in rows.tolist()]
    parts = map_batches(chosen, _shingles_and_offsets)
    release_freed_memory()
    return parts


def _shingles_and_offsets(texts: TextInput) -> tuple[np.ndarray, np.ndarray]:
    batch = shingle_batch(texts)
    return batch.shingles, batch.offsets


def sketch(texts: TextInput, keep_shingles: bool | None = None) -> Sketches:
    """Text keys and band hashes of every text (a list of str or None, or a polars String column).

    ``keep_shingles`` defaults to keeping them for up to ``RETAIN_SHINGLES_CHARS`` of text.
    """
    cumulative = np.cumsum(text_chars(texts))
    if keep_shingles is None:
        keep_shingles = not len(cumulative) or int(cumulative[-1]) <= RETAIN_SHINGLES_CHARS

    def work(batch_texts: TextInput) -> tuple[np.ndarray, np.ndarray, ShingledBatch | None]:
        batch = shingle_batch(batch_texts)
        bands = band_hashes(signatures(batch.shingles, batch.offsets))
        return batch.text_keys, bands, batch if keep_shingles else None

    parts = map_batches(texts, work, _bounds(cumulative))
    store = ShingleStore(tuple(p[2] for p in parts)) if keep_shingles else None
    keys = np.concatenate([np.zeros(0, np.uint64)] + [p[0] for p in parts])
    bands = np.concatenate([np.zeros((0, BANDS), np.uint64)] + [p[1] for p in parts])
    del parts
    if not keep_shingles:  # a large input: memory matters more than reusing the arenas
        release_freed_memory()
    return Sketches(keys, bands, store)
