"""A dedup told the Jaccard of pairs it verified before (the leak check's `leak-pairs.state`) gives the result
of verifying every pair, and shingles only the texts of pairs it has not seen.

The corpus is the global state's (tests/dedup/test_global_state.py): templated families large enough for
oversized buckets, chains, exact copies and background texts sharing band hashes by chance, so known pairs
hold edges and near misses alike."""

from __future__ import annotations

import random

import numpy as np
import polars as pl
import pytest
from test_global_state import _corpus

import gleaner.dedup.kernel as kernel
from gleaner.dedup.sketch_cache import SKETCH_SCHEMA, KnownSketches, checked_pairs, known_jaccard, sketch_key

THRESHOLD = 0.8


def _records(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.unique("record_id", keep="first", maintain_order=True).sort("record_id")


def _same(found: kernel.DedupResult, expected: kernel.DedupResult) -> None:
    assert found.kept_ids == expected.kept_ids
    assert found.removals.equals(expected.removals)
    assert found.cluster_of == expected.cluster_of


@pytest.fixture
def shingled(monkeypatch) -> list[int]:
    """How many texts each run of the kernel shingles to verify pairs (one entry per run, summed)."""
    counts: list[int] = []
    real = kernel.shingle_lists

    def counting(store, texts, rows):
        if counts:  # inside a `_run`
            counts[-1] += len(rows)
        return real(store, texts, rows)

    monkeypatch.setattr(kernel, "shingle_lists", counting)
    return counts


def _run(records: pl.DataFrame, known: KnownSketches | None, counts: list[int]):
    counts.append(0)
    prints, lookup = known_jaccard(records["text"], known)
    result = kernel.dedup(
        records["record_id"], records["text"], records["scraped_at"], threshold=THRESHOLD, known_pairs=lookup
    )
    return result, KnownSketches(
        sketch_key(), pl.DataFrame(schema=SKETCH_SCHEMA), checked_pairs(prints, result.checked_pairs)
    )


def test_known_pairs_give_the_dedup_of_verifying_every_pair(shingled) -> None:
    days = _corpus(11)
    first = _records(pl.concat(days[:3]))
    plain = kernel.dedup(first["record_id"], first["text"], first["scraped_at"], threshold=THRESHOLD)
    cold, known = _run(first, None, shingled)
    _same(cold, plain)  # nothing known: every pair verified, and handed back
    assert known.pairs.height == np.unique(np.stack(cold.checked_pairs[:2]), axis=1).shape[1] > 1000
    assert (known.pairs["jaccard"] >= THRESHOLD).sum() > 50  # edges among the known pairs, not only misses

    later = _records(pl.concat([first.filter(pl.col("record_id").str.ends_with("7").not_()), days[3]]))
    expected = kernel.dedup(later["record_id"], later["text"], later["scraped_at"], threshold=THRESHOLD)
    warm, again = _run(later, known, shingled)
    _same(warm, expected)
    fresh, _ = _run(later, None, shingled)
    assert again.pairs.equals(checked_pairs(known_jaccard(later["text"], None)[0], fresh.checked_pairs))


def test_texts_only_in_known_misses_are_not_shingled_again(shingled) -> None:
    """Families of texts sharing a long opening but not their endings share band hashes: many candidate
    pairs, all near misses (Jaccard about 0.6). Checked again with near copies of a few added (edges), only
    the pairs those bring are verified."""
    rng = random.Random(3)
    vocabulary = [f"v{n}" for n in range(2000)]
    texts = []
    for _ in range(100):
        opening = " ".join(rng.choice(vocabulary) for _ in range(40))
        texts += [f"{opening} {' '.join(rng.choice(vocabulary) for _ in range(10))}" for _ in range(6)]
    texts += [f"{text} again" for text in texts[:120:6]]  # near copies of one text in 20 families
    records = pl.DataFrame({"record_id": [f"r{n:05d}" for n in range(len(texts))], "text": texts})
    records = records.with_columns(scraped_at=pl.lit(None, pl.Datetime("us", "UTC")))
    _, known = _run(records.head(600), None, shingled)
    later = records.filter(pl.col("record_id") != "r00599")
    expected = kernel.dedup(later["record_id"], later["text"], later["scraped_at"], threshold=THRESHOLD)
    assert expected.removals.height == 20
    warm, _ = _run(later, known, shingled)
    fresh, _ = _run(later, None, shingled)
    _same(warm, expected)
    _same(fresh, expected)
    assert shingled[1] < shingled[2] / 2, shingled


def test_pairs_count_only_under_their_key() -> None:
    days = _corpus(11)
    records = _records(days[0])
    prints, _ = known_jaccard(records["text"], None)
    result = kernel.dedup(
        records["record_id"],
        records["text"],
        threshold=THRESHOLD,
        known_pairs=lambda left, right: np.full(len(left), np.nan),
    )
    pairs = checked_pairs(prints, result.checked_pairs).with_columns(jaccard=pl.lit(0.0))  # every pair forged a miss
    trusted = KnownSketches(sketch_key(), pl.DataFrame(schema=SKETCH_SCHEMA), pairs)
    assert (known_jaccard(records["text"], trusted)[1](*result.checked_pairs[:2]) == 0.0).all()
    stale = KnownSketches("other code", pl.DataFrame(schema=SKETCH_SCHEMA), pairs)
    assert np.isnan(known_jaccard(records["text"], stale)[1](*result.checked_pairs[:2])).all()


def test_a_pairs_table_holding_a_pair_twice_still_answers_once_per_pair() -> None:
    """A state file edited by hand (its hash in the manifest too) can repeat a pair: the lookup answers each
    pair once, and the dedup is the one verifying everything gives."""
    records = _records(pl.concat(_corpus(11)[:2]))
    prints, lookup = known_jaccard(records["text"], None)
    plain = kernel.dedup(records["record_id"], records["text"], records["scraped_at"], known_pairs=lookup)
    pairs = checked_pairs(prints, plain.checked_pairs)
    assert pairs.height > 100
    repeated = KnownSketches(sketch_key(), pl.DataFrame(schema=SKETCH_SCHEMA), pl.concat([pairs, pairs]))
    _, twice = known_jaccard(records["text"], repeated)
    assert len(twice(*plain.checked_pairs[:2])) == len(plain.checked_pairs[0])
    found = kernel.dedup(records["record_id"], records["text"], records["scraped_at"], known_pairs=twice)
    _same(found, plain)
