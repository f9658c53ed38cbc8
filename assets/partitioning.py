"""Thin glue between Dagster's partition keys and the warehouse's `source=/date=` layout."""

import dagster as dg
import polars as pl

from assets.partitions import source_day_partitions


def partition_of(context: dg.AssetExecutionContext) -> dict[str, str]:
    """Runs launched from the CLI or a backfill may carry the key as its plain string form."""
    key = context.partition_key
    if not isinstance(key, dg.MultiPartitionKey):
        key = source_day_partitions.get_partition_key_from_str(key)
    keys = key.keys_by_dimension
    return {"source": keys["source"], "date": keys["date"]}


def with_partition(frame: pl.DataFrame, partition: dict[str, str]) -> pl.DataFrame:
    return frame.with_columns(
        pl.lit(partition["source"]).alias("source"), pl.lit(partition["date"]).alias("partition_date")
    )


def markdown_table(rows: list[dict], limit: int = 20) -> str:
    """A few rows as a markdown table for asset metadata; long cells are cut so the UI stays readable."""
    if not rows:
        return "_none_"
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows[:limit]:
        cells = [str(row.get(c, "")).replace("|", "\\|").replace("\n", " ")[:80] for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    if len(rows) > limit:
        lines.append(f"\n_{len(rows) - limit} more rows_")
    return "\n".join(lines)
