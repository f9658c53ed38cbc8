"""The asset graph people rely on, in materialization order; the UI and S3 end-to-end tests walk it."""

from dagster_project.defs.jobs import INGEST_ASSETS

ASSETS = (*INGEST_ASSETS, "labeled_dataset", "training_data")
