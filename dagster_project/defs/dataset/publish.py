"""training_data: publishes the gated candidate as an immutable `training_data_vN`."""

import dagster as dg

from dagster_project.defs.dataset.candidate import SUMMARY_KEY
from dagster_project.lib.metadata import table_metadata
from dagster_project.lib.specs import DATASET_POOL, stage
from dagster_project.resources.policy import PolicyResource
from dagster_project.resources.warehouse import WarehouseResource
from gleaner.dataset import SPLITS, GateFailed, release, render_card
from gleaner.storage import published_versions, verify_versions


@dg.asset(
    pool=DATASET_POOL,  # one candidate build / publish at a time (dagster_project/instance.py)
    deps=["labeled_dataset"],
    description="Published, immutable training_data_vN: Parquet per split, manifest.json (written last, "
    "exclusively) and a dataset card. Unchanged content publishes nothing new.",
    **stage("dataset", {"polars", "duckdb"}, code_version="2"),  # 2: data versions of inputs, class chart
)
def training_data(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, policy: PolicyResource
) -> dg.MaterializeResult:
    candidate = warehouse.read("labeled_dataset")
    if candidate is None:
        raise dg.Failure("labeled_dataset has not been built; run publish_training_data")
    try:
        released = release(
            warehouse.versions, candidate, warehouse.read_json(SUMMARY_KEY), policy.gate(), policy.as_manifest()
        )
    except GateFailed as exc:
        raise dg.Failure(str(exc)) from None
    outcome = released.outcome
    if outcome.created:
        note = f"published training_data_v{outcome.version} at {outcome.path}"
    else:
        note = f"content identical to training_data_v{outcome.version}; nothing new published"
    context.log.info(note)
    warehouse.refresh_catalog()
    rows = outcome.manifest["rows_per_split_and_class"]
    return dg.MaterializeResult(
        metadata={
            "version": outcome.version,
            "published_new_version": outcome.created,
            "outcome": note,
            "path": dg.MetadataValue.path(str(outcome.path)),
            **table_metadata(released.frame, ["record_id", "split", "label", "text"]),
            **{f"rows_{s}": sum(rows[s].values()) for s in SPLITS},
            "card": dg.MetadataValue.md(render_card(outcome.manifest)),
        }
    )


@dg.asset_check(
    asset=training_data,
    description="Re-hashes every file of every published version against its manifest; fails on tampering.",
    blocking=False,
)
def versions_untampered(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    problems = verify_versions(warehouse.versions)
    return dg.AssetCheckResult(
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        description="; ".join(problems[:5]) or None,
        metadata={
            "problems": dg.MetadataValue.json(problems),
            "versions": len(published_versions(warehouse.versions)),
        },
    )
