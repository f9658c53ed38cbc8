"""Text normalization and word 5-gram shingle hashing, done over whole batches by a numba kernel.

Splitting every document into Python word strings caps throughput at a few tens of thousands of documents
per second, so only the per-character Unicode work (NFKC, case folding) of non-ASCII text stays in Python;
case folding of ASCII, tokenization and hashing run in one pass over one UTF-8 byte buffer per batch,
compiled (``cache=True``: once per checkout, then loaded from ``__pycache__``) and without the GIL.

The hashes are part of the on-disk contract: band hashes derived from them are stored in the warehouse and
joined against later partitions, so they must never depend on a library version or on the process. They
are defined here in full, over the words of the normalized text (``normalize_text(text).split(" ")``)::

    word_hash(w)  = fmix64(len(w) * PHI ^ u64(w[0:8])) ^ xor(fmix64(u64(w[8k:8k+8]) + k * PHI) for k >= 1)
    seq_hash(ws)  = fmix64(len(ws) * PHI + sum(word_hash(w) * Q**(j + 1) for j, w in enumerate(ws)))

with ``u64`` the little-endian value of up to eight UTF-8 bytes (zero-padded), arithmetic mod 2**64,
``fmix64`` the MurmurHash3 finalizer, ``PHI = 0x9E3779B97F4A7C15`` and ``Q = 0xC2B2AE3D27D4EB4F``. A
shingle's hash is ``seq_hash`` of its five words (of all of them for a text under five words); a text's
key is ``seq_hash`` of all its words. ``seq_hash_reference`` and
``word_hash_reference`` are the readable versions the tests hold the batch code to. Change either and
every stored index must be rebuilt.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from gleaner.jit import njit

SHINGLE_WORDS = 5

# str.split() breaks on exactly the characters for which str.isspace() is true. The ASCII ones are handled
# on bytes; the non-ASCII ones are mapped to a space first (NFKC turns most of them into U+0020 anyway).
# tests/test_dedup.py checks this list against every code point.
_ASCII_WHITESPACE = b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f "
_NON_ASCII_WHITESPACE = (
    "\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_TO_SPACE = str.maketrans(dict.fromkeys(_NON_ASCII_WHITESPACE, " "))
_IS_SPACE = np.zeros(256, dtype=np.bool_)
_IS_SPACE[np.frombuffer(_ASCII_WHITESPACE, dtype=np.uint8)] = True

_MASK64 = (1 << 64) - 1
PHI = 0x9E3779B97F4A7C15
Q = 0xC2B2AE3D27D4EB4F
_FMIX64 = (np.uint64(33), np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53))
_PHI = np.uint64(PHI)
_Q = np.uint64(Q)
_ALL_ONES = np.uint64(_MASK64)


def normalize_text(text: str | None) -> str:
    """The form both dedup stages compare: NFKC, case-folded, whitespace runs collapsed to one space.

    NFKC folds compatibility forms (full-width letters, ligatures, non-breaking spaces) that render the same
    but differ in bytes; case folding is the Unicode-correct caseless match (``"Straße"`` == ``"STRASSE"``).
    """
    if not text:
        return ""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def content_hash(text: str | None) -> str:
    """Exact-duplicate key: sha256 hex of the normalized text (UTF-8; lone surrogates passed through)."""
    return hashlib.sha256(normalize_text(text).encode("utf-8", "surrogatepass")).hexdigest()


def fmix64(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finalizer: a bijection that spreads every input bit over the whole word."""
    shift, m1, m2 = _FMIX64
    values = values ^ (values >> shift)
    values *= m1
    values ^= values >> shift
    values *= m2
    values ^= values >> shift
    return values


def _fmix64_int(value: int) -> int:
    value ^= value >> 33
    value = (value * 0xFF51AFD7ED558CCD) & _MASK64
    value ^= value >> 33
    value = (value * 0xC4CEB9FE1A85EC53) & _MASK64
    return value ^ (value >> 33)


def word_hash_reference(word: bytes) -> int:
    """``word_hash`` from the module docstring, one word at a time."""
    padded = word + b"\0" * (-len(word) % 8)
    chunks = [int.from_bytes(padded[i : i + 8], "little") for i in range(0, len(padded), 8)]
    value = _fmix64_int(((len(word) * PHI) & _MASK64) ^ chunks[0])
    for k, chunk in enumerate(chunks[1:], start=1):
        value ^= _fmix64_int((chunk + k * PHI) & _MASK64)
    return value


def seq_hash_reference(text: str) -> int:
    """``seq_hash`` of an already normalized text's words (a shingle, or a whole text for its key)."""
    words = text.encode("utf-8", "surrogatepass").split(b" ") if text else []
    total = len(words) * PHI
    for j, word in enumerate(words):
        total += word_hash_reference(word) * pow(Q, j + 1, 1 << 64)
    return _fmix64_int(total & _MASK64)


def shingles_reference(text: str | None) -> list[str]:
    """Word 5-grams of the normalized text; fewer than five words make one shingle, empty text none.

    The short-text rule keeps two- to four-word titles comparable (as a single shingle they are near
    duplicates only of an identical sequence, which is what a human would call a duplicate); empty text has
    nothing to compare and is left to exact dedup.
    """
    words = normalize_text(text).split(" ")
    if words == [""]:
        return []
    if len(words) < SHINGLE_WORDS:
        return [" ".join(words)]
    return [" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)]


@dataclass(frozen=True)
class ShingledBatch:
    """What one batch of texts reduces to: a whole-text hash per text and its shingle hashes, flattened.

    ``shingles[offsets[i]:offsets[i + 1]]`` are text ``i``'s shingle hashes in word order (duplicates kept).
    ``text_keys[i]`` is ``seq_hash`` of all the text's words: equal normalized texts have equal keys, so
    exact-duplicate candidates are found without a sha256 per record (see ``gleaner.dedup.kernel``).
    """

    text_keys: np.ndarray  # (n,) uint64
    shingles: np.ndarray  # (total,) uint64
    offsets: np.ndarray  # (n + 1,) int64


def _fold(text: str) -> bytes:
    return unicodedata.normalize("NFKC", text).casefold().translate(_TO_SPACE).encode("utf-8", "surrogatepass")


def _encode(texts: Sequence[str | None]) -> tuple[bytes, np.ndarray]:
    """Every text case-folded (ASCII letters excepted, see ``shingle_batch``) and UTF-8 encoded, each with
    a space before and after it; and the encoded lengths."""
    present = [t or "" for t in texts]
    joined = " ".join(["", *present, ""])
    if joined.isascii():
        return joined.encode(), np.fromiter(map(len, present), dtype=np.int64, count=len(present))
    parts = [t.encode() if t.isascii() else _fold(t) for t in present]
    return b" ".join([b"", *parts, b""]), np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))


@njit(inline="always")
def _fmix64_scalar(value: np.uint64) -> np.uint64:
    value ^= value >> _FMIX64[0]
    value *= _FMIX64[1]
    value ^= value >> _FMIX64[0]
    value *= _FMIX64[2]
    return value ^ (value >> _FMIX64[0])


@njit(inline="always")
def _word_hash(raw: np.ndarray, start: int, end: int) -> tuple[np.uint64, int]:
    """``word_hash`` of the word starting at ``raw[start]`` and where it ends (a whitespace byte or ``end``).

    One pass over the bytes: each is folded to lower case (ASCII capitals only) and shifted into the
    current 8-byte chunk as the word boundary is looked for.
    """
    first = np.uint64(0)
    rest = np.uint64(0)
    chunk = np.uint64(0)
    shift = np.uint64(0)
    k = 0
    i = start
    while True:
        byte = raw[i]
        byte += np.uint8(32) * np.uint8(np.uint8(byte - np.uint8(65)) < np.uint8(26))
        chunk |= np.uint64(byte) << shift
        shift += np.uint64(8)
        i += 1
        if i >= end or _IS_SPACE[raw[i]]:
            break
        if shift == np.uint64(64):
            if k == 0:
                first = chunk
            else:
                rest ^= _fmix64_scalar(chunk + np.uint64(k) * _PHI)
            k += 1
            chunk = np.uint64(0)
            shift = np.uint64(0)
    if k == 0:
        first = chunk
    else:
        rest ^= _fmix64_scalar(chunk + np.uint64(k) * _PHI)
    return _fmix64_scalar((np.uint64(i - start) * _PHI) ^ first) ^ rest, i


@njit(nogil=True, cache=True)
def _shingle_kernel(raw: np.ndarray, lengths: np.ndarray, capacity: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Text keys, shingle hashes and offsets of the texts laid out as ``_encode`` does."""
    n = len(lengths)
    keys = np.empty(n, dtype=np.uint64)
    offsets = np.zeros(n + 1, dtype=np.int64)
    shingles = np.empty(capacity, dtype=np.uint64)
    words = np.empty(max(1, (lengths.max() + 1) // 2 if n else 1), dtype=np.uint64)
    q1 = _Q
    q2 = q1 * _Q
    q3 = q2 * _Q
    q4 = q3 * _Q
    q5 = q4 * _Q
    shingle_base = np.uint64(SHINGLE_WORDS) * _PHI
    out = 0
    start = 1
    for t in range(n):
        end = start + lengths[t]
        count = 0
        total = np.uint64(0)
        power = np.uint64(1)
        i = start
        while i < end:
            if _IS_SPACE[raw[i]]:
                i += 1
                continue
            value, i = _word_hash(raw, i, end)
            words[count] = value
            count += 1
            power *= _Q
            total += value * power
        keys[t] = _fmix64_scalar(np.uint64(count) * _PHI + total)
        if count >= SHINGLE_WORDS:
            for j in range(count - SHINGLE_WORDS + 1):
                shingles[out] = _fmix64_scalar(
                    shingle_base
                    + words[j] * q1
                    + words[j + 1] * q2
                    + words[j + 2] * q3
                    + words[j + 3] * q4
                    + words[j + 4] * q5
                )
                out += 1
        elif count:
            shingles[out] = keys[t]
            out += 1
        offsets[t + 1] = out
        start = end + 1
    return keys, shingles[:out].copy(), offsets


def shingle_batch(texts: Sequence[str | None] | pl.Series) -> ShingledBatch:
    """Normalize and hash a batch; equal to ``shingles_reference`` and ``seq_hash_reference`` per text.

    ASCII text, the bulk of it, never goes through Python string methods: it needs no NFKC, and its case
    folding is A-Z to a-z, done by the kernel as it reads the bytes. Whitespace needs no collapsing either:
    words are the runs of non-whitespace bytes, and the hashes never see what separates them.
    """
    if isinstance(texts, pl.Series):
        texts = texts.to_list()
    if len(texts) == 0:
        return ShingledBatch(np.zeros(0, np.uint64), np.zeros(0, np.uint64), np.zeros(1, np.int64))
    encoded, lengths = _encode(texts)
    raw = np.frombuffer(encoded, dtype=np.uint8)
    # A text of b bytes has at most (b + 1) // 2 words, so at most that many shingles.
    capacity = int(((lengths + 1) // 2).sum())
    return ShingledBatch(*_shingle_kernel(raw, lengths, capacity))
