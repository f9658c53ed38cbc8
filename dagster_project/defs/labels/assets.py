"""<dataset>/human_labels, <dataset>/labels and <dataset>/review_tasks: every vote kept, one resolved label,
the uncertain sent to people, for each declared dataset.

The labelling itself is `gleaner.labeling` (`label_classification`, `label_spans`, `human_labels`,
`review_queue`) driven by the dataset's file: its labeling functions and rules, its label set and its review
policy. These assets read the partition, call it with the resources' sources (the LLM, Label Studio) and
report.
"""

from collections import Counter
from functools import partial

import dagster as dg

from dagster_project.lib.datasets import EXTRACTED, key, table
from dagster_project.lib.metadata import agreement_metadata, markdown_table, table_metadata, velocity_metadata
from dagster_project.lib.partitions import partition_of, source_day_partitions, with_partition
from dagster_project.lib.specs import stage
from dagster_project.resources.label_studio import LabelStudioResource
from dagster_project.resources.llm import LLMLabelerResource
from dagster_project.resources.warehouse import WarehouseResource
from gleaner.datasets import ClassificationSpec, DatasetSpec, SpansSpec, classification_functions, record_view
from gleaner.datasets import span_functions as declared_span_functions
from gleaner.labeling import (
    AUDIT,
    annotation_velocity,
    label_classification,
    label_spans,
    labelled_history,
    read_export,
    reliability_png,
    review_frame,
    review_queue,
    span_human_labels,
    span_review_queue,
)
from gleaner.labeling import human_labels as collect_human_labels
from gleaner.labeling.label_studio import build_import_tasks, build_span_tasks
from gleaner.labeling.llm import per_labeled_record
from gleaner.labeling.spans import spans_to_json

EVERY_RECORD_RESOLVED = "every_record_resolved_once"


def _collect_humans(spec: DatasetSpec, exports: list, wanted: set[str]):
    if isinstance(spec, SpansSpec):
        return span_human_labels(exports, wanted, spec.label_names, allow_overlaps=spec.allow_overlaps)
    return collect_human_labels(exports, wanted, spec.label_names)


def human_labels_asset(spec: DatasetSpec) -> dg.AssetsDefinition:
    @dg.asset(
        key=key(spec, "human_labels"),
        partitions_def=source_day_partitions,
        deps=[key(spec, "deduped_records")],
        description=f"{spec.name}: completed human annotations for this partition's records, pulled from the "
        "dataset's Label Studio project (or its JSON exports), one row per annotation with the seconds spent "
        "on it (lead_time); annotation velocity in the metadata.",
        # code version 3: lead_time kept, velocity reported
        **stage("labels", {"polars", "labelstudio"}, code_version="3"),
    )
    def _human_labels(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, label_studio: LabelStudioResource
    ) -> dg.MaterializeResult:
        partition = partition_of(context)
        wanted = set(warehouse.read_required(table(spec, "deduped_records"), partition)["record_id"].to_list())
        # Pull everything before writing anything, so a server that is down fails the run with nothing half-written.
        exports = [label_studio.pull(spec)] if label_studio.configured else []
        exports.extend(read_export(path) for path in label_studio.export_files(spec.name))
        frame, problems = _collect_humans(spec, exports, wanted)
        warehouse.write(table(spec, "human_labels"), with_partition(frame, partition), partition)
        warehouse.refresh_catalog()
        for problem in problems:
            context.log.warning(f"unusable annotation {problem['annotation_id']}: {problem['reason']}")
        return dg.MaterializeResult(
            metadata={
                **table_metadata(frame),
                "records_annotated": frame["record_id"].n_unique(),
                "unusable_annotations": len(problems),
                "annotators": frame["annotator"].n_unique(),
                "label_studio": label_studio.title(spec.name) if label_studio.configured else "files only",
                **velocity_metadata(annotation_velocity(frame.iter_rows(named=True))),
            }
        )

    return _human_labels


def _llm_per_labeled(llm_metadata: dict, labeled: int) -> dict:
    if not llm_metadata.get("llm_enabled"):
        return {}
    cost = llm_metadata.get("llm_estimated_cost_usd")
    figures = per_labeled_record(llm_metadata["llm_calls"], cost if isinstance(cost, float) else None, labeled)
    return {f"llm_{name}": value for name, value in figures.items() if value is not None}


def labels_asset(spec: ClassificationSpec) -> dg.AssetsDefinition:
    functions = classification_functions(spec)
    labels_key = key(spec, "labels")

    @dg.asset(
        key=labels_key,
        partitions_def=source_day_partitions,
        # Every partition of both: the calibrator and the model learn from the human labels of every partition
        # before this one (the history; Dagster has no "earlier partitions" mapping for a multi-partition, so
        # the lineage over-states it), never from another partition's labels: a rerun gives the same bytes.
        deps=[
            dg.AssetDep(key(spec, "deduped_records"), partition_mapping=dg.AllPartitionMapping()),
            dg.AssetDep(key(spec, "human_labels"), partition_mapping=dg.AllPartitionMapping()),
        ],
        description=f"{spec.name}: every vote (each labeling function and rule, each LLM vote, each human) plus "
        "one resolved row per record with label, confidence and status (auto, human, needs_review). "
        "Calibration and the model in the loop learn from the human labels of every earlier partition.",
        # code version 4: llm.scope, routing on calibrated confidence, the model in the loop and label issues;
        # 5: the model's TF-IDF is fitted once for its folds and final fit (its out-of-fold votes differ);
        # 6: learns from earlier partitions' human labels; the audit slice goes to review;
        # 7: above 5,000 training records the model reads word n-grams alone (its votes differ there)
        **stage("labels", {"polars", "anthropic"}, code_version="7"),
        check_specs=[
            dg.AssetCheckSpec(
                EVERY_RECORD_RESOLVED,
                asset=labels_key,
                blocking=True,
                description="deduped_records = labelled + pending review: one resolved row per deduped record",
            )
        ],
    )
    def _labels(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, llm: LLMLabelerResource
    ) -> dg.MaterializeResult:
        partition = partition_of(context)
        records = warehouse.read_required(table(spec, "deduped_records"), partition)
        views = [record_view(spec, row) for row in records.iter_rows(named=True)]
        cache = str(warehouse.scratch_dir("llm_cache"))
        humans = warehouse.read(table(spec, "human_labels"), partition)
        history = labelled_history(
            warehouse, table(spec, "human_labels"), table(spec, "deduped_records"), partial(record_view, spec),
            functions, lambda past: llm.cached_vote_rows(past, cache, spec), exclude=[v.record_id for v in views],
            before=(partition["date"], partition["source"]),
        )  # fmt: skip
        labelled = label_classification(
            views, functions, spec.label_policy(), spec.llm.scope,
            lambda asked: llm.vote_rows(asked, cache, context.log.info, spec), humans, history, context.log.info,
        )  # fmt: skip
        result, llm_metadata = labelled.labels, labelled.llm_report
        warehouse.write(table(spec, "labels"), with_partition(result.frame, partition), partition)
        diagram = f"{table(spec, 'labels')}/source={partition['source']}/date={partition['date']}/reliability.png"
        diagram = warehouse.write_file(diagram, reliability_png(result.calibrator))
        warehouse.refresh_catalog()

        status, resolved_ids = result.status, [r["record_id"] for r in result.resolved]
        return dg.MaterializeResult(
            metadata={
                **table_metadata(result.frame.filter(annotator_kind="resolved"), rows=8),
                "dagster/row_count": result.frame.height,
                "records": len(views),
                **{kind: status[kind] for kind in ("auto", "human", "needs_review")},
                **{f"label_{k}": v for k, v in sorted(result.distribution.items())},
                "lf_analysis": dg.MetadataValue.md(markdown_table(result.lf_summary())),
                **agreement_metadata(result.agreement()),
                **llm_metadata,
                "llm_asked": labelled.llm_asked,  # the records llm.scope sent to the model (cached included)
                **_llm_per_labeled(llm_metadata, status["auto"] + status["human"]),
                **result.calibrator.metadata(),
                **(result.model.metadata() if result.model else {}),
                **history.metadata(),
                "learned_from/partition_list": dg.MetadataValue.json(list(history.partitions)),
                "audit": sum(r["basis"] == AUDIT for r in result.resolved),
                "reliability_diagram": dg.MetadataValue.path(str(diagram)),
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

    return _labels


def span_labels_asset(spec: SpansSpec) -> dg.AssetsDefinition:
    functions = declared_span_functions(spec)
    labels_key = key(spec, "labels")

    @dg.asset(
        key=labels_key,
        partitions_def=source_day_partitions,
        deps=[key(spec, "deduped_records"), key(spec, "human_labels")],
        description=f"{spec.name}: every span vote (each rule, each LLM vote, each human) as `spans_json` plus one "
        "resolved row per record with its spans, confidence (mean pairwise span F1 of the machine votes) and "
        "status (auto, human, needs_review).",
        # code version 2: llm.scope (the LLM only where the span rules do not settle a record)
        **stage("labels", {"polars", "anthropic"}, code_version="2"),
        check_specs=[
            dg.AssetCheckSpec(
                EVERY_RECORD_RESOLVED,
                asset=labels_key,
                blocking=True,
                description="deduped_records = labelled + pending review: one resolved row per deduped record",
            )
        ],
    )
    def _span_labels(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, llm: LLMLabelerResource
    ) -> dg.MaterializeResult:
        partition = partition_of(context)
        records = warehouse.read_required(table(spec, "deduped_records"), partition)
        views = [record_view(spec, row) for row in records.iter_rows(named=True)]
        humans = warehouse.read(table(spec, "human_labels"), partition)
        cache = str(warehouse.scratch_dir("llm_cache"))
        labelled = label_spans(
            views, functions, spec.label_policy(), spec.label_names, spec.llm.scope,
            lambda asked: llm.vote_rows(asked, cache, context.log.info, spec), humans, context.log.info,
        )  # fmt: skip
        result, llm_metadata = labelled.labels, labelled.llm_report
        warehouse.write(table(spec, "labels"), with_partition(result.frame, partition), partition)
        warehouse.refresh_catalog()
        status, resolved_ids = result.status, [r["record_id"] for r in result.resolved]
        return dg.MaterializeResult(
            metadata={
                **table_metadata(result.frame.filter(annotator_kind="resolved"), rows=8),
                "dagster/row_count": result.frame.height,
                "records": len(views),
                **{kind: status[kind] for kind in ("auto", "human", "needs_review")},
                **{f"spans_{k}": v for k, v in sorted(result.span_counts.items())},
                "span_agreement": dg.MetadataValue.md(markdown_table(result.agreement)),
                "llm_asked": labelled.llm_asked,
                **llm_metadata,
                **_llm_per_labeled(llm_metadata, status["auto"] + status["human"]),
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name=EVERY_RECORD_RESOLVED,
                    passed=sorted(resolved_ids) == sorted(set(records["record_id"].to_list()))
                    and len(resolved_ids) == records.height,
                    severity=dg.AssetCheckSeverity.ERROR,
                    metadata={"deduped_records": records.height, "pending_review": status["needs_review"]},
                )
            ],
        )

    return _span_labels


def _queue_and_tasks(spec: DatasetSpec, labels, records, label_studio: LabelStudioResource):
    """The review queue and its Label Studio tasks (choices, or spans as pre-annotations)."""
    if isinstance(spec, SpansSpec):
        queue = span_review_queue(labels, records)
        # Raw text: escaping or scrubbing would move every character offset the pre-annotations point at.
        tasks = build_span_tasks(queue, model_version=label_studio.model_version)
        guesses = [{**row, "guess": None if row["guess"] is None else spans_to_json(row["guess"])} for row in queue]
        return tasks, review_frame(guesses)
    queue = review_queue(labels, records, audit_fraction=spec.review.audit_fraction)
    tasks = build_import_tasks(label_studio.prepare_texts(queue), model_version=label_studio.model_version)
    return tasks, review_frame(queue)


def review_tasks_asset(spec: DatasetSpec) -> dg.AssetsDefinition:
    @dg.asset(
        key=key(spec, "review_tasks"),
        partitions_def=source_day_partitions,
        deps=[key(spec, "labels"), key(spec, "deduped_records")],
        description=f"{spec.name}: what goes to the dataset's Label Studio project: every needs_review record "
        "with the best machine guess as a pre-annotation. Also written as a Label Studio import file for "
        "air-gapped teams.",
        # code version 4: the audit slice first (an `audit` column), then most uncertain first
        **stage("labels", {"polars", "labelstudio"}, code_version="4"),
    )
    def _review_tasks(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, label_studio: LabelStudioResource
    ) -> dg.MaterializeResult:
        partition = partition_of(context)
        records = warehouse.read_required(table(spec, "deduped_records"), partition)
        labels = warehouse.read_required(table(spec, "labels"), partition)
        tasks, frame = _queue_and_tasks(spec, labels, records, label_studio)
        # Push first: a server that is down fails the run before the warehouse says the tasks went out.
        pushed = label_studio.push(tasks, spec) if label_studio.configured and tasks else None
        warehouse.write(table(spec, "review_tasks"), with_partition(frame, partition), partition)
        import_file = warehouse.write_file(*label_studio.import_file(table(spec, "review_tasks"), partition, tasks))
        warehouse.refresh_catalog()
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

    return _review_tasks


def labels_factory(spec: DatasetSpec):
    return labels_asset(spec) if isinstance(spec, ClassificationSpec) else span_labels_asset(spec)


ASSETS = [
    factory(spec) for spec in EXTRACTED.values() for factory in (human_labels_asset, labels_factory, review_tasks_asset)
]
