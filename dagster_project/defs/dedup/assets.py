"""<dataset>/deduped_records and <dataset>/near_duplicates: exact and near-duplicate removal of a dataset's
records (their labeled `text`) against every other partition of that dataset.

The band hashes of every kept record live in the warehouse (`dedup_index`), so a partition is checked by
a DuckDB join against them, never by loading earlier records (`gleaner.dedup.dedup_partition`). Per-partition
results can go stale when partitions are materialized out of order; `labeled_dataset` settles that with a
global pass.
"""

import dagster as dg

from dagster_project.lib.datasets import EXTRACTED, key, table
from dagster_project.lib.metadata import log_removals, table_metadata
from dagster_project.lib.partitions import partition_of, source_day_partitions, with_partition
from dagster_project.lib.specs import stage
from dagster_project.resources.warehouse import WarehouseResource
from gleaner.datasets import DatasetSpec
from gleaner.dedup import INDEX_ASSET, WarehouseKeptRecords, dedup_partition

RECONCILES = "records_reconcile"


def dedup_assets(spec: DatasetSpec) -> dg.AssetsDefinition:
    deduped, removed = key(spec, "deduped_records"), key(spec, "near_duplicates")
    threshold = spec.gate.dedup_threshold

    @dg.multi_asset(
        name=f"{spec.name}__deduped_records",
        specs=[
            dg.AssetSpec(
                deduped,
                deps=[key(spec, "canonical_records")],
                description="canonical_records minus exact (sha256 of normalized text) and near duplicates "
                f"(MinHash 128 perms, LSH 16 bands x 8 rows, verified Jaccard >= {threshold}) across this and "
                "every other partition; the earliest record (scraped_at, then record_id) survives; cluster_id kept.",
                # code version 2: greedy verified removal (every removal >= threshold against a kept record),
                # one-row-per-record band index
                **stage("records", {"polars", "duckdb"}, code_version="2"),
            ),
            dg.AssetSpec(
                removed,
                deps=[key(spec, "canonical_records")],
                description="The removal log: removed id, kept id, kind (exact, near, or rescrape: the same "
                "record_id already kept by another partition, e.g. a backfilled day), exact and estimated Jaccard.",
                **stage("records", {"polars"}, code_version="2"),  # 2: kept_id is the verified kept record
            ),
        ],
        check_specs=[
            dg.AssetCheckSpec(
                RECONCILES,
                asset=deduped,
                blocking=True,
                description="canonical_records = deduped_records + near_duplicates for the partition",
            )
        ],
        partitions_def=source_day_partitions,
    )
    def _dedup(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        partition = partition_of(context)
        records = warehouse.read_required(table(spec, "canonical_records"), partition)
        kept = WarehouseKeptRecords(warehouse.store, partition, spec.name)
        result = dedup_partition(records, kept, threshold)

        warehouse.write(table(spec, "deduped_records"), with_partition(result.kept, partition), partition)
        warehouse.write(table(spec, "near_duplicates"), with_partition(result.removals, partition), partition)
        warehouse.write(table(spec, INDEX_ASSET), result.bands, partition)
        warehouse.refresh_catalog()

        if result.stale_prior_ids:
            context.log.warning(
                f"{len(result.stale_prior_ids)} records kept by other partitions are later copies of records "
                "here; labeled_dataset's global pass removes them"
            )
        log_removals(context.log, result.removals)
        total = max(records.height, 1)
        yield dg.MaterializeResult(
            asset_key=deduped,
            metadata={
                **table_metadata(result.kept, ["record_id", "cluster_id", "scraped_at", "text"]),
                "exact_duplicates": result.count("exact"),
                "near_duplicates": result.count("near"),
                "exact_duplicate_rate": round(result.count("exact") / total, 4),
                "near_duplicate_rate": round(result.count("near") / total, 4),
                "rescrapes": result.rescrapes,
                "prior_candidates_checked": result.prior_candidates_checked,
                "stale_in_other_partitions": len(result.stale_prior_ids),
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name=RECONCILES,
                    asset_key=deduped,
                    passed=records.height == result.kept.height + result.removals.height,
                    severity=dg.AssetCheckSeverity.ERROR,
                    metadata={
                        "canonical": records.height,
                        "kept": result.kept.height,
                        "removed": result.removals.height,
                    },
                )
            ],
        )
        yield dg.MaterializeResult(asset_key=removed, metadata=table_metadata(result.removals, rows=10))

    return _dedup


ASSETS = [dedup_assets(spec) for spec in EXTRACTED.values()]
