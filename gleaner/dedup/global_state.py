"""The global dedup pass kept as state, so that adding partitions costs the new records, not all of them.

``gleaner.dedup.global_pass`` settles the kept set and clusters over every first sighting at once. That
result is a function of the records alone, and it decomposes: two records can only interact (be an exact
group, a candidate pair, members of one oversized LSH bucket, hence an edge or a survival decision) when
they share a band hash. So the records fall into *band groups*, the connected components of "shares any of
the sixteen band hashes", and the kernel's answer on a union of whole band groups is the same as its answer
on everything, restricted to them: exact groups are inside a band group (equal normalized texts have equal
bands), every bucket of a band group's records is whole, and survival order is one total order (time, id).

The state is one row per first sighting, sorted by ``record_id``:

``record_id``, ``scraped_at``
    the first sighting (earliest ``scraped_at``, then smallest text), as the global pass takes it
``text_segment``
    which text segment holds its text
``band_0`` .. ``band_15``
    its LSH band hashes (int64, as in the warehouse index)
``band_group``
    the smallest ``record_id`` of its band group
``kept``, ``cluster_id``
    the global pass's answer for it
``partitions``
    every ``date|source`` partition holding the record id, sorted (where a reinstated record's partitions
    are named)

The texts live apart, in append-only *segments* of (record_id, text): the state built from scratch is
segment 0, and each addition writes one more segment with the texts of the records it brings in. The
state is rewritten at every build; the texts, most of its bytes, are written once and read back only for
the records an addition re-runs (and for a re-scrape seen at the same time as its first sighting, where
the smaller text decides which sighting is first).

Adding records (``add_records``): a new record id, or a known one seen earlier than its first sighting
(then its old version leaves), is sketched; the affected set is the new versions plus every band group
that holds a leaving version or shares a band hash with a new one. That set is closed under sharing a band
hash (an untouched group shares none with the new records, and none with the rest, being a component), so
the kernel re-run on it alone gives exactly what a pass over everything gives, survivor choice included: a
new record that outranks a kept one takes its place inside the re-run. Everything outside keeps its rows.
The result equals ``build_state`` on all records, row for row (tests/dataset/test_incremental_candidate.py).
Only additions go this way: a partition that changed or disappeared can take records out, and the caller
rebuilds from scratch (``gleaner.dataset.candidate_state``).
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import polars as pl

from gleaner.dedup.global_pass import Settle, first_sightings, local_settle
from gleaner.dedup.kernel import dedup
from gleaner.dedup.lsh import BAND_COLUMNS
from gleaner.dedup.minhash import BANDS
from gleaner.dedup.sketch import Sketches, sketch
from gleaner.dedup.unionfind import components

# (rows of the state with record_id and text_segment) -> (record_id, text) of those rows
TextsOf = Callable[[pl.DataFrame], pl.DataFrame]

STATE_COLUMNS = [
    "record_id",
    "scraped_at",
    "text_segment",
    *BAND_COLUMNS,
    "band_group",
    "kept",
    "cluster_id",
    "partitions",
]


# ``date|source``: how a candidate names a partition to re-run (``gleaner.dataset.candidate``)
PARTITION_NAME = pl.concat_str([pl.col("partition_date"), pl.col("source")], separator="|")


def _universe(canonical: pl.DataFrame) -> pl.DataFrame:
    """First sightings (record_id, scraped_at, text) with every partition holding each id."""
    partitions = (
        canonical.select("record_id", PARTITION_NAME.alias("partition"))
        .unique()
        .group_by("record_id")
        .agg(pl.col("partition").sort())
        .rename({"partition": "partitions"})
    )
    seen = first_sightings(canonical.select("record_id", "text", "scraped_at"))
    return seen.select("record_id", "scraped_at", "text").join(partitions, on="record_id").sort("record_id")


def _band_columns(bands: np.ndarray) -> dict[str, np.ndarray]:
    hashes = np.ascontiguousarray(bands, dtype=np.uint64).reshape(-1, BANDS).view(np.int64)
    return {name: hashes[:, b] for b, name in enumerate(BAND_COLUMNS)}


def _band_groups(ids: pl.Series, bands: np.ndarray) -> pl.Series:
    """Each record's band group, named by its smallest record_id (``ids`` need not be sorted)."""
    lefts, rights = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for b in range(bands.shape[1]):
        order = np.argsort(bands[:, b], kind="stable")
        same = bands[order[1:], b] == bands[order[:-1], b]
        lefts.append(order[:-1][same])
        rights.append(order[1:][same])
    label = components(len(ids), np.concatenate(lefts), np.concatenate(rights))
    named = pl.DataFrame({"record_id": ids, "label": label})
    return named.join(
        named.group_by("label").agg(pl.col("record_id").min().alias("band_group")), on="label", how="left"
    )["band_group"]


def _settled(records: pl.DataFrame, bands: np.ndarray, kept_ids: list, cluster_of: dict, segment: int) -> pl.DataFrame:
    """``records`` (record_id, scraped_at, text, partitions) as state rows, their texts in ``segment``."""
    kept = pl.Series(kept_ids, dtype=pl.String)
    return (
        records.with_columns(
            pl.DataFrame(_band_columns(bands)),
            text_segment=pl.lit(segment, pl.Int64),
            band_group=_band_groups(records["record_id"], bands),
            kept=pl.col("record_id").is_in(kept.implode()),
        )
        .with_columns(  # only a kept record's cluster matters (and is what every engine returns)
            cluster_id=pl.when("kept").then(
                pl.col("record_id").replace_strict(cluster_of, default=None, return_dtype=pl.String)
            )
        )
        .select(STATE_COLUMNS)
        .sort("record_id")
    )


def _texts(records: pl.DataFrame) -> pl.DataFrame:
    return records.select("record_id", "text").sort("record_id")


def build_state(
    canonical: pl.DataFrame, threshold: float, settle: Settle = local_settle
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The state of every record in ``canonical`` (every partition), from scratch, and its texts (segment 0).

    The kernel runs on sketches computed once here (its bands are also the state's); another engine
    (``settle`` on Spark) settles the kept set and clusters itself and the bands are computed beside it.
    """
    universe = _universe(canonical)
    sketches = sketch(universe["text"])
    if settle is local_settle:
        result = dedup(
            universe["record_id"], universe["text"], universe["scraped_at"], threshold=threshold, sketches=sketches
        )
        kept_ids, cluster_of = result.kept_ids, result.cluster_of
    else:
        kept_ids, cluster_of = settle(universe.select("record_id", "text", "scraped_at"), threshold)
    return _settled(universe, sketches.bands, kept_ids, cluster_of, 0), _texts(universe)


def _entering(state: pl.DataFrame, added: pl.DataFrame, texts_of: TextsOf) -> pl.DataFrame:
    """The added first sightings that change the state: unseen ids, and known ids now seen first earlier
    (earliest ``scraped_at``, missing last; at the same time the smaller text, missing last)."""
    old = state.select("record_id", pl.col("scraped_at").alias("old_at"), "text_segment", known=pl.lit(True))
    pairs = added.join(old, on="record_id", how="left")
    new_at, old_at = pl.col("scraped_at"), pl.col("old_at")
    earlier = (new_at.is_not_null() & old_at.is_null()) | (new_at < old_at)
    same_time = (new_at.is_null() & old_at.is_null()) | (new_at == old_at)
    ties = pairs.filter(pl.col("known") & same_time.fill_null(False))
    smaller = pl.lit(False)
    if not ties.is_empty():  # only here does the old text matter
        old_texts = texts_of(ties).rename({"text": "old_text"})
        ties = ties.join(old_texts, on="record_id", how="left")
        new_text, old_text = pl.col("text"), pl.col("old_text")
        won = (new_text.is_not_null() & old_text.is_null()) | (new_text < old_text)
        smaller = pl.col("record_id").is_in(ties.filter(won.fill_null(False))["record_id"].implode())
    changes = pl.col("known").is_null() | earlier.fill_null(False) | smaller
    return pairs.filter(changes).select(added.columns)


def add_records(
    state: pl.DataFrame, canonical: pl.DataFrame, threshold: float, texts_of: TextsOf, segment: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``state`` with the rows of newly added partitions (``canonical``) taken in, and the texts of the
    records it brought in (to be stored as ``segment``); ``texts_of`` reads stored texts. The same rows as
    ``build_state`` over the state's records and the new ones together (see the module docstring), but
    for ``text_segment``."""
    added = _universe(canonical)
    no_texts = pl.DataFrame(schema={"record_id": pl.String, "text": pl.String})
    if added.is_empty():
        return state, no_texts
    known = state.filter(pl.col("record_id").is_in(added["record_id"].implode()))
    merged = _merged_partitions(known, added)
    state = _with_partitions(state, merged)
    entering = _with_partitions(_entering(state, added.drop("partitions"), texts_of), merged).sort("record_id")
    if entering.is_empty():  # re-scrapes only: nothing the pass decides has changed
        return state, no_texts
    new_sketches = sketch(entering["text"])
    touched = _touched_groups(state, entering["record_id"], new_sketches.bands)
    leaving = pl.col("record_id").is_in(entering["record_id"].implode())
    in_touched = pl.col("band_group").is_in(touched.implode())
    staying = state.filter(in_touched & ~leaving)
    staying = staying.join(texts_of(staying), on="record_id", how="left")
    affected = pl.concat([entering, staying.select(entering.columns)], how="vertical_relaxed")
    old_sketches = sketch(staying["text"])
    stores = (new_sketches.shingles, old_sketches.shingles)
    both = Sketches(
        np.concatenate([new_sketches.text_keys, old_sketches.text_keys]),
        np.concatenate([new_sketches.bands, old_sketches.bands]),
        stores[0] + stores[1] if None not in stores else None,
    )
    # The kernel's answer does not depend on the order of its input (gleaner.dedup.kernel).
    result = dedup(affected["record_id"], affected["text"], affected["scraped_at"], threshold=threshold, sketches=both)
    redone = _settled(affected, both.bands, result.kept_ids, result.cluster_of, segment)
    # A staying record keeps its segment (its text is stored already); only entering ones are new.
    redone = redone.join(staying.select("record_id", old_segment="text_segment"), on="record_id", how="left")
    redone = redone.with_columns(text_segment=pl.coalesce("old_segment", "text_segment")).select(STATE_COLUMNS)
    updated = pl.concat([state.filter(~in_touched & ~leaving), redone], how="vertical_relaxed").sort("record_id")
    return updated, _texts(entering)


def _merged_partitions(known: pl.DataFrame, added: pl.DataFrame) -> pl.DataFrame:
    """record_id -> the sorted union of the partitions the state (``known``) and the additions name."""
    return (
        pl.concat([known.select("record_id", "partitions"), added.select("record_id", "partitions")])
        .explode("partitions")
        .unique()
        .group_by("record_id")
        .agg(pl.col("partitions").sort())
    )


def _with_partitions(rows: pl.DataFrame, merged: pl.DataFrame) -> pl.DataFrame:
    """``rows`` with ``partitions`` taken from ``merged`` where it names the id, in the same columns."""
    columns = [c for c in rows.columns if c != "partitions"] + ["partitions"]
    if "partitions" not in rows.columns:
        return rows.join(merged, on="record_id", how="left").select(columns)
    joined = rows.join(merged.rename({"partitions": "merged"}), on="record_id", how="left")
    return joined.with_columns(pl.coalesce("merged", "partitions").alias("partitions")).select(rows.columns)


def _touched_groups(state: pl.DataFrame, entering: pl.Series, bands: np.ndarray) -> pl.Series:
    """The band groups of the leaving versions and of every state row sharing a band hash with an entering one."""
    hit = pl.col("record_id").is_in(entering.implode())
    columns = _band_columns(bands)
    for name in BAND_COLUMNS:
        hit = hit | pl.col(name).is_in(pl.Series(columns[name]).implode())
    return state.filter(hit)["band_group"].unique().sort()


def state_bytes(frame: pl.DataFrame) -> bytes:
    """A state or a text segment as Parquet bytes."""
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression="zstd", statistics=False)
    return buffer.getvalue()


def read_state(data: bytes) -> pl.DataFrame:
    """The state from its bytes; a ValueError when they are not a state (the caller starts from scratch)."""
    return _read(data, STATE_COLUMNS)


def read_texts(data: bytes) -> pl.DataFrame:
    """A text segment from its bytes; a ValueError when they are not one."""
    return _read(data, ["record_id", "text"])


def _read(data: bytes, columns: list[str]) -> pl.DataFrame:
    frame = pl.read_parquet(io.BytesIO(data))
    if frame.columns != columns:
        raise ValueError(f"columns {frame.columns}, expected {columns}")
    return frame
