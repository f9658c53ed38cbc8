"""Pieces of the candidate dataset that need every partition at once.

Per-partition dedup only sees partitions materialized before it, so its results can go stale when
partitions run out of order. The global pass re-runs the same dedup over every kept record, which makes
the final kept set independent of materialization order.
"""

from __future__ import annotations

from collections import defaultdict

import polars as pl

from gleaner.dedup import dedup


def global_dedup_pass(deduped: pl.DataFrame, threshold: float) -> tuple[pl.DataFrame, int]:
    """Survivors of a dedup over all partitions, with cluster ids from that pass; and how many went."""
    frame = deduped.sort("record_id")
    result = dedup(
        frame["record_id"].to_list(),
        frame["text"].to_list(),
        frame["scraped_at"].to_list(),
        threshold=threshold,
    )
    kept = set(result.kept_ids)
    survivors = frame.filter(pl.col("record_id").is_in(kept)).with_columns(
        pl.col("record_id")
        .replace_strict(result.cluster_of, default=pl.col("cluster_id"))
        .alias("cluster_id")
    )
    return survivors, frame.height - survivors.height


def label_votes(votes: pl.DataFrame) -> dict[str, dict[str, str]]:
    """annotator -> {record -> label}, abstentions and resolved rows left out."""
    table: dict[str, dict[str, str]] = defaultdict(dict)
    for row in votes.filter(
        (pl.col("annotator_kind") != "resolved") & pl.col("label").is_not_null()
    ).iter_rows(named=True):
        table[row["annotator"]][row["record_id"]] = row["label"]
    return dict(table)
