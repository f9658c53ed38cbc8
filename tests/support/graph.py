"""The asset graph people rely on, in materialization order; the UI and S3 end-to-end tests walk it.

`raw_pages` is shared; every dataset declared in config/datasets/ has the same chain of assets under its
name as key prefix (`review_sentiment/labels`), and its warehouse tables are named the same way."""

from dagster_project.lib.datasets import DATASETS

BUILT_IN_DATASETS = ("review_sentiment", "product_entities")

# one dataset's assets, in materialization order
DATASET_ASSETS = (
    "canonical_records",
    "failed_records",
    "deduped_records",
    "near_duplicates",
    "human_labels",
    "labels",
    "review_tasks",
    "labeled_dataset",
    "training_data",
)

# every asset key of the location (as "/"-joined paths), in materialization order
ASSETS = ("raw_pages", *(f"{dataset}/{asset}" for dataset in sorted(DATASETS) for asset in DATASET_ASSETS))
