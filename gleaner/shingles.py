"""Text normalization and word 5-gram shingle hashing, done over whole batches in numpy.

Splitting every document into Python word strings caps throughput at a few tens of thousands of documents
per second, so only the per-character Unicode work (NFKC, case folding) stays in Python; whitespace
collapsing, tokenization and shingle hashing run on one UTF-8 byte buffer per batch.

The shingle hash is part of the on-disk contract: band hashes derived from it are stored in the warehouse
and joined against later partitions, so it must never depend on a library version or on the process. It is
defined here, in full, as a polynomial hash over the shingle's UTF-8 bytes (the words joined by single
spaces)::

    raw = sum((byte_m + 1) * P**m for m, byte_m in enumerate(shingle_bytes)) mod 2**64
    shingle_hash = fmix64(raw)

with ``P = 0x9E3779B97F4A7C15`` and ``fmix64`` the MurmurHash3 finalizer. Polynomial hashes compose over
concatenation, so every shingle of a batch comes from one prefix sum. ``shingle_hash_reference`` is the
readable per-shingle version the tests hold the vectorized one to. Change either and every stored index
must be rebuilt.
"""

from __future__ import annotations

import hashlib
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SHINGLE_WORDS = 5

# str.split() breaks on exactly the characters for which str.isspace() is true. The ASCII ones are handled
# on bytes; the non-ASCII ones that survive NFKC are mapped to a space first (the others NFKC already turns
# into U+0020). tests/test_dedup.py checks this list against every code point.
_ASCII_WHITESPACE = b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f "
_NON_ASCII_WHITESPACE = (
    "\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
_TO_SPACE = str.maketrans(dict.fromkeys(_NON_ASCII_WHITESPACE, " "))
_IS_WS_BYTE = np.zeros(256, dtype=bool)
_IS_WS_BYTE[np.frombuffer(_ASCII_WHITESPACE, dtype=np.uint8)] = True

_MASK64 = (1 << 64) - 1
_P = 0x9E3779B97F4A7C15
_P_INV = pow(_P, -1, 1 << 64)
_FMIX64 = (np.uint64(33), np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53))


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


def shingle_hash_reference(shingle: str) -> int:
    """The shingle hash written plainly, one shingle at a time: the specification the batch code meets."""
    raw = 0
    power = 1
    for byte in shingle.encode("utf-8", "surrogatepass"):
        raw = (raw + (byte + 1) * power) & _MASK64
        power = (power * _P) & _MASK64
    return _fmix64_int(raw)


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
    """P**m, P**-m and sum(P**0..P**(m-1)) mod 2**64 for every offset of a batch; grown on demand, shared."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tables = self._build(1)

    @staticmethod
    def _build(size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        powers = _powers(_P, size)
        geometric = np.zeros(size, dtype=np.uint64)
        np.cumsum(powers[:-1], out=geometric[1:])
        return powers, _powers(_P_INV, size), geometric

    def get(self, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        tables = self._tables
        if len(tables[0]) >= size:
            return tables
        with self._lock:
            if len(self._tables[0]) < size:
                self._tables = self._build(max(size, 2 * len(self._tables[0])))
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
    ``text_keys[i]`` is the same polynomial hash taken over the entire normalized text: equal texts have equal
    keys, so exact-duplicate candidates are found without a sha256 per record (see ``gleaner.dedup``).
    """

    text_keys: np.ndarray  # (n,) uint64
    shingles: np.ndarray  # (total,) uint64
    offsets: np.ndarray  # (n + 1,) int64


def _fold(text: str) -> bytes:
    return (
        unicodedata.normalize("NFKC", text).casefold().translate(_TO_SPACE).encode("utf-8", "surrogatepass")
    )


def shingle_batch(texts: Sequence[str | None]) -> ShingledBatch:
    """Normalize and hash a batch; equal to ``normalize_text`` and ``shingle_hash_reference`` per text.

    ASCII text, the bulk of it, never goes through Python string methods: it needs no NFKC, and its case
    folding is A-Z to a-z, done here on the byte buffer. That keeps the GIL-holding share of the work small
    enough for threads to overlap.
    """
    n = len(texts)
    if n == 0:
        return ShingledBatch(np.zeros(0, np.uint64), np.zeros(0, np.uint64), np.zeros(1, np.int64))
    encoded = [(t.encode() if t.isascii() else _fold(t)) if t else b"" for t in texts]
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=n)
    # A space after each text, so no token runs across two texts and the last token of the batch ends.
    encoded.append(b"")
    raw = np.frombuffer(b" ".join(encoded), dtype=np.uint8)
    del encoded
    raw = raw + ((np.subtract(raw, ord("A")) < 26).view(np.uint8) << 5)
    text_start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths + 1, out=text_start[1:])

    word = raw != 32
    controls = np.flatnonzero(raw < 32)
    other_ws = controls[_IS_WS_BYTE[raw[controls]]]
    word[other_ws] = False
    edge = np.diff(word.view(np.int8), prepend=np.int8(0))
    tok_start = np.flatnonzero(edge == 1)
    tok_end = np.flatnonzero(edge == -1)  # the whitespace byte after each token
    del edge
    first_tok = np.searchsorted(tok_start, text_start)
    tok_count = np.diff(first_tok)
    has_tokens = tok_count > 0
    last_tok = first_tok[1:][has_tokens] - 1
    inner = np.ones(len(tok_start), dtype=bool)  # tokens followed by another token of the same text
    inner[last_tok] = False
    gaps = tok_end[inner]

    # Already normalized (the common case for extracted text) when every whitespace byte is a separator or a
    # single space between two tokens; otherwise drop the rest and turn the kept gaps into spaces.
    if len(other_ws) or len(raw) - np.count_nonzero(word) != len(gaps) + n:
        keep = word
        keep[gaps] = True
        raw = raw[keep]
        tok_len = tok_end - tok_start
        tok_start = np.zeros(len(tok_len), dtype=np.int64)
        np.cumsum(tok_len[:-1] + inner[:-1], out=tok_start[1:])
        tok_end = tok_start + tok_len
        raw[tok_end[inner]] = 32
    del word, inner, gaps

    # One shingle per token with four more after it in its text, or a single one for a short text. The
    # whole-text spans go after the shingles, so one pass of the hash formula serves both.
    per_text = np.where(tok_count >= SHINGLE_WORDS, tok_count - (SHINGLE_WORDS - 1), has_tokens)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(per_text, out=offsets[1:])
    starts = np.repeat(first_tok[:-1] - offsets[:-1], per_text)
    starts += np.arange(offsets[-1])
    ends = starts + np.repeat(np.minimum(tok_count, SHINGLE_WORDS) - 1, per_text)
    text_first = np.zeros(n, dtype=np.int64)
    text_end = np.zeros(n, dtype=np.int64)
    text_first[has_tokens] = tok_start[first_tok[:-1][has_tokens]]
    text_end[has_tokens] = tok_end[last_tok]
    span_start = np.concatenate([tok_start[starts], text_first])
    span_end = np.concatenate([tok_end[ends], text_end])
    del starts, ends

    # sum((b + 1) * P**m) == sum(b * P**m) + sum(P**m): the second term depends only on the span length.
    powers, inverse_powers, geometric = _POWERS.get(len(raw) + 1)
    prefix = np.empty(len(raw) + 1, dtype=np.uint64)
    prefix[0] = 0
    prefix[1:] = raw
    prefix[1:] *= powers[: len(raw)]
    np.cumsum(prefix[1:], out=prefix[1:])
    hashes = prefix[span_end] - prefix[span_start]
    hashes *= inverse_powers[span_start]
    hashes += geometric[span_end - span_start]
    hashes = fmix64(hashes)
    total = int(offsets[-1])
    return ShingledBatch(hashes[total:], hashes[:total], offsets)
