"""Jobs named for what people do: ingest one source-day, publish a training-data version."""

from __future__ import annotations

import dagster as dg

INGEST_ASSETS = [
    "raw_pages",
    "canonical_records",
    "failed_records",
    "deduped_records",
    "near_duplicates",
    "human_labels",
    "labels",
    "review_tasks",
]

ingest_partition = dg.define_asset_job(
    "ingest_partition",
    selection=dg.AssetSelection.assets(*INGEST_ASSETS),
    description="Crawl (or read the drops of) one source on one day and carry it through labelling.",
)

publish_training_data = dg.define_asset_job(
    "publish_training_data",
    selection=dg.AssetSelection.assets("labeled_dataset", "training_data"),
    description="Build the candidate from every partition, gate it with blocking checks, publish vN.",
)
