"""MinHash signatures and LSH band hashes for whole batches of documents at once.

The permutations are datasketch's ``affine32`` scheme (the default since datasketch 2.0), reproduced here
rather than borrowed from a datasketch object: the band hashes they feed are stored in the warehouse, so a
change in a third-party default must not silently change them. With the same 32-bit input hash, a signature
row equals ``datasketch.MinHash(num_perm=128, seed=1, hashfunc=...)`` after updating with the same
shingles, which the tests check.

Each shingle costs 128 multiply-adds and a minimum, which a numba kernel runs with the permutations as
the vectorized inner loop (about 12 ns a shingle on one core, a third of the best numpy formulation). It
releases the GIL, so ``gleaner.dedup.sketch``'s threads run it on every core.
"""

from __future__ import annotations

import numpy as np

from gleaner.dedup.shingles import fmix64
from gleaner.jit import njit

NUM_PERM = 128
BANDS = 16
ROWS = 8
SEED = 1
EMPTY = np.uint32(0xFFFFFFFF)  # the value every row holds for a document without shingles


def permutations(num_perm: int = NUM_PERM, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """The odd multipliers ``a`` and offsets ``b`` of ``h -> a * h + b mod 2**32``, as datasketch draws them.

    ``RandomState`` rather than ``default_rng`` because numpy guarantees its stream will not change.
    """
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


_A, _B = permutations()


def signatures(shingle_hashes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """(n, 128) uint32 MinHash signatures; document ``i`` owns ``shingle_hashes[offsets[i]:offsets[i+1]]``.

    Documents without shingles get ``EMPTY`` in every row, so all of them share every band and nothing
    else does (a real document would need eight rows at the maximum value). The array is a transposed view
    of a (128, n) one (Fortran order): permutation-major is the layout the computation produces and the one
    ``band_hashes`` reads fastest.
    """
    out = np.empty((NUM_PERM, len(offsets) - 1), dtype=np.uint32)
    _signature_kernel(shingle_hashes, offsets, _A, _B, out)
    return out.T


@njit(nogil=True, cache=True)
def _signature_kernel(
    shingle_hashes: np.ndarray, offsets: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray
) -> None:
    """``out[:, i]`` = the signature of document ``i``: per permutation, the least ``a * x + b mod 2**32``
    over its shingles, where ``x`` is MurmurHash3's 32-bit finalizer (which datasketch applies to every
    input hash) of the top half of the shingle's 64-bit hash. Thirty-two bits are plenty for a document's
    few hundred shingles; the full 64 are kept for the exact Jaccard check, where collisions would skew the
    answer. The inner loop runs over the permutations, so it vectorizes."""
    mins = np.empty(len(a), dtype=np.uint32)
    for doc in range(len(offsets) - 1):
        mins[:] = EMPTY
        for k in range(offsets[doc], offsets[doc + 1]):
            x = np.uint32(shingle_hashes[k] >> np.uint64(32))
            x ^= x >> np.uint32(16)
            x = np.uint32(x * np.uint32(0x85EBCA6B))
            x ^= x >> np.uint32(13)
            x = np.uint32(x * np.uint32(0xC2B2AE35))
            x ^= x >> np.uint32(16)
            for p in range(len(a)):
                value = np.uint32(a[p] * x + b[p])
                if value < mins[p]:
                    mins[p] = value
        out[:, doc] = mins


def band_hashes(sigs: np.ndarray, bands: int = BANDS, rows: int = ROWS) -> np.ndarray:
    """(n, bands) uint64: one hash per band of ``rows`` consecutive signature values.

    Two documents share a band exactly when those rows agree (up to 64-bit collisions), so storing the
    16 hashes instead of the 128 values is enough to find candidates and costs an eighth of the space.
    Rows are folded in pairs, ``fmix64(acc ^ (row[2k] | row[2k + 1] << 32))``, starting from ``acc = 0``.
    """
    if sigs.ndim != 2 or sigs.shape[1] != bands * rows:
        raise ValueError(f"signatures of shape {sigs.shape} are not (n, {bands} bands x {rows} rows)")
    n = sigs.shape[0]
    grouped = sigs.T.reshape(bands, rows, n)  # contiguous rows for the Fortran-ordered signatures()
    pairs = rows // 2
    words = grouped[:, 0 : 2 * pairs : 2].astype(np.uint64)
    words |= grouped[:, 1 : 2 * pairs : 2].astype(np.uint64) << np.uint64(32)
    if rows % 2:
        words = np.concatenate([words, grouped[:, -1:].astype(np.uint64)], axis=1)
    acc = np.zeros((bands, n), dtype=np.uint64)
    for word in range(words.shape[1]):
        acc ^= words[:, word]
        acc = fmix64(acc)
    return np.ascontiguousarray(acc.T)


def jaccard_estimate(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Fraction of agreeing signature rows, per row pair of two (k, 128) arrays."""
    return np.count_nonzero(left == right, axis=1) / left.shape[1]
