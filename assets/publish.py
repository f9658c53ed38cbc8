"""training_data: publishes the gated candidate as an immutable `training_data_vN`."""

import json
from collections import Counter

import dagster as dg
import polars as pl

from assets.dataset import SUMMARY_KEY
from assets.metadata import table_metadata
from assets.specs import DATASET_POOL, stage
from gleaner.code_version import source_fingerprint
from gleaner.dataset.card import render_card
from gleaner.dataset.gate import run_gate
from gleaner.dataset.splitting import SPLITS
from gleaner.dataset.versioning import publish, published_versions, verify_versions
from gleaner.storage.warehouse import parquet_bytes
from resources.policy import PolicyResource
from resources.warehouse import WarehouseResource

TRAINING_COLUMNS = [
    "record_id",
    "source",
    "product_id",
    "review_id",
    "page_url",
    "scraped_at",
    "text",
    "rating",
    "rating_scale",
    "author",
    "published",
    "language",
    "word_count",
    "content_hash",
    "cluster_id",
    "label",
    "label_status",
    "label_confidence",
    "split",
    "oversampled",
]


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
    summary = warehouse.read_json(SUMMARY_KEY)
    # The gate runs again here so a publish triggered on its own cannot skip it.
    failed = [v for v in run_gate(candidate.to_dicts(), summary["agreement"], policy.gate()) if not v.passed]
    if failed:
        raise dg.Failure(
            "candidate fails its gate; nothing published: "
            + "; ".join(f"{v.name}: {json.dumps(v.details, default=str)}" for v in failed)
        )
    frame = candidate.select(TRAINING_COLUMNS).sort(["split", "record_id", "oversampled"])
    data_files = {f"{s}.parquet": parquet_bytes(frame.filter(pl.col("split") == s)) for s in SPLITS}
    per_split = {
        s: dict(sorted(Counter(frame.filter(pl.col("split") == s)["label"].to_list()).items())) for s in SPLITS
    }
    manifest_fields = {
        "rows": frame.height,
        "rows_per_split_and_class": per_split,
        "class_distribution": dict(sorted(Counter(frame["label"].to_list()).items())),
        "agreement": summary["agreement"],
        "agreement_overall": summary.get("agreement_overall"),
        "input_partitions": summary["input_partitions"],
        "dedup": summary["dedup"],
        "pending_review": summary["pending_review"],
        "oversampled_rows": int(frame["oversampled"].sum()),
        "label_policy": policy.as_manifest(),
        "code_version": source_fingerprint(),
    }
    outcome = publish(warehouse.versions, data_files, manifest_fields, render_card=render_card)
    if outcome.created:
        note = f"published training_data_v{outcome.version} at {outcome.path}"
    else:
        note = f"content identical to training_data_v{outcome.version}; nothing new published"
    context.log.info(note)
    warehouse.refresh_catalog()
    return dg.MaterializeResult(
        metadata={
            "version": outcome.version,
            "published_new_version": outcome.created,
            "outcome": note,
            "path": dg.MetadataValue.path(str(outcome.path)),
            **table_metadata(frame, ["record_id", "split", "label", "text"]),
            **{f"rows_{s}": sum(per_split[s].values()) for s in SPLITS},
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
