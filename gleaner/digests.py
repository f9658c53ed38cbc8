"""SHA-256 of every text of a column at once, compiled and on both cores.

The candidate ranks each cluster and each row by a SHA-256 of its id (``gleaner.dataset.splitting``), so
that splits and balancing are the same whatever order the rows come in. With ``hashlib`` that is a Python
call per row: 0.29 s for 450,000 short ids here, twice a publish, and more while the publish's other thread
holds the GIL. The digests are hashlib's, bit for bit (tests/test_digests.py checks them against it over
every padding boundary and multi-byte text); only the loop is compiled (numba, without the GIL, cached on
disk like the dedup kernels) and split over the cores.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from gleaner.jit import njit
from gleaner.parallel import over_threads

# FIPS 180-4, 4.2.2 and 5.3.3: the round constants and the initial hash value.
_ROUND_CONSTANTS = np.array(
    [
        0x428A2F98, 0x71374491, 0xB5C0FBCF, 0xE9B5DBA5, 0x3956C25B, 0x59F111F1, 0x923F82A4, 0xAB1C5ED5,
        0xD807AA98, 0x12835B01, 0x243185BE, 0x550C7DC3, 0x72BE5D74, 0x80DEB1FE, 0x9BDC06A7, 0xC19BF174,
        0xE49B69C1, 0xEFBE4786, 0x0FC19DC6, 0x240CA1CC, 0x2DE92C6F, 0x4A7484AA, 0x5CB0A9DC, 0x76F988DA,
        0x983E5152, 0xA831C66D, 0xB00327C8, 0xBF597FC7, 0xC6E00BF3, 0xD5A79147, 0x06CA6351, 0x14292967,
        0x27B70A85, 0x2E1B2138, 0x4D2C6DFC, 0x53380D13, 0x650A7354, 0x766A0ABB, 0x81C2C92E, 0x92722C85,
        0xA2BFE8A1, 0xA81A664B, 0xC24B8B70, 0xC76C51A3, 0xD192E819, 0xD6990624, 0xF40E3585, 0x106AA070,
        0x19A4C116, 0x1E376C08, 0x2748774C, 0x34B0BCB5, 0x391C0CB3, 0x4ED8AA4A, 0x5B9CCA4F, 0x682E6FF3,
        0x748F82EE, 0x78A5636F, 0x84C87814, 0x8CC70208, 0x90BEFFFA, 0xA4506CEB, 0xBEF9A3F7, 0xC67178F2,
    ],
    dtype=np.int64,
)  # fmt: skip
_INITIAL_HASH = np.array(
    [0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19], dtype=np.int64
)
_PARALLEL_FROM = 20_000  # texts; below this a second thread costs more than it saves


@njit(nogil=True, cache=True)
def _sha256_kernel(data, offsets, start, end, constants, initial, out):  # pragma: no cover - compiled
    """SHA-256 of texts ``start`` to ``end`` (``data[offsets[i]:offsets[i + 1]]``) into ``out[i]``.

    Words are int64 holding 32 bits, masked after each sum, so no step depends on unsigned wrap-around."""
    mask = 0xFFFFFFFF
    schedule = np.empty(64, np.int64)
    block = np.empty(64, np.int64)
    state = np.empty(8, np.int64)
    for i in range(start, end):
        first, length = offsets[i], offsets[i + 1] - offsets[i]
        state[:] = initial
        blocks = (length + 9 + 63) // 64  # the message, a 0x80 byte, zeros, its length in bits (8 bytes)
        for b in range(blocks):
            for j in range(64):
                position = b * 64 + j
                if position < length:
                    block[j] = data[first + position]
                elif position == length:
                    block[j] = 0x80
                else:
                    block[j] = 0
            if b == blocks - 1:
                bits = length * 8
                for j in range(8):
                    block[63 - j] = (bits >> (8 * j)) & 0xFF
            for t in range(16):
                schedule[t] = (
                    (block[4 * t] << 24) | (block[4 * t + 1] << 16) | (block[4 * t + 2] << 8) | block[4 * t + 3]
                )
            for t in range(16, 64):
                w15, w2 = schedule[t - 15], schedule[t - 2]
                s0 = (((w15 >> 7) | (w15 << 25)) ^ ((w15 >> 18) | (w15 << 14)) ^ (w15 >> 3)) & mask
                s1 = (((w2 >> 17) | (w2 << 15)) ^ ((w2 >> 19) | (w2 << 13)) ^ (w2 >> 10)) & mask
                schedule[t] = (schedule[t - 16] + s0 + schedule[t - 7] + s1) & mask
            a, b_, c, d, e, f, g, h = state[0], state[1], state[2], state[3], state[4], state[5], state[6], state[7]
            for t in range(64):
                sum1 = (((e >> 6) | (e << 26)) ^ ((e >> 11) | (e << 21)) ^ ((e >> 25) | (e << 7))) & mask
                choice = (e & f) ^ (~e & mask & g)
                temp1 = (h + sum1 + choice + constants[t] + schedule[t]) & mask
                sum0 = (((a >> 2) | (a << 30)) ^ ((a >> 13) | (a << 19)) ^ ((a >> 22) | (a << 10))) & mask
                majority = (a & b_) ^ (a & c) ^ (b_ & c)
                temp2 = (sum0 + majority) & mask
                h, g, f, e = g, f, e, (d + temp1) & mask
                d, c, b_, a = c, b_, a, (temp1 + temp2) & mask
            state[0] = (state[0] + a) & mask
            state[1] = (state[1] + b_) & mask
            state[2] = (state[2] + c) & mask
            state[3] = (state[3] + d) & mask
            state[4] = (state[4] + e) & mask
            state[5] = (state[5] + f) & mask
            state[6] = (state[6] + g) & mask
            state[7] = (state[7] + h) & mask
        for k in range(8):
            for j in range(4):
                out[i, 4 * k + j] = (state[k] >> (24 - 8 * j)) & 0xFF


def sha256_rows(texts: pl.Series) -> np.ndarray:
    """The SHA-256 digest of each text's UTF-8 bytes, as ``hashlib.sha256(text.encode()).digest()`` gives it:
    an (n, 32) uint8 array, row i for text i. Texts must not be missing (the caller says what one stands
    for)."""
    texts = texts.cast(pl.String)
    if texts.null_count():
        raise ValueError("sha256_rows: a missing text has no digest")
    out = np.zeros((len(texts), 32), dtype=np.uint8)
    if not len(texts):
        return out
    data = np.frombuffer(texts.str.join("").cast(pl.Binary).item(), dtype=np.uint8)  # UTF-8, one copy
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(texts.str.len_bytes().to_numpy(), out=offsets[1:])
    over_threads(
        len(texts),
        lambda start, end: _sha256_kernel(data, offsets, start, end, _ROUND_CONSTANTS, _INITIAL_HASH, out),
        _PARALLEL_FROM,
    )
    return out
