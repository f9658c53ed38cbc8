"""`sha256_rows` gives hashlib's digests, over every padding boundary, multi-byte texts and both cores."""

from __future__ import annotations

import hashlib
import random

import polars as pl
import pytest

import gleaner.digests as digests
import gleaner.parallel as parallel
from gleaner.digests import sha256_rows


def _expected(texts: list[str]) -> list[bytes]:
    return [hashlib.sha256(text.encode("utf-8")).digest() for text in texts]


def test_every_length_around_the_padding_boundaries_hashes_as_hashlib_does():
    """A text of 55 bytes is the longest whose padding fits one block; 56 to 63 need a second; and so on."""
    texts = ["x" * n for n in range(0, 200)]
    assert [bytes(row) for row in sha256_rows(pl.Series(texts))] == _expected(texts)


def test_multi_byte_and_control_characters_hash_as_their_utf8_bytes():
    rng = random.Random(7)
    alphabet = "ab \x1f\x00\n\u00fc\u20ac\U0001d11e"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 300))) for _ in range(500)]
    assert [bytes(row) for row in sha256_rows(pl.Series(texts))] == _expected(texts)


def test_split_over_threads_the_rows_stay_in_their_order(monkeypatch):
    monkeypatch.setattr(digests, "_PARALLEL_FROM", 10)
    monkeypatch.setattr(parallel, "default_workers", lambda: 2)
    texts = [f"split:label\x1frecord-{i}" for i in range(101)]
    assert [bytes(row) for row in sha256_rows(pl.Series(texts))] == _expected(texts)


def test_no_texts_give_no_rows_and_a_missing_text_is_refused():
    assert sha256_rows(pl.Series([], dtype=pl.String)).shape == (0, 32)
    with pytest.raises(ValueError, match="missing"):
        sha256_rows(pl.Series(["a", None]))
