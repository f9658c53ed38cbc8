"""MinHash signatures and LSH band hashes for whole batches of documents at once.

The permutations are datasketch's ``affine32`` scheme (the default since datasketch 2.0), reproduced here
rather than borrowed from a datasketch object: the band hashes they feed are stored in the warehouse, so a
change in a third-party default must not silently change them. With the same 32-bit input hash, a signature
row equals ``datasketch.MinHash(num_perm=128, seed=1, hashfunc=...)`` after updating with the same
shingles, which the tests check.

Each shingle costs 128 multiply-adds and a minimum. They run as one (128, k) uint32 array per block of 12k
shingles: big enough that numpy's per-call overhead vanishes, small enough to stay in the last-level
cache. The multiply and add release the GIL (the per-document minimum, ``reduceat``, does not), so two
threads overlap most of the work.
"""

from __future__ import annotations

import numpy as np

from gleaner.shingles import fmix64

NUM_PERM = 128
BANDS = 16
ROWS = 8
SEED = 1
EMPTY = np.uint32(0xFFFFFFFF)  # the value every row holds for a document without shingles

_BLOCK = 12_000


def permutations(num_perm: int = NUM_PERM, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """The odd multipliers ``a`` and offsets ``b`` of ``h -> a * h + b mod 2**32``, as datasketch draws them.

    ``RandomState`` rather than ``default_rng`` because numpy guarantees its stream will not change.
    """
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


_A, _B = permutations()


def fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, which datasketch applies to every input hash before permuting."""
    values = values ^ (values >> np.uint32(16))
    values *= np.uint32(0x85EBCA6B)
    values ^= values >> np.uint32(13)
    values *= np.uint32(0xC2B2AE35)
    values ^= values >> np.uint32(16)
    return values


def minhash_input(shingle_hashes: np.ndarray) -> np.ndarray:
    """The 32-bit value a shingle enters MinHash with: the top half of its 64-bit hash.

    Thirty-two bits are plenty for a document's few hundred shingles and halve the permutation work; the
    full 64 bits are kept for the exact Jaccard check, where collisions would skew the answer.
    """
    return (shingle_hashes >> np.uint64(32)).astype(np.uint32)


def signatures(shingle_hashes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """(n, 128) uint32 MinHash signatures; document ``i`` owns ``shingle_hashes[offsets[i]:offsets[i+1]]``.

    Documents without shingles get ``EMPTY`` in every row, so all of them share every band and nothing
    else does (a real document would need eight rows at the maximum value). The array is a transposed view
    of a (128, n) one (Fortran order): permutation-major is the layout the computation produces and the one
    ``band_hashes`` reads fastest.
    """
    n = len(offsets) - 1
    out = np.full((NUM_PERM, n), EMPTY, dtype=np.uint32)
    values = fmix32(minhash_input(shingle_hashes))
    total = len(values)
    if total == 0:
        return out.T
    owners = np.flatnonzero(np.diff(offsets))  # documents with at least one shingle
    starts = offsets[owners]
    a = _A[:, None]
    b = _B[:, None]
    # Blocks cut through documents; the one straddling a cut is finished in the next block.
    buffer = np.empty((NUM_PERM, min(_BLOCK, total)), dtype=np.uint32)
    mins = out if len(owners) == n else np.empty((NUM_PERM, len(owners)), dtype=np.uint32)
    for lo in range(0, total, _BLOCK):
        hi = min(lo + _BLOCK, total)
        block = buffer[:, : hi - lo]
        np.multiply(a, values[None, lo:hi], out=block)
        block += b
        first = int(np.searchsorted(starts, lo, side="right")) - 1
        last = int(np.searchsorted(starts, hi, side="left"))
        cuts = starts[first:last] - lo
        cuts[0] = 0
        block_mins = np.minimum.reduceat(block, cuts, axis=1)
        if lo > starts[first]:  # a document cut by the previous block boundary: finish its minimum
            np.minimum(block_mins[:, 0], mins[:, first], out=block_mins[:, 0])
        mins[:, first:last] = block_mins
    if mins is not out:
        out[:, owners] = mins
    return out.T


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
    return (left == right).mean(axis=1)
