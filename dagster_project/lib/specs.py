"""What every Gleaner asset declares alike: its stage group, kinds, owners and code version.

Kinds name the technologies an asset touches, plus where its data lives (`parquet` files locally, `s3`
when `GLEANER_WAREHOUSE` is a bucket), so the UI can filter "everything on S3" or "everything the LLM
touched". Bump an asset's code version whenever its output for the same input changes: Dagster then marks
its materializations stale.
"""

from dagster_project.resources.warehouse import default_root

OWNERS = ["team:data-engineering"]
# labeled_dataset and training_data: one run at a time holds this pool (limit set in dagster_project/instance.py)
DATASET_POOL = "dataset"


def storage_kind() -> str:
    return "s3" if default_root().startswith("s3://") else "parquet"


def stage(group: str, kinds: set[str], code_version: str) -> dict[str, object]:
    return {
        "group_name": group,
        "kinds": {*kinds, storage_kind()},
        "owners": OWNERS,
        "code_version": code_version,
    }
