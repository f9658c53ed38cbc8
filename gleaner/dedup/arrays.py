"""Small numpy building blocks the dedup modules share, chosen for speed and memory at a million rows.

``np.unique`` takes a hash-based path in numpy 2.x that is about ten times slower here than sorting and
dropping neighbours, and finding repeated 64-bit hashes by sorting all of them is slower still than
counting their top bits first.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

import numpy as np

_LIBC = ctypes.CDLL(ctypes.util.find_library("c")) if sys.platform == "linux" else None
if _LIBC is not None and not hasattr(_LIBC, "malloc_trim"):  # musl
    _LIBC = None


def unique(values: np.ndarray) -> np.ndarray:
    """The distinct values, ascending."""
    ordered = np.sort(values, kind="stable")
    if len(ordered) < 2:
        return ordered
    keep = np.ones(len(ordered), dtype=bool)
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def maybe_repeated(hashes: np.ndarray) -> np.ndarray:
    """Positions of every value of ``hashes`` (uniform 64-bit) that occurs twice or more, plus a few that
    merely share their top bits with another; the caller sorts only those to find the real repeats."""
    bits = int(np.clip(np.ceil(np.log2(max(len(hashes), 1))) + 2, 10, 24))
    slot = (hashes >> np.uint64(64 - bits)).astype(np.intp)
    return np.flatnonzero(np.bincount(slot, minlength=1 << bits)[slot] > 1)


def ranges(lengths: np.ndarray) -> np.ndarray:
    """``concatenate([arange(k) for k in lengths])`` without the Python loop."""
    lengths = np.asarray(lengths, dtype=np.int64)
    return np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)


def release_freed_memory() -> None:
    """Hand the worker threads' freed heap back to the OS (glibc only; elsewhere a no-op).

    glibc gives each thread its own arena and keeps what is freed there: after hashing a million texts on
    the thread pool, about 150 MB that the main thread can never reuse and that would only inflate peak
    RSS. Trimming costs well under a millisecond.
    """
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
