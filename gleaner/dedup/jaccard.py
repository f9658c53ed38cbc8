"""Exact Jaccard similarity of many pairs of shingle sets, without a Python loop per pair.

Sets are 64-bit shingle hashes (two distinct shingles collide with probability 2**-64, which "exact"
ignores). For a pair, the two lists are written side by side into one row, each padded with a value that
occurs in no list to a width rounded up to 4, 5, 6 or 7 times a power of two, and the row is sorted: the
number of distinct values is then |A | B|, and |A & B| = |A| + |B| - |A | B| with each set's own size
counted the same way. Pairs whose lists have the same two widths are sorted together as one 2-D array.
"""

from __future__ import annotations

import numpy as np

from gleaner.dedup.arrays import ranges, release_freed_memory, unique

_MIN_WIDTH = 16
_BATCH_ELEMENTS = 1 << 20
_RELEASE_AFTER = 100_000  # documents; below this the memory is not worth handing back


def _pad_value(values: np.ndarray) -> np.uint64:
    candidate = np.uint64(0xFFFFFFFFFFFFFFFF)
    while np.any(values == candidate):
        candidate -= np.uint64(1)
    return candidate


def _widths(sizes: np.ndarray) -> np.ndarray:
    step = np.ones(len(sizes), dtype=np.int64)
    big = sizes > _MIN_WIDTH
    step[big] = 1 << (np.floor(np.log2(sizes[big] - 1)).astype(np.int64) - 2)
    return np.maximum(-(-sizes // step) * step, _MIN_WIDTH)


def _batches(members: np.ndarray, width: int) -> list[np.ndarray]:
    return np.array_split(members, max(1, len(members) * width // _BATCH_ELEMENTS))


def _distinct(block: np.ndarray, pads: np.ndarray) -> np.ndarray:
    """Distinct non-padding values per row of a row-sorted block holding ``pads`` padding cells per row."""
    changes = np.count_nonzero(block[:, 1:] != block[:, :-1], axis=1)
    return 1 + changes - (pads > 0)


class ShingleSets:
    """The shingle lists of some documents, stored flat, and the size of each as a set."""

    def __init__(self, parts: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """``parts`` are (shingle hashes, offsets) of consecutive runs of documents. The list is emptied as
        the flat array fills, so each part can be freed as soon as it is copied."""
        self.lengths = np.concatenate([np.zeros(0, np.int64)] + [np.diff(p[1]) for p in parts])
        self.offsets = np.zeros(len(self.lengths) + 1, dtype=np.int64)
        np.cumsum(self.lengths, out=self.offsets[1:])
        self.values = np.empty(self.offsets[-1], dtype=np.uint64)
        end = len(self.lengths)
        while parts:
            shingles, offsets = parts.pop()
            start = end - (len(offsets) - 1)
            self.values[self.offsets[start] : self.offsets[end]] = shingles
            end = start
            del shingles, offsets
            if len(parts) % 16 == 0 and end > _RELEASE_AFTER:
                release_freed_memory()  # many parts, from worker threads' arenas: give them back as we go
        self.pad = _pad_value(self.values)
        self.widths = _widths(self.lengths)
        self.sizes = np.zeros(len(self.lengths), dtype=np.int64)
        for width in np.flatnonzero(np.bincount(self.widths)).tolist():
            for docs in _batches(np.flatnonzero((self.widths == width) & (self.lengths > 0)), width):
                block = np.empty((len(docs), width), dtype=np.uint64)
                self._fill(block, 0, docs)
                block.sort(axis=1)
                self.sizes[docs] = _distinct(block, width - self.lengths[docs])

    def _fill(self, block: np.ndarray, column: int, docs: np.ndarray) -> None:
        """Write row k of ``block[:, column:column + width]`` with the list of ``docs[k]``, padded."""
        width = int(self.widths[docs[0]]) if len(docs) else 0
        block[:, column : column + width] = self.pad
        lengths = self.lengths[docs]
        step = ranges(lengths)
        target = np.repeat(np.arange(len(docs)) * block.shape[1] + column, lengths) + step
        block.reshape(-1)[target] = self.values[np.repeat(self.offsets[docs], lengths) + step]

    def lists(self, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The shingle lists of ``docs``, flat, and their offsets (as ``shingles.ShingledBatch`` holds them)."""
        lengths = self.lengths[docs]
        offsets = np.zeros(len(docs) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return self.values[np.repeat(self.offsets[docs], lengths) + ranges(lengths)], offsets

    def jaccard(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """|A & B| / |A | B| for the sets of documents ``left[k]`` and ``right[k]`` (1.0 if both empty)."""
        left = np.asarray(left, dtype=np.int64)
        right = np.asarray(right, dtype=np.int64)
        union = np.zeros(len(left), dtype=np.int64)
        narrow = np.where(self.widths[left] <= self.widths[right], left, right)
        wide = np.where(self.widths[left] <= self.widths[right], right, left)
        combos = self.widths[narrow] * (1 << 32) + self.widths[wide]
        for combo in unique(combos).tolist():
            first, second = combo >> 32, combo & 0xFFFFFFFF
            for pairs in _batches(np.flatnonzero(combos == combo), first + second):
                a, b = narrow[pairs], wide[pairs]
                block = np.empty((len(pairs), first + second), dtype=np.uint64)
                self._fill(block, 0, a)
                self._fill(block, first, b)
                block.sort(axis=1)
                pads = first + second - self.lengths[a] - self.lengths[b]
                union[pairs] = _distinct(block, pads)
        common = self.sizes[left] + self.sizes[right] - union
        return np.where(union > 0, common / np.maximum(union, 1), 1.0)
