"""Sketches looked up by a text's fingerprint are the sketches `sketch` computes: only new texts are sketched,
and a stored sketch is used only under its key and for both halves of its text's fingerprint."""

from __future__ import annotations

import numpy as np
import polars as pl
from support.dedup_texts import words

from gleaner.dedup.sketch import sketch
from gleaner.dedup.sketch_cache import BAND_COLUMNS, KnownSketches, sketch_knowing, text_fingerprints


def _texts() -> pl.Series:
    base = [" ".join(words(f"t{n}w", 12)) for n in range(30)]
    # repeats, the empty text and a missing one: each distinct text is remembered once
    return pl.Series("text", [*base, base[3], "", None, base[7] + " and a tail"])


def _equal(found, texts: pl.Series) -> None:
    expected = sketch(texts.fill_null(""))
    assert np.array_equal(found.text_keys, expected.text_keys)
    assert np.array_equal(found.bands, expected.bands)


def test_sketches_equal_sketching_every_text_however_many_are_known() -> None:
    texts = _texts()
    cold, known, sketched = sketch_knowing(texts, None)
    _equal(cold, texts)
    assert sketched == known.sketches.height == texts.fill_null("").n_unique()  # each distinct text once
    more = pl.concat([texts, pl.Series("text", [" ".join(words("new", 12)), "fresh text here"])])
    warm, again, sketched = sketch_knowing(more, known)
    _equal(warm, more)
    assert sketched == 2  # only the two texts the known sketches did not hold
    partial = KnownSketches(known.key, known.sketches.head(10))
    _equal(sketch_knowing(more, partial)[0], more)
    assert sketch_knowing(more, again)[2] == 0


def _forged(known: KnownSketches, key: str | None = None, h1_offset: int = 0) -> KnownSketches:
    """`known` with every band replaced by a wrong value (and, optionally, another key or h1)."""
    forged = known.sketches.with_columns(
        pl.lit(12345, pl.UInt64).alias(c) for c in ["text_key", *BAND_COLUMNS]
    ).with_columns(h1=pl.col("h1") + h1_offset)
    return KnownSketches(known.key if key is None else key, forged)


def test_a_stored_sketch_counts_only_under_its_key_and_whole_fingerprint() -> None:
    texts = _texts()
    _, known, _ = sketch_knowing(texts, None)
    used, _, sketched = sketch_knowing(texts, _forged(known))  # the forgery is trusted: it is looked up
    assert sketched == 0 and (used.bands == 12345).all()
    for forged in (_forged(known, key="another"), _forged(known, h1_offset=1)):
        found, _, sketched = sketch_knowing(texts, forged)
        _equal(found, texts)
        assert sketched == texts.fill_null("").n_unique()


def test_fingerprints_read_a_missing_text_as_the_empty_one() -> None:
    prints = text_fingerprints(pl.Series(["", None, "a"]))
    assert prints.row(0) == prints.row(1) != prints.row(2)
