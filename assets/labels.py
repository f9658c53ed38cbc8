"""human_labels, labels and review_tasks: every vote kept, one resolved label, the uncertain sent to people."""

from collections import Counter, defaultdict

import dagster as dg
import polars as pl

from assets.metadata import table_metadata
from assets.partitioning import markdown_table, partition_of, with_partition
from assets.partitions import source_day_partitions
from assets.specs import stage
from gleaner.labeling.analysis import lf_summary
from gleaner.labeling.functions import RecordView, apply_functions
from gleaner.labeling.label_studio.export import build_import_tasks, parse_export, read_export
from gleaner.labeling.registry import functions_for
from gleaner.labeling.resolution import Vote, resolve
from gleaner.labeling.source_agreement import source_agreement
from resources.label_studio import LabelStudioResource
from resources.llm import LLMLabelerResource
from resources.policy import PolicyResource
from resources.warehouse import WarehouseResource

HUMAN_SCHEMA = {
    "record_id": pl.String,
    "annotator": pl.String,
    "annotation_id": pl.String,
    "updated_at": pl.String,
    "label": pl.String,
}
LABEL_SCHEMA = {
    "record_id": pl.String,
    "annotator": pl.String,
    "annotator_kind": pl.String,
    "label": pl.String,
    "confidence": pl.Float64,
    "status": pl.String,
    "basis": pl.String,
    "guess": pl.String,
    "reason": pl.String,
    "conditional": pl.Boolean,  # an LLM vote asked only because earlier votes disagreed or failed
}
EVERY_RECORD_RESOLVED = "every_record_resolved_once"


def _deduped(warehouse: WarehouseResource, partition: dict[str, str]) -> pl.DataFrame:
    frame = warehouse.read("deduped_records", partition)
    if frame is None:
        raise dg.Failure(f"deduped_records has no data for {partition}; materialize it first")
    return frame


@dg.asset(
    partitions_def=source_day_partitions,
    deps=["deduped_records"],
    description="Completed human annotations for this partition's records, pulled from Label Studio "
    "(or its JSON exports), one row per annotation.",
    # code version 2: pulled from the Label Studio server when one is configured
    **stage("labels", {"polars", "labelstudio"}, code_version="2"),
)
def human_labels(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, label_studio: LabelStudioResource
) -> dg.MaterializeResult:
    partition = partition_of(context)
    wanted = set(_deduped(warehouse, partition)["record_id"].to_list())
    # The server's export and export files are the same format: one parse path for both. Pull everything
    # before writing anything, so a server that is down fails the run with nothing half-written.
    exports = [label_studio.pull()] if label_studio.configured else []
    exports.extend(read_export(path) for path in label_studio.export_files())
    votes, problems = [], []
    for tasks in exports:
        file_votes, file_problems = parse_export(tasks)
        votes.extend(v for v in file_votes if v["record_id"] in wanted)
        problems.extend(p for p in file_problems if p.get("record_id") in wanted)
    frame = pl.DataFrame(votes, schema=HUMAN_SCHEMA, orient="row").unique().sort(["record_id", "annotator"])
    warehouse.write("human_labels", with_partition(frame, partition), partition)
    warehouse.refresh_catalog(["human_labels"])
    for problem in problems:
        context.log.warning(f"unusable annotation {problem['annotation_id']}: {problem['reason']}")
    return dg.MaterializeResult(
        metadata={
            **table_metadata(frame),
            "records_annotated": frame["record_id"].n_unique(),
            "unusable_annotations": len(problems),
            "annotators": frame["annotator"].n_unique(),
            "label_studio": label_studio.url or "files only",
        }
    )


def agreement_metadata(report: dict) -> dict[str, object]:
    """The agreement report as numbers (which Dagster plots across runs) and as tables."""
    numbers = {
        "agreement/fleiss_llm_votes": report["fleiss"],
        "agreement/krippendorff_alpha": report["krippendorff_alpha"],
        **{f"agreement/kappa/{pair}": row["kappa"] for pair, row in report["cohen"].items()},
    }
    pairs = [
        {"pair": pair, **{k: row[k] for k in ("n_shared", "observed_agreement", "kappa")}}
        for pair, row in report["cohen"].items()
    ]
    overall = {k: v for k, v in report.items() if k != "cohen"}
    return {
        **{k: float(v) for k, v in numbers.items() if v is not None},
        "agreement": dg.MetadataValue.md(markdown_table(pairs, limit=50)),
        "agreement_overall": dg.MetadataValue.json(overall),
    }


@dg.asset(
    partitions_def=source_day_partitions,
    deps=["deduped_records", "human_labels"],
    description="Every vote (each labeling function, each LLM vote, each human) plus one resolved row per "
    "record with label, confidence and status (auto, human, needs_review).",
    # code version 2: conditional LLM votes, LLM majority rule of the labeler, dataset LF registry
    **stage("labels", {"polars", "anthropic"}, code_version="2"),
    check_specs=[
        dg.AssetCheckSpec(
            EVERY_RECORD_RESOLVED,
            asset="labels",
            blocking=True,
            description="deduped_records = labelled + pending review: one resolved row per deduped record",
        )
    ],
)
def labels(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    llm: LLMLabelerResource,
    policy: PolicyResource,
) -> dg.MaterializeResult:
    partition = partition_of(context)
    records = _deduped(warehouse, partition).sort("record_id")
    humans = warehouse.read("human_labels", partition)
    views = [RecordView(r["record_id"], r["text"], r["rating"]) for r in records.iter_rows(named=True)]
    rows: list[dict] = apply_functions(views, functions_for(policy.dataset))
    llm_rows, llm_metadata = llm.vote_rows(
        views,
        str(warehouse.scratch_dir("llm_cache")),
        log=context.log.info,
        confidence_threshold=policy.llm_confidence_threshold,
    )
    rows.extend(llm_rows)
    if humans is not None:
        rows.extend(
            {
                "record_id": h["record_id"],
                "annotator": h["annotator"],
                "annotator_kind": "human",
                "label": h["label"],
                "confidence": None,
            }
            for h in humans.iter_rows(named=True)
        )
    label_policy = policy.labels(llm_majority=llm.majority)
    per_record: dict[str, list[Vote]] = defaultdict(list)
    for row in rows:
        per_record[row["record_id"]].append(
            Vote(row["annotator"], row["annotator_kind"], row["label"], row["confidence"])
        )
    resolved = []
    for view in views:
        outcome = resolve(per_record[view.record_id], label_policy)
        resolved.append(
            {
                "record_id": view.record_id,
                "annotator": "resolved",
                "annotator_kind": "resolved",
                "label": outcome.label,
                "confidence": outcome.confidence,
                "status": outcome.status,
                "basis": outcome.basis,
                "guess": outcome.guess,
            }
        )
    frame = pl.DataFrame(rows + resolved, schema=LABEL_SCHEMA, orient="row").sort(
        ["record_id", "annotator_kind", "annotator"]
    )
    warehouse.write("labels", with_partition(frame, partition), partition)
    warehouse.refresh_catalog(["labels"])

    gold = {r["record_id"]: r["label"] for r in resolved if r["status"] == "human" and r["label"] is not None}
    lf_votes: dict[str, dict[str, str | None]] = defaultdict(dict)
    for row in rows:
        if row["annotator_kind"] == "lf":
            lf_votes[row["annotator"]][row["record_id"]] = row["label"]
    status = Counter(r["status"] for r in resolved)
    distribution = Counter(r["label"] for r in resolved if r["label"])
    report = source_agreement(rows, min_shared=3)
    resolved_ids = [r["record_id"] for r in resolved]
    return dg.MaterializeResult(
        metadata={
            **table_metadata(frame.filter(pl.col("annotator_kind") == "resolved"), rows=8),
            "dagster/row_count": frame.height,
            "records": len(views),
            "auto": status["auto"],
            "human": status["human"],
            "needs_review": status["needs_review"],
            **{f"label_{k}": v for k, v in sorted(distribution.items())},
            "lf_analysis": dg.MetadataValue.md(markdown_table(lf_summary(lf_votes, gold))),
            **agreement_metadata(report),
            **llm_metadata,
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=EVERY_RECORD_RESOLVED,
                passed=sorted(resolved_ids) == sorted(set(records["record_id"].to_list()))
                and len(resolved_ids) == records.height,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={
                    "deduped_records": records.height,
                    "labelled": status["auto"] + status["human"],
                    "pending_review": status["needs_review"],
                },
            )
        ],
    )


@dg.asset(
    partitions_def=source_day_partitions,
    deps=["labels", "deduped_records"],
    description="What goes to Label Studio: every needs_review record with the best machine guess as a "
    "pre-annotation. Also written as a Label Studio import file for air-gapped teams.",
    # code version 2: pushed to the Label Studio server when one is configured
    **stage("labels", {"polars", "labelstudio"}, code_version="2"),
)
def review_tasks(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, label_studio: LabelStudioResource
) -> dg.MaterializeResult:
    partition = partition_of(context)
    resolved = warehouse.read("labels", partition)
    records = _deduped(warehouse, partition)
    if resolved is None:
        raise dg.Failure(f"labels has no data for {partition}; materialize it first")
    pending = (
        resolved.filter((pl.col("annotator_kind") == "resolved") & (pl.col("status") == "needs_review"))
        .join(records.select("record_id", "text"), on="record_id", how="inner")
        .sort("record_id")
    )
    rows = pending.select("record_id", "text", "guess", "confidence", "basis").to_dicts()
    tasks = build_import_tasks(label_studio.prepare_texts(rows), model_version=label_studio.model_version)
    frame = pl.DataFrame(
        {
            "record_id": [r["record_id"] for r in rows],
            "guess": [r["guess"] for r in rows],
            "confidence": [r["confidence"] for r in rows],
            "basis": [r["basis"] for r in rows],
        },
        schema={"record_id": pl.String, "guess": pl.String, "confidence": pl.Float64, "basis": pl.String},
    )
    # Push first: a server that is down fails the run before the warehouse says the tasks went out.
    pushed = label_studio.push(tasks) if label_studio.configured and tasks else None
    warehouse.write("review_tasks", with_partition(frame, partition), partition)
    import_file = warehouse.write_file(*label_studio.import_file(partition, tasks))
    warehouse.refresh_catalog(["review_tasks"])
    server = (
        {
            "label_studio_project": pushed["project_id"],
            "tasks_created": len(pushed["created"]),
            "tasks_already_there": len(pushed["existing"]),
        }
        if pushed
        else {}
    )
    return dg.MaterializeResult(
        metadata={
            **table_metadata(frame),
            **server,
            "import_file": dg.MetadataValue.path(str(import_file)),
            "reasons": dg.MetadataValue.md(
                markdown_table([{"basis": k, "records": v} for k, v in Counter(frame["basis"]).most_common()])
            ),
        }
    )
