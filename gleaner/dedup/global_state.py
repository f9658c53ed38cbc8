"""The global dedup pass kept as state, so that adding partitions costs the new records, not all of them.

``gleaner.dedup.global_pass`` settles the kept set and clusters over every first sighting at once. That
result is a function of the records alone, and it decomposes: two records can only interact (be an exact
group, a candidate pair, members of one oversized LSH bucket, hence an edge or a survival decision) when
they share a band hash. So the records fall into *band groups*, the connected components of "shares any of
the sixteen band hashes", and the kernel's answer on a union of whole band groups is the same as its answer
on everything, restricted to them: exact groups are inside a band group (equal normalized texts have equal
bands), every bucket of a band group's records is whole, and survival order is one total order (time, id).

The state is one row per first sighting, sorted by ``record_id``:

``record_id``, ``scraped_at``, ``text``
    the first sighting (earliest ``scraped_at``, then smallest text), as the global pass takes it
``band_0`` .. ``band_15``
    its LSH band hashes (int64, as in the warehouse index)
``band_group``
    the smallest ``record_id`` of its band group
``kept``, ``cluster_id``
    the global pass's answer for it
``partitions``
    every ``date|source`` partition holding the record id, sorted (where a reinstated record's partitions
    are named)

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

import numpy as np
import polars as pl

from gleaner.dedup.global_pass import Settle, first_sightings, local_settle
from gleaner.dedup.kernel import dedup
from gleaner.dedup.lsh import BAND_COLUMNS
from gleaner.dedup.minhash import BANDS
from gleaner.dedup.sketch import Sketches, sketch
from gleaner.dedup.unionfind import components

STATE_COLUMNS = [
    "record_id",
    "scraped_at",
    "text",
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


def _settled(records: pl.DataFrame, bands: np.ndarray, kept_ids: list, cluster_of: dict) -> pl.DataFrame:
    """``records`` (record_id, scraped_at, text, partitions) with their bands and the pass's answer."""
    kept = pl.Series(kept_ids, dtype=pl.String)
    return (
        records.with_columns(
            pl.DataFrame(_band_columns(bands)),
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


def build_state(canonical: pl.DataFrame, threshold: float, settle: Settle = local_settle) -> pl.DataFrame:
    """The state of every record in ``canonical`` (every partition), from scratch.

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
    return _settled(universe, sketches.bands, kept_ids, cluster_of)


def add_records(state: pl.DataFrame, canonical: pl.DataFrame, threshold: float) -> pl.DataFrame:
    """``state`` with the rows of newly added partitions (``canonical``) taken in; the same rows as
    ``build_state`` over the state's records and the new ones together (see the module docstring)."""
    added = _universe(canonical)
    if added.is_empty():
        return state
    in_added = pl.col("record_id").is_in(added["record_id"].implode())
    known = state.filter(in_added)
    state = _with_partitions(state, _merged_partitions(known, added))
    versions = ["record_id", "scraped_at", "text"]
    winners = first_sightings(pl.concat([known.select(versions), added.select(versions)], how="vertical_relaxed"))
    # The new versions: unseen ids, and known ids whose first sighting is now earlier (the old one leaves).
    entering = winners.join(known.select(versions), on=versions, how="anti", nulls_equal=True)
    entering = _with_partitions(entering, _merged_partitions(known, added)).sort("record_id")
    if entering.is_empty():  # re-scrapes only: nothing the pass decides has changed
        return state
    new_sketches = sketch(entering["text"])
    touched = _touched_groups(state, entering["record_id"], new_sketches.bands)
    leaving = pl.col("record_id").is_in(entering["record_id"].implode())
    in_touched = pl.col("band_group").is_in(touched.implode())
    staying = state.filter(in_touched & ~leaving)
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
    redone = _settled(affected, both.bands, result.kept_ids, result.cluster_of)
    return pl.concat([state.filter(~in_touched & ~leaving), redone], how="vertical_relaxed").sort("record_id")


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


def state_bytes(state: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    state.write_parquet(buffer, compression="zstd", statistics=False)
    return buffer.getvalue()


def read_state(data: bytes) -> pl.DataFrame:
    """The state from its bytes; a ValueError when they are not a state (the caller starts from scratch)."""
    frame = pl.read_parquet(io.BytesIO(data))
    if frame.columns != STATE_COLUMNS:
        raise ValueError(f"not a dedup state: columns {frame.columns}")
    return frame
