"""Jobs named for what people do: ingest one source-day (every dataset's partition of it), publish the
datasets' next versions."""

from __future__ import annotations

import dagster as dg

# raw_pages, then each dataset's records, dedup and labels: every partitioned asset of the location
INGEST_GROUPS = ("ingest", "records", "labels")

ingest_partition = dg.define_asset_job(
    "ingest_partition",
    selection=dg.AssetSelection.groups(*INGEST_GROUPS),
    description="Crawl (or read the drops of) one source on one day and carry it through every dataset's "
    "records, dedup and labelling.",
)

publish_training_data = dg.define_asset_job(
    "publish_training_data",
    selection=dg.AssetSelection.groups("dataset"),
    description="For every dataset: build the candidate from every partition, gate it with blocking checks, "
    "publish <dataset>_vN.",
)
