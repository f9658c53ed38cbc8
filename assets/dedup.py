"""deduped_records and near_duplicates: exact and near-duplicate removal against every other partition.

The band hashes of every kept record live in the warehouse (`dedup_index`), so a partition is checked by
a DuckDB join against them, never by loading earlier records. Per-partition results can go stale when
partitions are materialized out of order; `labeled_dataset` settles that with a global pass.
"""

import dagster as dg
import polars as pl

from assets.metadata import table_metadata
from assets.partitioning import partition_of, with_partition
from assets.partitions import source_day_partitions
from assets.specs import stage
from gleaner.dedup.lsh import band_table, find_prior_candidates
from gleaner.dedup.partition import PriorCandidates, content_hash, dedup
from gleaner.dedup.sketch import sketch
from resources.policy import PolicyResource
from resources.warehouse import WarehouseResource

INDEX = "dedup_index"
RECONCILES = "records_reconcile"
LOGGED_REMOVALS = 20  # the run log names the first few; the table holds them all
REMOVAL_SCHEMA = {
    "removed_id": pl.String,
    "kept_id": pl.String,
    "kind": pl.String,
    "jaccard": pl.Float64,
    "est_jaccard": pl.Float64,
}


KEPT_SCHEMA = {"record_id": pl.String, "text": pl.String, "scraped_at": pl.Datetime("us", "UTC")}


def _kept_elsewhere(warehouse: WarehouseResource, ids: list[str], partition: dict[str, str]) -> pl.DataFrame:
    """The rows other partitions kept for these ids (text and time), read by id from their files only."""
    if not ids or not warehouse.has_data("deduped_records"):
        return pl.DataFrame(schema=KEPT_SCHEMA)
    own = warehouse.partition_location("deduped_records", partition) + "/"
    with warehouse.query() as con:
        found = con.execute(
            "SELECT record_id, text, scraped_at FROM read_parquet(?, filename = true) "
            "WHERE record_id IN (SELECT unnest(?)) AND NOT starts_with(filename, ?)",
            [warehouse.asset_glob("deduped_records"), ids, own],
        ).fetchall()
    return pl.DataFrame(found, schema=KEPT_SCHEMA, orient="row")


def _prior_records(warehouse: WarehouseResource, ids: list[str], partition: dict[str, str]) -> pl.DataFrame:
    """Text and time of earlier-kept candidates, one row per id."""
    return _kept_elsewhere(warehouse, ids, partition).unique("record_id").sort("record_id")


def _rescrapes(warehouse: WarehouseResource, records: pl.DataFrame, partition: dict[str, str]) -> pl.DataFrame:
    """This partition's records that another partition already kept, sighted no later than here: the same
    review scraped again on another day (a backfill, a recrawl). Their record_id is the same, so they are
    neither new records nor near duplicates of another one; they leave as kind `rescrape`."""
    seen = (
        _kept_elsewhere(warehouse, records["record_id"].to_list(), partition)
        .group_by("record_id")
        .agg(pl.col("scraped_at").min().alias("first_seen"))
    )
    return (
        records.select("record_id", "scraped_at")
        .join(seen, on="record_id")
        .filter(pl.col("first_seen") <= pl.col("scraped_at"))
        .select("record_id", "first_seen")
        .sort("record_id")
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "deduped_records",
            deps=["canonical_records"],
            description="canonical_records minus exact (sha256 of normalized text) and near duplicates "
            "(MinHash 128 perms, LSH 16 bands x 8 rows, verified Jaccard >= 0.8) across this and every other "
            "partition; the earliest record (scraped_at, then record_id) survives; cluster_id kept.",
            # code version 2: greedy verified removal (every removal >= threshold against a kept record),
            # one-row-per-record band index
            **stage("records", {"polars", "duckdb"}, code_version="2"),
        ),
        dg.AssetSpec(
            "near_duplicates",
            deps=["canonical_records"],
            description="The removal log: removed id, kept id, kind (exact, near, or rescrape: the same "
            "record_id already kept by another partition, e.g. a backfilled day), exact and estimated Jaccard.",
            **stage("records", {"polars"}, code_version="2"),  # 2: kept_id is the verified kept record
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            RECONCILES,
            asset="deduped_records",
            blocking=True,
            description="canonical_records = deduped_records + near_duplicates for the partition",
        )
    ],
    partitions_def=source_day_partitions,
)
def deduped_records(context: dg.AssetExecutionContext, warehouse: WarehouseResource, policy: PolicyResource):
    partition = partition_of(context)
    records = warehouse.read("canonical_records", partition)
    if records is None:
        raise dg.Failure(f"canonical_records has no data for {partition}; materialize it first")
    canonical_count = records.height
    rescraped = _rescrapes(warehouse, records, partition)
    records = records.filter(~pl.col("record_id").is_in(rescraped["record_id"].implode())).sort("record_id")
    ids, texts = records["record_id"].to_list(), records["text"].to_list()
    sketches = sketch(texts)

    prior_ids: list[str] = []
    if warehouse.has_data(INDEX):
        with warehouse.query() as con:
            # the partition's own earlier index rows match too; dedup drops ids it was given itself
            prior_ids = find_prior_candidates(con, warehouse.asset_glob(INDEX), band_table(ids, sketches.bands))
    prior = _prior_records(warehouse, prior_ids, partition)
    result = dedup(
        ids,
        texts,
        records["scraped_at"].to_list(),
        threshold=policy.dedup_threshold,
        prior=PriorCandidates(prior["record_id"].to_list(), prior["text"].to_list(), prior["scraped_at"].to_list()),
        sketches=sketches,
    )
    kept = (
        records.filter(pl.col("record_id").is_in(result.kept_ids))
        .with_columns(
            pl.col("record_id").replace_strict(result.cluster_of, default=pl.col("record_id")).alias("cluster_id"),
            pl.col("text").map_elements(content_hash, return_dtype=pl.String).alias("content_hash"),
        )
        .sort("record_id")
    )
    rescrape_rows = rescraped.select(
        pl.col("record_id").alias("removed_id"),
        pl.col("record_id").alias("kept_id"),
        pl.lit("rescrape").alias("kind"),
        pl.lit(1.0).alias("jaccard"),
        pl.lit(1.0).alias("est_jaccard"),
    )
    removals = (
        pl.concat([result.removals.select(list(REMOVAL_SCHEMA)), rescrape_rows]).cast(REMOVAL_SCHEMA).sort("removed_id")
    )

    warehouse.write("deduped_records", with_partition(kept, partition), partition)
    warehouse.write("near_duplicates", with_partition(removals, partition), partition)
    warehouse.write(INDEX, result.bands, partition)
    warehouse.refresh_catalog(["deduped_records", "near_duplicates"])

    exact = int((removals["kind"] == "exact").sum())
    near = int((removals["kind"] == "near").sum())
    total = max(canonical_count, 1)
    if result.stale_prior_ids:
        context.log.warning(
            f"{len(result.stale_prior_ids)} records kept by other partitions are later copies of records "
            "here; labeled_dataset's global pass removes them"
        )
    for row in removals.head(LOGGED_REMOVALS).iter_rows(named=True):
        context.log.info(f"removed {row['removed_id']}: {row['kind']} of {row['kept_id']} "
                         f"(Jaccard {row['jaccard']:.3f})")  # fmt: skip
    if removals.height > LOGGED_REMOVALS:
        context.log.info(f"... and {removals.height - LOGGED_REMOVALS} more removals: see near_duplicates")
    yield dg.MaterializeResult(
        asset_key="deduped_records",
        metadata={
            **table_metadata(kept, ["record_id", "cluster_id", "scraped_at", "text"]),
            "exact_duplicates": exact,
            "near_duplicates": near,
            "exact_duplicate_rate": round(exact / total, 4),
            "near_duplicate_rate": round(near / total, 4),
            "rescrapes": rescraped.height,
            "prior_candidates_checked": len(prior_ids),
            "stale_in_other_partitions": len(result.stale_prior_ids),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=RECONCILES,
                passed=canonical_count == kept.height + removals.height,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={"canonical": canonical_count, "kept": kept.height, "removed": removals.height},
            )
        ],
    )
    yield dg.MaterializeResult(
        asset_key="near_duplicates",
        metadata={
            **table_metadata(removals, rows=10),
        },
    )
