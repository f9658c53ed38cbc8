"""Exact Jaccard similarity of many pairs of shingle sets, without a Python loop per pair.

Sets are 64-bit shingle hashes (two distinct shingles collide with probability 2**-64, which "exact"
ignores). A pair's two shingle lists are concatenated and sorted; the number of distinct values is then
|A | B|, and |A & B| = |A| + |B| - |A | B| with each set's own size counted the same way once per
document. Lists are padded with a value that occurs in none of them to a width rounded up to 4, 5, 6 or
7 times a power of two, so pairs of similar size are sorted together as one 2-D array with little padding.
"""

from __future__ import annotations

import numpy as np

_MIN_WIDTH = 16
_BATCH_ELEMENTS = 1 << 20


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
    """The shingle lists of some documents and the size of each as a set."""

    def __init__(self, shingles: np.ndarray, offsets: np.ndarray) -> None:
        self.values = shingles
        self.offsets = offsets
        self.pad = _pad_value(shingles)
        lengths = np.diff(offsets)
        self.sizes = np.zeros(len(lengths), dtype=np.int64)
        widths = _widths(lengths)
        for width in np.unique(widths[lengths > 0]):
            for rows in _batches(np.flatnonzero((widths == width) & (lengths > 0)), int(width)):
                block = self._rows(rows, int(width))
                block.sort(axis=1)
                self.sizes[rows] = _distinct(block, width - lengths[rows])

    def _rows(self, rows: np.ndarray, width: int) -> np.ndarray:
        """(len(rows), width) array of the documents' lists, padded at the end."""
        lengths = self.offsets[rows + 1] - self.offsets[rows]
        out = np.full((len(rows), width), self.pad, dtype=np.uint64)
        total = int(lengths.sum())
        if total:
            before = np.zeros(len(rows), dtype=np.int64)
            np.cumsum(lengths[:-1], out=before[1:])
            step = np.arange(total) - np.repeat(before, lengths)
            target = np.repeat(np.arange(len(rows)) * width, lengths) + step
            out.reshape(-1)[target] = self.values[np.repeat(self.offsets[rows], lengths) + step]
        return out

    def jaccard(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """|A & B| / |A | B| for the sets of documents ``left[k]`` and ``right[k]`` (1.0 if both empty)."""
        left = np.asarray(left, dtype=np.int64)
        right = np.asarray(right, dtype=np.int64)
        lengths = np.diff(self.offsets)
        union = np.zeros(len(left), dtype=np.int64)
        widths = _widths(np.maximum(lengths[left], lengths[right]))
        for width in np.unique(widths):
            for pairs in _batches(np.flatnonzero(widths == width), 2 * int(width)):
                block = np.concatenate(
                    [self._rows(left[pairs], int(width)), self._rows(right[pairs], int(width))], axis=1
                )
                block.sort(axis=1)
                pads = 2 * width - lengths[left[pairs]] - lengths[right[pairs]]
                union[pairs] = _distinct(block, pads)
        common = self.sizes[left] + self.sizes[right] - union
        return np.where(union > 0, common / np.maximum(union, 1), 1.0)
