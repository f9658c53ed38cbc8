"""Text normalization and word 5-gram shingle hashing, done over whole batches in numpy.

Splitting every document into Python word strings caps throughput at a few tens of thousands of documents
per second, so only the per-character Unicode work (NFKC, case folding) of non-ASCII text stays in Python;
case folding of ASCII, tokenization and hashing run on one UTF-8 byte buffer per batch.

The hashes are part of the on-disk contract: band hashes derived from them are stored in the warehouse and
joined against later partitions, so they must never depend on a library version or on the process. They
are defined here in full, over the words of the normalized text (``normalize_text(text).split(" ")``)::

    word_hash(w)  = fmix64(len(w) * PHI ^ u64(w[0:8])) ^ xor(fmix64(u64(w[8k:8k+8]) + k * PHI) for k >= 1)
    seq_hash(ws)  = fmix64(len(ws) * PHI + sum(word_hash(w) * Q**(j + 1) for j, w in enumerate(ws)))

with ``u64`` the little-endian value of up to eight UTF-8 bytes (zero-padded), arithmetic mod 2**64,
``fmix64`` the MurmurHash3 finalizer, ``PHI = 0x9E3779B97F4A7C15`` and ``Q = 0xC2B2AE3D27D4EB4F``. A
shingle's hash is ``seq_hash`` of its five words (of all of them for a text under five words); a text's
key is ``seq_hash`` of all its words. Words are hashed from at most two unaligned 8-byte loads each, so no
pass over the bytes is needed beyond finding the word boundaries. ``seq_hash_reference`` and
``word_hash_reference`` are the readable versions the tests hold the batch code to. Change either and
every stored index must be rebuilt.
"""

from __future__ import annotations

import hashlib
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from gleaner.arrays import ranges

SHINGLE_WORDS = 5

# str.split() breaks on exactly the characters for which str.isspace() is true. The ASCII ones are handled
# on bytes; the non-ASCII ones are mapped to a space first (NFKC turns most of them into U+0020 anyway).
# tests/test_dedup.py checks this list against every code point.
_ASCII_WHITESPACE = b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f "
_NON_ASCII_WHITESPACE = (
    "\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
_TO_SPACE = str.maketrans(dict.fromkeys(_NON_ASCII_WHITESPACE, " "))
_IS_WS_BYTE = np.zeros(256, dtype=bool)
_IS_WS_BYTE[np.frombuffer(_ASCII_WHITESPACE, dtype=np.uint8)] = True

_MASK64 = (1 << 64) - 1
PHI = 0x9E3779B97F4A7C15
Q = 0xC2B2AE3D27D4EB4F
_Q_INV = pow(Q, -1, 1 << 64)
_FMIX64 = (np.uint64(33), np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53))
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


class _PowerTable:
    """Q**m and Q**-m mod 2**64 for every word position of a batch; grown on demand, shared by threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tables = (np.ones(1, dtype=np.uint64), np.ones(1, dtype=np.uint64))

    def get(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        tables = self._tables
        if len(tables[0]) >= size:
            return tables
        with self._lock:
            if len(self._tables[0]) < size:
                size = max(size, 2 * len(self._tables[0]))
                self._tables = (_powers(Q, size), _powers(_Q_INV, size))
            return self._tables


def _powers(base: int, size: int) -> np.ndarray:
    steps = np.full(size, base, dtype=np.uint64)
    steps[0] = 1
    return np.cumprod(steps, dtype=np.uint64)


_POWERS = _PowerTable()


@dataclass(frozen=True)
class ShingledBatch:
    """What one batch of texts reduces to: a whole-text hash per text and its shingle hashes, flattened.

    ``shingles[offsets[i]:offsets[i + 1]]`` are text ``i``'s shingle hashes in word order (duplicates kept).
    ``text_keys[i]`` is ``seq_hash`` of all the text's words: equal normalized texts have equal keys, so
    exact-duplicate candidates are found without a sha256 per record (see ``gleaner.dedup``).
    """

    text_keys: np.ndarray  # (n,) uint64
    shingles: np.ndarray  # (total,) uint64
    offsets: np.ndarray  # (n + 1,) int64


def _fold(text: str) -> bytes:
    return (
        unicodedata.normalize("NFKC", text).casefold().translate(_TO_SPACE).encode("utf-8", "surrogatepass")
    )


def _encode(texts: Sequence[str | None]) -> tuple[bytes, np.ndarray]:
    """Every text case-folded (ASCII letters excepted, see ``shingle_batch``) and UTF-8 encoded, each with
    a space before and after it; and the encoded lengths."""
    present = [t or "" for t in texts]
    joined = " ".join(["", *present, ""])
    if joined.isascii():
        return joined.encode(), np.fromiter(map(len, present), dtype=np.int64, count=len(present))
    parts = [t.encode() if t.isascii() else _fold(t) for t in present]
    return b" ".join([b"", *parts, b""]), np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))


def _word_hashes(raw: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """``word_hash`` of each word ``raw[start[i]:end[i]]``; ``raw`` needs 8 readable bytes past its end."""
    loads = np.ndarray((len(raw) - 8,), dtype="<u8", buffer=raw, strides=(1,))  # unaligned 8-byte loads
    length = end - start
    first = loads[start]
    first &= _ALL_ONES >> (np.uint64(64) - np.uint64(8) * np.minimum(length, 8).astype(np.uint64))
    hashes = fmix64((length.astype(np.uint64) * np.uint64(PHI)) ^ first)
    long = np.flatnonzero(length > 8)
    if len(long):
        # Words over eight bytes: every further chunk of every such word in one flat array.
        chunks = (length[long] - 1) // 8
        owner = np.repeat(np.arange(len(long)), chunks)
        k = ranges(chunks) + 1
        position = start[long][owner] + 8 * k
        rest = np.minimum(end[long][owner] - position, 8).astype(np.uint64)
        values = loads[position] & (_ALL_ONES >> (np.uint64(64) - np.uint64(8) * rest))
        mixed = fmix64(values + k.astype(np.uint64) * np.uint64(PHI))
        hashes[long] ^= np.bitwise_xor.reduceat(mixed, np.cumsum(chunks) - chunks)
    return hashes


def shingle_batch(texts: Sequence[str | None] | pl.Series) -> ShingledBatch:
    """Normalize and hash a batch; equal to ``shingles_reference`` and ``seq_hash_reference`` per text.

    ASCII text, the bulk of it, never goes through Python string methods: it needs no NFKC, and its case
    folding is A-Z to a-z, done here on the byte buffer. Whitespace needs no collapsing either: words are
    the runs of non-whitespace bytes, and the hashes never see what separates them.
    """
    if isinstance(texts, pl.Series):
        texts = texts.to_list()
    n = len(texts)
    if n == 0:
        return ShingledBatch(np.zeros(0, np.uint64), np.zeros(0, np.uint64), np.zeros(1, np.int64))
    encoded, lengths = _encode(texts)
    source = np.frombuffer(encoded, dtype=np.uint8)
    raw = np.zeros(len(source) + 8, dtype=np.uint8)
    np.add(source, (np.subtract(source, ord("A")) < 26).view(np.uint8) << 5, out=raw[: len(source)])
    del encoded, source
    text_start = np.ones(n + 1, dtype=np.int64)
    np.cumsum(lengths + 1, out=text_start[1:])
    text_start[1:] += 1

    # Runs alternate whitespace, word, whitespace, ..., whitespace, so the changes come in (start, end) pairs.
    word = raw != 32
    word[-8:] = False
    controls = np.flatnonzero(raw < 32)
    word[controls[_IS_WS_BYTE[raw[controls]]]] = False
    changes = np.flatnonzero(word[1:] != word[:-1])
    changes += 1
    starts, ends = changes[0::2], changes[1::2]
    del word, changes
    word_hashes = _word_hashes(raw, starts, ends)
    first_word = np.searchsorted(starts, text_start)
    word_count = np.diff(first_word)
    total_words = len(word_hashes)

    # seq_hash's sum for the five words from every position, by Horner's rule (running past a text's end
    # at its last four positions, which are not shingle starts).
    q = np.uint64(Q)
    padded = np.concatenate([word_hashes, np.zeros(SHINGLE_WORDS - 1, dtype=np.uint64)])
    window = padded[SHINGLE_WORDS - 1 :].copy()
    for j in range(SHINGLE_WORDS - 2, -1, -1):
        window *= q
        window += padded[j : j + total_words]
    window *= q

    # Whole-text sums (text keys, and the shingle of a short text) from position-weighted prefix sums.
    powers, inverse_powers = _POWERS.get(total_words + 2)
    weighted = np.zeros(total_words + 1, dtype=np.uint64)
    np.multiply(word_hashes, powers[1 : total_words + 1], out=weighted[1:])
    np.cumsum(weighted, out=weighted)
    whole = weighted[first_word[1:]] - weighted[first_word[:-1]]
    whole *= inverse_powers[first_word[:-1]]
    whole += word_count.astype(np.uint64) * np.uint64(PHI)
    text_keys = fmix64(whole)

    per_text = np.where(word_count >= SHINGLE_WORDS, word_count - (SHINGLE_WORDS - 1), word_count > 0)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(per_text, out=offsets[1:])
    positions = np.repeat(first_word[:-1] - offsets[:-1], per_text)
    positions += np.arange(offsets[-1])
    shingles = window[positions]
    shingles += np.uint64(SHINGLE_WORDS * PHI & _MASK64)
    shingles = fmix64(shingles)
    short = np.flatnonzero((word_count > 0) & (word_count < SHINGLE_WORDS))
    shingles[offsets[short]] = text_keys[short]
    return ShingledBatch(text_keys, shingles, offsets)
