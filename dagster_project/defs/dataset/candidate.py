"""<dataset>/labeled_dataset: the candidate built from every partition of a dataset, and the blocking checks
that gate it (the dataset file's `gate:`)."""

import functools
from collections import Counter
from pathlib import Path

import dagster as dg

from dagster_project.lib.datasets import EXTRACTED, key, table
from dagster_project.lib.metadata import agreement_metadata, table_metadata
from dagster_project.lib.specs import DATASET_POOL, stage
from dagster_project.resources.policy import PolicyResource
from dagster_project.resources.warehouse import WarehouseResource
from gleaner.code_version import source_fingerprint
from gleaner.dataset import (
    SPLITS,
    Candidate,
    Partitions,
    build_candidate_incremental,
    build_key,
    build_record,
    build_span_candidate,
    candidate_votes,
    gate_record,
    standing_candidate,
)
from gleaner.datasets import DatasetSpec, SpansSpec
from gleaner.dedup import precompile_in_background

NOT_INGESTED = "has no materialized partitions yet; run ingest_partition first"


def gate_checks(spec: DatasetSpec) -> dict[str, str]:
    """The blocking checks of the dataset's gate, by name, as its file sets them."""
    gate = spec.gate
    pairs = ", ".join(" ~ ".join(p) for p in gate.kappa_pairs) or "none named"
    ratios = gate.split_ratios
    if isinstance(spec, SpansSpec):
        f1 = f", span F1 >= {gate.span_f1_threshold}" if gate.span_f1_threshold is not None else ""
        task_checks = {
            "span_agreement": f"Token-level Cohen's kappa >= {gate.kappa_threshold}{f1} for each gated source pair "
            f"({pairs}) on at least {gate.kappa_min_shared} shared records.",
        }
    else:
        task_checks = {
            "kappa": f"Cohen's kappa >= {gate.kappa_threshold} for each gated source pair ({pairs}) on at least "
            f"{gate.kappa_min_shared} shared records.",
            "class_balance": f"In every split the largest class is at most {gate.max_class_ratio}x the smallest.",
        }
    what = "span label" if isinstance(spec, SpansSpec) else "label"
    return {
        "schema": f"Every row validates against the {spec.record_model.__name__} pydantic model.",
        "label_set": f"Every {what} is one of the declared labels: {', '.join(spec.label_names)}.",
        **task_checks,
        "no_split_leak": "No dedup cluster and no identical normalized text appears in two splits.",
        "no_empty_split": f"train, validation and test each hold rows (ratios {ratios.train}/{ratios.validation}/"
        f"{ratios.test} by cluster).",
    }


PREVIEW = ["record_id", "split", "label", "spans", "label_status", "oversampled", "text"]


def _task_metadata(spec: DatasetSpec, frame, candidate) -> dict:
    if isinstance(spec, SpansSpec):
        totals = Counter()
        for per_label in candidate.summary["span_counts"].values():
            totals.update(per_label)
        return {
            **{f"spans_{k}": v for k, v in sorted(totals.items())},
            "records_without_spans": candidate.summary["records_without_spans"],
            "span_agreement": dg.MetadataValue.json(candidate.summary["agreement"]),
        }
    return {
        "balanced_away": candidate.summary["balanced_away"],
        "oversampled": candidate.summary["oversampled"],
        **{f"label_{k}": v for k, v in sorted(Counter(frame["label"].to_list()).items())},
        **agreement_metadata(candidate.agreement_report),
    }


def _human_labelled(warehouse: WarehouseResource, labels_table: str) -> list[str]:
    """The records people labelled, from the `labels` rows they gave (two columns of each partition, one at a
    time: the rows themselves are read once, by `read_all_with_versions`)."""
    humans = warehouse.read_matching(labels_table, "annotator_kind", ["human"], ["record_id", "annotator_kind"])
    return [] if humans is None else humans["record_id"].unique().to_list()


def summary_key(spec: DatasetSpec) -> str:
    return f"{table(spec, 'labeled_dataset')}/summary.json"


def build_record_key(spec: DatasetSpec) -> str:
    return f"{table(spec, 'labeled_dataset')}/build.json"


# Every table the candidate reads, by partition: what `build_key` hashes with the policy and the code.
BUILD_INPUTS = ("deduped_records", "labels", "near_duplicates", "canonical_records", "human_labels")
STATE_PARTS = ("dedup", "agreement", "schema", "leak")  # the kept state's parts (gleaner.dataset.candidate_state)


@functools.cache
def _code_fingerprint() -> str:
    """The library's sources and this project's: both shape the candidate and what is written beside it."""
    return source_fingerprint() + source_fingerprint(Path(__file__).resolve().parents[2])


def _standing(warehouse: WarehouseResource, spec: DatasetSpec, build: str, gate) -> Candidate | None:
    """The last build's candidate when nothing it was built from has changed (`gleaner.dataset.standing`):
    the record is read first, and the candidate only when the record's key is this build's."""
    try:
        record = warehouse.read_json(build_record_key(spec))
        if not isinstance(record, dict) or record.get("key") != build:
            return None
        summary = warehouse.read_json(summary_key(spec))
    except (FileNotFoundError, ValueError):  # none yet, or garbled: build
        return None
    frame, version = warehouse.read_with_version(table(spec, "labeled_dataset"))
    return standing_candidate(record, build, frame, version, summary, gate)


def labeled_dataset_asset(spec: DatasetSpec) -> dg.AssetsDefinition:
    candidate_key = key(spec, "labeled_dataset")
    policy_of_spec = spec.candidate_policy()

    def _build(
        context: dg.AssetExecutionContext,
        warehouse: WarehouseResource,
        policy: PolicyResource,
        canonical_versions: dict[str, str],
    ) -> tuple[Candidate, dict[str, str]]:
        """The candidate built from every partition (incrementally from the kept state, for classes) and how
        each part of the state was reached."""
        deduped_table, labels_table = table(spec, "deduped_records"), table(spec, "labels")
        canonical_table = table(spec, "canonical_records")
        deduped, deduped_versions = warehouse.read_all_with_versions(deduped_table, missing=NOT_INGESTED)
        spans = isinstance(spec, SpansSpec)
        keep = None if spans else candidate_votes(_human_labelled(warehouse, labels_table))
        votes, votes_versions = warehouse.read_all_with_versions(labels_table, missing=NOT_INGESTED, keep=keep)
        versions = {"deduped_records": deduped_versions, "labels": votes_versions}
        removals = warehouse.read_all(table(spec, "near_duplicates"))
        settle = policy.global_settle(context, [warehouse.asset_glob(canonical_table)])
        humans = warehouse.read_all(table(spec, "human_labels"))  # for the card's annotation velocity
        # the dedup's compiled kernels load while the state is read (earlier, they slowed the reads above)
        precompile_in_background()
        if spans:  # spans count agreement from every vote row, from scratch
            canonical = warehouse.read_all(canonical_table, missing=NOT_INGESTED)
            candidate = build_span_candidate(
                deduped, votes, canonical, removals, versions, policy_of_spec, settle, humans=humans
            )
            return candidate, {}
        # reads the canonical partitions that are new since the last build, plus the kept state
        if not canonical_versions:
            raise dg.Failure(f"{canonical_table} {NOT_INGESTED}")
        canonical = Partitions(canonical_versions, lambda keys: warehouse.read_partitions(canonical_table, keys))
        labels = Partitions(votes_versions, lambda keys: warehouse.read_partitions(labels_table, keys))
        candidate, how = build_candidate_incremental(
            deduped, votes, canonical, labels, removals, versions, policy_of_spec,
            warehouse.store, table(spec, "candidate_state"), settle, humans,
        )  # fmt: skip
        context.log.info("; ".join(f"{part}: {how[part]}" for part in STATE_PARTS))
        return candidate, how

    @dg.asset(
        key=candidate_key,
        pool=DATASET_POOL,  # one candidate build / publish at a time (dagster_project/instance.py)
        deps=[key(spec, a) for a in BUILD_INPUTS],
        description=f"{spec.name}: the candidate dataset: resolved labels joined to deduped records of every "
        "partition (pending review left out), a global dedup pass, per-cluster splits and class balancing. "
        "Blocking checks gate publication.",
        # code version 4: the summary carries annotation velocity over every partition's human labels
        **stage("dataset", {"polars", "duckdb"}, code_version="4"),
        check_specs=[
            dg.AssetCheckSpec(name, asset=candidate_key, blocking=True, description=text)
            for name, text in gate_checks(spec).items()
        ],
    )
    def _labeled_dataset(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, policy: PolicyResource
    ) -> dg.MaterializeResult:
        inputs = {name: warehouse.partition_data_versions(table(spec, name)) for name in BUILD_INPUTS}
        build = build_key(inputs, policy_of_spec, _code_fingerprint())
        candidate = _standing(warehouse, spec, build, policy_of_spec.gate)
        standing, how = candidate is not None, {}
        if standing:
            context.log.info(
                f"{spec.name}: every input partition, the dataset's policy and the code are as the last build "
                "found them; its candidate stands (gate verdicts included)"
            )
        else:
            candidate, how = _build(context, warehouse, policy, inputs["canonical_records"])
            written = warehouse.write_with_version(table(spec, "labeled_dataset"), candidate.frame)
            gate = gate_record(written, policy_of_spec.gate, candidate.verdicts)  # publish reuses these verdicts
            warehouse.write_json(summary_key(spec), {**candidate.summary, "gate": gate})
            warehouse.write_json(build_record_key(spec), build_record(build, written, candidate))  # last: it vouches
            warehouse.refresh_catalog()
        if candidate.reinstated_partitions:  # kept globally, removed by their partition in favour of a stale copy
            context.log.warning(
                f"{len(candidate.reinstated_ids)} records the global pass keeps were removed by their own "
                f"partition when it ran; re-materialize {', '.join(candidate.reinstated_partitions)} to bring "
                "them into the candidate"
            )
        frame = candidate.frame
        context.log.info(
            f"{spec.name} candidate: {frame.height} rows, {candidate.pending_review} pending review, gate: "
            + ", ".join(f"{v.name}={'pass' if v.passed else 'FAIL'}" for v in candidate.verdicts)
        )
        return dg.MaterializeResult(
            metadata={
                **table_metadata(frame, [c for c in PREVIEW if c in frame.columns]),
                "pending_review": candidate.pending_review,
                "global_pass_removed": candidate.global_removed,
                "reinstated_pending_rerun": len(candidate.reinstated_ids),
                "build": "the last build's: nothing new since" if standing else "built now",
                **{f"state_{part}": note for part, note in how.items()},  # from scratch or incremental
                **{f"split_{s}": int((frame["split"] == s).sum()) for s in SPLITS},
                **_task_metadata(spec, frame, candidate),
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name=v.name,
                    asset_key=candidate_key,
                    passed=v.passed,
                    severity=dg.AssetCheckSeverity.ERROR,
                    description=v.description,
                    metadata={"details": dg.MetadataValue.json(v.details)},
                )
                for v in candidate.verdicts
            ],
        )

    return _labeled_dataset


ASSETS = [labeled_dataset_asset(spec) for spec in EXTRACTED.values()]
