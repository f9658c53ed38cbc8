"""A partition is one source on one day; keys stay plain slugs so backfills and the UI handle them.

The one place Dagster's partition keys meet the warehouse's `source=/date=` layout: assets turn their
context's key into a `{source, date}` dict here and tag the rows they write with it.
"""

import dagster as dg
import polars as pl

from gleaner.sources import load_sources

START_DATE = "2026-11-01"
DEMO_DATE = "2026-11-20"

SOURCES = load_sources()

date_partitions = dg.DailyPartitionsDefinition(start_date=START_DATE)
source_partitions = dg.StaticPartitionsDefinition(sorted(SOURCES))
source_day_partitions = dg.MultiPartitionsDefinition({"date": date_partitions, "source": source_partitions})


def partition_key(source: str, date: str) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({"source": source, "date": date})


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
