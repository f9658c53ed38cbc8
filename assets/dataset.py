"""labeled_dataset: the candidate built from every partition, and the blocking checks that gate it."""

from collections import Counter

import dagster as dg
import polars as pl

from assets.labels import agreement_metadata
from assets.metadata import table_metadata
from assets.specs import DATASET_POOL, stage
from gleaner.dataset.balancing import balance_split
from gleaner.dataset.gate import run_gate
from gleaner.dataset.splitting import SPLITS, assign_splits
from gleaner.dedup.global_pass import global_dedup
from gleaner.labeling.agreement import cohen_rows
from gleaner.labeling.source_agreement import source_agreement
from resources.policy import PolicyResource
from resources.warehouse import WarehouseResource

_DEFAULT = {name: field.default for name, field in PolicyResource.model_fields.items()}
GATE_CHECKS = {
    "schema": "Every row validates against the ProductReview pydantic model.",
    "kappa": f"Cohen's kappa >= {_DEFAULT['kappa_threshold']} (policy kappa_threshold) for each gated source "
    f"pair ({', '.join(' ~ '.join(p) for p in _DEFAULT['kappa_pairs'])} by default) on at least "
    f"{_DEFAULT['kappa_min_shared']} shared records.",
    "class_balance": f"In every split the largest class is at most {_DEFAULT['max_class_ratio']}x the smallest "
    "(policy max_class_ratio).",
    "no_split_leak": "No dedup cluster and no identical normalized text appears in two splits.",
    "no_empty_split": f"train, validation and test each hold rows (ratios {_DEFAULT['train_ratio']}/"
    f"{_DEFAULT['validation_ratio']}/{_DEFAULT['test_ratio']} by cluster).",
}
SUMMARY_KEY = "labeled_dataset/summary.json"


def _require(frame: pl.DataFrame | None, asset: str) -> pl.DataFrame:
    if frame is None or frame.is_empty():
        raise dg.Failure(f"{asset} has no materialized partitions yet; run ingest_partition first")
    return frame


@dg.asset(
    pool=DATASET_POOL,  # one candidate build / publish at a time (dagster_project/instance.py)
    deps=["deduped_records", "labels", "near_duplicates", "canonical_records"],
    description="The candidate dataset: resolved labels joined to deduped records of every partition "
    "(pending review left out), a global dedup pass, per-cluster splits and class balancing. Blocking "
    "checks gate publication.",
    # code version 2: global pass over every canonical record; labels joined per partition
    **stage("dataset", {"polars", "duckdb"}, code_version="2"),
    check_specs=[
        dg.AssetCheckSpec(name, asset="labeled_dataset", blocking=True, description=text)
        for name, text in GATE_CHECKS.items()
    ],
)
def labeled_dataset(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, policy: PolicyResource
) -> dg.MaterializeResult:
    deduped, deduped_versions = warehouse.read_all_with_versions("deduped_records")
    deduped = _require(deduped, "deduped_records")
    votes, votes_versions = warehouse.read_all_with_versions("labels")
    votes = _require(votes, "labels")
    canonical = _require(warehouse.read_all("canonical_records"), "canonical_records")
    removals = warehouse.read_all("near_duplicates")

    settled = global_dedup(deduped, policy.dedup_threshold, canonical)
    survivors, global_removed = settled.survivors, settled.removed
    if settled.reinstated_ids:  # kept globally, removed by their partition in favour of a now-stale copy
        where = canonical.filter(pl.col("record_id").is_in(settled.reinstated_ids))
        keys = sorted({f"{r['partition_date']}|{r['source']}" for r in where.iter_rows(named=True)})
        context.log.warning(
            f"{len(settled.reinstated_ids)} records the global pass keeps were removed by their own partition "
            f"when it ran; re-materialize {', '.join(keys)} to bring them into the candidate"
        )
    # A review re-scraped on another day has the same record_id in both partitions: the survivor's label is
    # the one its own partition resolved, so the join keys on the partition too.
    resolved = votes.filter(pl.col("annotator_kind") == "resolved").select(
        "record_id",
        "source",
        "partition_date",
        "label",
        pl.col("confidence").alias("label_confidence"),
        pl.col("status").alias("label_status"),
    )
    joined = survivors.join(resolved, on=["record_id", "source", "partition_date"], how="left")
    pending = joined.filter(pl.col("label").is_null())
    labelled = joined.filter(pl.col("label").is_not_null())

    rows = labelled.to_dicts()
    splits = assign_splits({r["cluster_id"]: r["label"] for r in rows}, policy.split_ratios())
    for row in rows:
        row["split"] = splits[row["cluster_id"]]
    balanced = [
        row
        for split in SPLITS
        for row in balance_split(
            [r for r in rows if r["split"] == split],
            split,
            "label",
            "record_id",
            policy.max_class_ratio,
            policy.balance_strategy,
        )
    ]
    oversampled = sum(r["oversampled"] for r in balanced)
    agreement_report = source_agreement(votes.iter_rows(named=True))
    agreement = cohen_rows(agreement_report)
    verdicts = run_gate(balanced, agreement, policy.gate())

    schema = labelled.schema | {"split": pl.String, "oversampled": pl.Boolean}
    frame = pl.DataFrame(balanced, schema=schema, orient="row").sort(["split", "record_id", "oversampled"])
    warehouse.write("labeled_dataset", frame)
    kinds = Counter(removals["kind"].to_list()) if removals is not None else Counter()
    # Each input partition with its data version: sha256 of its Parquet bytes (same rows, same bytes).
    inputs = {"deduped_records": deduped_versions, "labels": votes_versions}
    partitions = {
        partition: {asset: versions.get(partition) for asset, versions in inputs.items()}
        for partition in sorted(inputs["deduped_records"])
    }
    summary = {
        "agreement": agreement,
        "agreement_overall": {k: v for k, v in agreement_report.items() if k != "cohen"},
        "input_partitions": partitions,
        "pending_review": pending.height,
        "dedup": {
            "canonical_records": canonical.height,
            "exact_removed": kinds["exact"],
            "near_removed": kinds["near"],
            "rescrapes_removed": kinds["rescrape"],
            "global_pass_removed": global_removed,
        },
        "balanced_away": len(rows) - (len(balanced) - oversampled),
        "oversampled": oversampled,
    }
    warehouse.write_json(SUMMARY_KEY, summary)
    warehouse.refresh_catalog(["labeled_dataset"])

    distribution = Counter(frame["label"].to_list())
    context.log.info(
        f"candidate: {frame.height} rows, {pending.height} pending review, gate: "
        + ", ".join(f"{v.name}={'pass' if v.passed else 'FAIL'}" for v in verdicts)
    )
    return dg.MaterializeResult(
        metadata={
            **table_metadata(frame, ["record_id", "split", "label", "label_status", "oversampled", "text"]),
            "pending_review": pending.height,
            "global_pass_removed": global_removed,
            "reinstated_pending_rerun": len(settled.reinstated_ids),
            "balanced_away": summary["balanced_away"],
            "oversampled": oversampled,
            **{f"split_{s}": int((frame["split"] == s).sum()) for s in SPLITS},
            **{f"label_{k}": v for k, v in sorted(distribution.items())},
            **agreement_metadata(agreement_report),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=v.name,
                passed=v.passed,
                severity=dg.AssetCheckSeverity.ERROR,
                description=v.description,
                metadata={"details": dg.MetadataValue.json(v.details)},
            )
            for v in verdicts
        ],
    )
