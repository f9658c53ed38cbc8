"""Dedup of one partition against this and every other partition's kept records: the `deduped_records` step.

What other partitions kept is reached through `KeptRecords` (the warehouse implements it with DuckDB joins
on the persisted band index, `gleaner.dedup.warehouse_index`), so the step never loads earlier records and
stays testable with an in-memory implementation. Two kinds of removal happen before near-dup removal:

- `rescrape`: a record another partition already kept, sighted no later than here (the same review scraped
  again on another day: a backfill, a recrawl). Its `record_id` is the same, so it is neither new nor a near
  duplicate of something else.
- `exact` / `near`: the kernel's removals (`gleaner.dedup.kernel.dedup`) against this partition's own records
  and the prior candidates the band index proposes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import polars as pl

from gleaner.dedup.kernel import PriorCandidates, content_hash, dedup
from gleaner.dedup.lsh import band_table
from gleaner.dedup.sketch import sketch

REMOVAL_SCHEMA = {
    "removed_id": pl.String,
    "kept_id": pl.String,
    "kind": pl.String,
    "jaccard": pl.Float64,
    "est_jaccard": pl.Float64,
}
KEPT_SCHEMA = {"record_id": pl.String, "text": pl.String, "scraped_at": pl.Datetime("us", "UTC")}


class KeptRecords(Protocol):
    """What the partitions other than this one kept, and the band index of everything kept."""

    def kept_elsewhere(self, ids: list[str]) -> pl.DataFrame:
        """Rows (`KEPT_SCHEMA`) other partitions kept for these ids; an id kept twice has two rows."""

    def prior_candidates(self, bands: pl.DataFrame) -> list[str]:
        """Ids of kept records sharing a band hash with `bands` (this partition's own rows may match too)."""


@dataclass(frozen=True)
class PartitionDedup:
    kept: pl.DataFrame  # the partition's records that stay, with cluster_id and content_hash, by record_id
    removals: pl.DataFrame  # REMOVAL_SCHEMA, by removed_id: rescrapes, exact and near duplicates
    bands: pl.DataFrame  # the kept records' band hashes: this partition's rows of the dedup index
    rescrapes: int
    prior_candidates_checked: int
    stale_prior_ids: list[str]  # kept elsewhere, but later copies of records here: the global pass removes them

    def count(self, kind: str) -> int:
        return int((self.removals["kind"] == kind).sum())


def _rescrapes(records: pl.DataFrame, kept: KeptRecords) -> pl.DataFrame:
    seen = (
        kept.kept_elsewhere(records["record_id"].to_list())
        .group_by("record_id")
        .agg(pl.col("scraped_at").min().alias("first_seen"))
    )
    return (
        records.select("record_id", "scraped_at")
        .join(seen, on="record_id")
        .filter(pl.col("first_seen") <= pl.col("scraped_at"))
        .select("record_id", "first_seen")
        .sort("record_id")
    )


def dedup_partition(records: pl.DataFrame, kept: KeptRecords, threshold: float) -> PartitionDedup:
    """`records` has at least `record_id`, `text` and `scraped_at`; every input row ends kept or removed."""
    rescraped = _rescrapes(records, kept)
    records = records.filter(~pl.col("record_id").is_in(rescraped["record_id"].implode())).sort("record_id")
    ids, texts = records["record_id"].to_list(), records["text"].to_list()
    sketches = sketch(texts)
    prior_ids = kept.prior_candidates(band_table(ids, sketches.bands)) if ids else []
    prior = kept.kept_elsewhere(prior_ids).unique("record_id").sort("record_id")
    result = dedup(
        ids,
        texts,
        records["scraped_at"].to_list(),
        threshold=threshold,
        prior=PriorCandidates(prior["record_id"].to_list(), prior["text"].to_list(), prior["scraped_at"].to_list()),
        sketches=sketches,
    )
    survivors = (
        records.filter(pl.col("record_id").is_in(result.kept_ids))
        .with_columns(
            pl.col("record_id").replace_strict(result.cluster_of, default=pl.col("record_id")).alias("cluster_id"),
            pl.col("text").map_elements(content_hash, return_dtype=pl.String).alias("content_hash"),
        )
        .sort("record_id")
    )
    rescrape_rows = rescraped.select(
        pl.col("record_id").alias("removed_id"),
        pl.col("record_id").alias("kept_id"),
        pl.lit("rescrape").alias("kind"),
        pl.lit(1.0).alias("jaccard"),
        pl.lit(1.0).alias("est_jaccard"),
    )
    removals = pl.concat(
        [result.removals.select(list(REMOVAL_SCHEMA)).cast(REMOVAL_SCHEMA), rescrape_rows.cast(REMOVAL_SCHEMA)]
    ).sort("removed_id")
    return PartitionDedup(
        kept=survivors,
        removals=removals,
        bands=result.bands,
        rescrapes=rescraped.height,
        prior_candidates_checked=len(prior_ids),
        stale_prior_ids=list(result.stale_prior_ids),
    )
