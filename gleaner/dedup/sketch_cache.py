"""MinHash sketches of texts seen before, by a fingerprint of the text, so that a caller that sketches
nearly the same texts again (the gate's leak check, at every publish) only sketches the new ones.

A text's sketch (its whole-text key and band hashes) depends on the text and this library's code alone:
`sketch` works through texts in batches, but each text's key and bands come from its own shingles. So a
sketch looked up by the text's 128-bit fingerprint (two seeded polars hashes) is the one `sketch` would
compute, provided the fingerprints were taken and the sketches computed under the same `sketch_key`: this
library's code (shingling, MinHash, banding) and the polars version (whose string hash it is).

The same holds for the exact Jaccard of a pair of texts, so a dedup run over nearly the same texts again can
be told the pairs it verified before (`known_jaccard`, `checked_pairs`, the kernel's `known_pairs`) and skip
verifying, and shingling the texts of, candidate pairs known to fall below its threshold.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np
import polars as pl

from gleaner.code_version import source_fingerprint
from gleaner.dedup.edges import KnownJaccard
from gleaner.dedup.minhash import BANDS
from gleaner.dedup.sketch import Sketches, sketch

BAND_COLUMNS = [f"b{i}" for i in range(BANDS)]
SKETCH_SCHEMA = {"h0": pl.UInt64, "h1": pl.UInt64, "text_key": pl.UInt64, **dict.fromkeys(BAND_COLUMNS, pl.UInt64)}


def sketch_key() -> str:
    """What stored sketches are good under: the library's code and the polars version."""
    basis = {"code": source_fingerprint(), "polars": pl.__version__, "bands": BANDS}
    return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()


# A candidate pair's two texts by fingerprint, the smaller (h0, h1) first, and the exact Jaccard of their
# shingle sets: like a sketch, a function of the two texts and this library's code alone.
PAIR_SCHEMA = {"a0": pl.UInt64, "a1": pl.UInt64, "b0": pl.UInt64, "b1": pl.UInt64, "jaccard": pl.Float64}
PAIR_KEYS = ["a0", "a1", "b0", "b1"]


@dataclass(frozen=True)
class KnownSketches:
    """Sketches of texts sketched before, one row per distinct text (`SKETCH_SCHEMA`, sorted by the
    fingerprint `h0`, `h1`), good only under `key` (`sketch_key`); `pairs`: the candidate pairs a dedup
    over those texts verified, with their Jaccard (`PAIR_SCHEMA`, sorted), good under the same key."""

    key: str
    sketches: pl.DataFrame
    pairs: pl.DataFrame | None = None


def text_fingerprints(texts: pl.Series) -> pl.DataFrame:
    """`h0`, `h1` of each text in order: the text hashed with two seeds (a missing text as the empty one,
    which is how `sketch` reads it)."""
    filled = texts.cast(pl.String).fill_null("")
    return pl.DataFrame({"h0": filled.hash(seed=0), "h1": filled.hash(seed=1)})


def _table(prints: pl.DataFrame, sketches: Sketches) -> pl.DataFrame:
    """`SKETCH_SCHEMA` rows: the fingerprints `prints` with the sketches of their texts, in order."""
    bands = dict(zip(BAND_COLUMNS, sketches.bands.T, strict=True))
    columns = {"h0": prints["h0"], "h1": prints["h1"], "text_key": sketches.text_keys, **bands}
    return pl.DataFrame(columns, schema=SKETCH_SCHEMA)


def sketch_knowing(
    texts: pl.Series, known: KnownSketches | None, prints: pl.DataFrame | None = None
) -> tuple[Sketches, KnownSketches, int]:
    """`sketch(texts)` without its shingles (a missing text read as the empty one), sketching only the
    distinct texts `known` has no sketch of; also the sketches of every distinct text of `texts` (for the
    next call) and how many texts were sketched now. `prints`: `text_fingerprints(texts)`, when the caller
    has them (`known_jaccard` hands them back)."""
    key = sketch_key()
    texts = texts.cast(pl.String).fill_null("")
    prints = (text_fingerprints(texts) if prints is None else prints).with_row_index("_at")
    table = pl.DataFrame(schema=SKETCH_SCHEMA)
    if known is not None and known.key == key:
        table = known.sketches.unique(["h0", "h1"], keep="first")  # a lookup: one sketch per fingerprint
    new = prints.join(table, on=["h0", "h1"], how="anti").unique(["h0", "h1"], keep="first", maintain_order=True)
    if new.height:
        table = pl.concat([table, _table(new, sketch(texts.gather(new["_at"]), keep_shingles=False))])
    found = prints.join(table, on=["h0", "h1"], how="left", maintain_order="left")
    keys = found["text_key"].to_numpy().astype(np.uint64)
    bands = np.ascontiguousarray(found.select(BAND_COLUMNS).to_numpy(), dtype=np.uint64)
    remembered = found.drop("_at").unique(["h0", "h1"], keep="first").sort("h0", "h1")
    return Sketches(keys, bands), KnownSketches(key, remembered), new.height


def _pair_keys(prints: pl.DataFrame, left: np.ndarray, right: np.ndarray) -> pl.DataFrame:
    """`a0`, `a1`, `b0`, `b1` of the pairs (rows of `prints`), each pair's smaller fingerprint first."""
    a, b = prints[left], prints[right]
    swap = (b["h0"] < a["h0"]) | ((b["h0"] == a["h0"]) & (b["h1"] < a["h1"]))
    first = {"a0": (a["h0"], b["h0"]), "a1": (a["h1"], b["h1"]), "b0": (b["h0"], a["h0"]), "b1": (b["h1"], a["h1"])}
    return pl.DataFrame(
        {name: pl.select(pl.when(swap).then(y).otherwise(x)).to_series() for name, (x, y) in first.items()}
    )


def known_jaccard(texts: pl.Series, known: KnownSketches | None) -> tuple[pl.DataFrame, KnownJaccard]:
    """The fingerprints of `texts` (`text_fingerprints`) and what `known` knows of the Jaccard of pairs of
    those texts (NaN where it does not; nothing when its pairs are not good under this code), for `dedup`'s
    `known_pairs`: passed even when empty, so that the dedup hands back every pair it checked."""
    prints = text_fingerprints(texts)
    usable = known is not None and known.pairs is not None and known.key == sketch_key()
    # a lookup: one Jaccard per pair (a table holding a pair twice would misalign the answer with the pairs)
    table = known.pairs.unique(PAIR_KEYS, keep="first") if usable else pl.DataFrame(schema=PAIR_SCHEMA)

    def lookup(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        keys = _pair_keys(prints, left, right)
        found = keys.join(table, on=PAIR_KEYS, how="left", maintain_order="left")
        return found["jaccard"].fill_null(float("nan")).to_numpy()

    return prints, lookup


def checked_pairs(
    prints: pl.DataFrame, checked: tuple[np.ndarray, np.ndarray, np.ndarray] | None
) -> pl.DataFrame | None:
    """`PAIR_SCHEMA` rows for a dedup's checked pairs (`DedupResult.checked_pairs`, rows of `prints`),
    sorted, one per pair of texts."""
    if checked is None:
        return None
    left, right, jaccard = checked
    keys = _pair_keys(prints, left, right).with_columns(jaccard=pl.Series(jaccard, dtype=pl.Float64))
    return keys.unique(PAIR_KEYS, keep="first").sort(PAIR_KEYS)
