"""labeled_dataset: the candidate built from every partition, and the blocking checks that gate it."""

from collections import Counter

import dagster as dg

from dagster_project.lib.metadata import agreement_metadata, table_metadata
from dagster_project.lib.specs import DATASET_POOL, stage
from dagster_project.resources.policy import PolicyResource
from dagster_project.resources.warehouse import WarehouseResource
from gleaner.dataset import SPLITS, build_candidate

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
NOT_INGESTED = "has no materialized partitions yet; run ingest_partition first"


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
    deduped, deduped_versions = warehouse.read_all_with_versions("deduped_records", missing=NOT_INGESTED)
    votes, votes_versions = warehouse.read_all_with_versions("labels", missing=NOT_INGESTED)
    candidate = build_candidate(
        deduped, votes, warehouse.read_all("canonical_records", missing=NOT_INGESTED),
        warehouse.read_all("near_duplicates"),
        {"deduped_records": deduped_versions, "labels": votes_versions}, policy.candidate(),
        policy.global_settle(context, [warehouse.asset_glob("canonical_records")]),
    )  # fmt: skip
    if candidate.reinstated_partitions:  # kept globally, removed by their partition in favour of a stale copy
        context.log.warning(
            f"{len(candidate.reinstated_ids)} records the global pass keeps were removed by their own partition "
            f"when it ran; re-materialize "
            f"{', '.join(candidate.reinstated_partitions)} to bring them into the candidate"
        )
    frame = candidate.frame
    warehouse.write("labeled_dataset", frame)
    warehouse.write_json(SUMMARY_KEY, candidate.summary)
    warehouse.refresh_catalog(["labeled_dataset"])
    context.log.info(
        f"candidate: {frame.height} rows, {candidate.pending_review} pending review, gate: "
        + ", ".join(f"{v.name}={'pass' if v.passed else 'FAIL'}" for v in candidate.verdicts)
    )
    return dg.MaterializeResult(
        metadata={
            **table_metadata(frame, ["record_id", "split", "label", "label_status", "oversampled", "text"]),
            "pending_review": candidate.pending_review,
            "global_pass_removed": candidate.global_removed,
            "reinstated_pending_rerun": len(candidate.reinstated_ids),
            "balanced_away": candidate.summary["balanced_away"],
            "oversampled": candidate.summary["oversampled"],
            **{f"split_{s}": int((frame["split"] == s).sum()) for s in SPLITS},
            **{f"label_{k}": v for k, v in sorted(Counter(frame["label"].to_list()).items())},
            **agreement_metadata(candidate.agreement_report),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=v.name,
                passed=v.passed,
                severity=dg.AssetCheckSeverity.ERROR,
                description=v.description,
                metadata={"details": dg.MetadataValue.json(v.details)},
            )
            for v in candidate.verdicts
        ],
    )
