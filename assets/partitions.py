"""A partition is one source on one day; keys stay plain slugs so backfills and the UI handle them."""

import dagster as dg

from gleaner.sources import load_sources

START_DATE = "2026-11-01"
DEMO_DATE = "2026-11-20"

SOURCES = load_sources()

date_partitions = dg.DailyPartitionsDefinition(start_date=START_DATE)
source_partitions = dg.StaticPartitionsDefinition(sorted(SOURCES))
source_day_partitions = dg.MultiPartitionsDefinition({"date": date_partitions, "source": source_partitions})


def partition_key(source: str, date: str) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({"source": source, "date": date})
