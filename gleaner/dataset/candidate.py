"""The candidate dataset: every partition's labelled survivors, deduped globally, split by cluster, balanced.

What `labeled_dataset` builds and the gate judges. Records still pending review are left out, never guessed;
a review re-scraped on another day keeps the label its own partition resolved (labels join on the
partition too). The summary carries what the version's manifest and card report, the dataset-level
calibration and label issues among them (`gleaner.dataset.quality`).
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from gleaner.dataset.balancing import balance_split_frame
from gleaner.dataset.candidate_state import (
    AgreementUpdate,
    Partitions,
    StoredState,
    agreement_tables,
    load_state,
    save_inputs_part,
    save_state,
    settle_dedup,
)
from gleaner.dataset.gate import (
    CheckVerdict,
    GatePolicy,
    KnownValid,
    check_no_split_leak_knowing,
    check_schema_knowing,
    run_gate,
)
from gleaner.dataset.quality import label_quality
from gleaner.dataset.splitting import SPLITS, SplitRatios, split_column
from gleaner.dedup import GlobalDedup, Settle, apply_kept, first_sightings, global_dedup, local_settle
from gleaner.dedup.sketch_cache import KnownSketches
from gleaner.labeling import annotation_velocity, cohen_rows
from gleaner.labeling.agreement_table import pattern_agreement, table_agreement, vote_table
from gleaner.storage.backends import Store


@dataclass(frozen=True)
class CandidatePolicy:
    ratios: SplitRatios = SplitRatios()
    max_class_ratio: float = 1.5
    balance_strategy: str = "undersample"
    dedup_threshold: float = 0.8
    gate: GatePolicy = field(default_factory=GatePolicy)
    calibration_min_samples: int = 30  # the dataset-level calibration the card reports (`label_quality`)
    audit_fraction: float = 0.0


@dataclass(frozen=True)
class Candidate:
    frame: pl.DataFrame  # the balanced rows with split and oversampled, by split then record_id
    verdicts: list[CheckVerdict]
    summary: dict[str, Any]  # what the manifest carries: agreement, input partitions, dedup counts, balancing
    agreement_report: dict[str, Any]
    reinstated_ids: list[str]  # kept globally, removed by their own partition when it ran
    reinstated_partitions: list[str]  # the partitions to re-run to bring them in
    global_removed: int

    @property
    def pending_review(self) -> int:
        return self.summary["pending_review"]


@dataclass(frozen=True)
class GateMemory:
    """What the gate's schema and leak checks leave for the next build, and how much each did now."""

    schema: KnownValid | None  # every valid row of this candidate
    sketches: KnownSketches | None  # the leak check's sketch of every distinct text of this candidate
    how: dict[str, str]


def _resolved_labels(votes: pl.DataFrame) -> pl.DataFrame:
    return votes.filter(pl.col("annotator_kind") == "resolved").select(
        "record_id",
        "source",
        "partition_date",
        "label",
        pl.col("confidence").alias("label_confidence"),
        pl.col("status").alias("label_status"),
    )


def _split_and_balance(labelled: pl.DataFrame, policy: CandidatePolicy) -> pl.DataFrame:
    """Rows with `split` (by cluster) and `oversampled`, balanced per split, sorted by split, record_id and
    oversampled (the candidate's order). Column operations (`split_column`, `balance_split_frame`): only the
    hashes are per-row Python."""
    with_split = labelled.with_columns(split=split_column(labelled, "cluster_id", "label", policy.ratios))
    frames = [
        balance_split_frame(
            with_split.filter(pl.col("split") == split),
            split,
            "label",
            "record_id",
            policy.max_class_ratio,
            policy.balance_strategy,
        )
        for split in SPLITS
    ]
    schema = labelled.schema | {"split": pl.String, "oversampled": pl.Boolean}
    return pl.concat(frames).select(list(schema)).cast(schema).sort(["split", "record_id", "oversampled"])


def input_partitions(input_versions: dict[str, dict[str, str]]) -> dict[str, dict[str, str | None]]:
    """partition -> {asset: data version}, for the manifest."""
    return {
        partition: {asset: versions.get(partition) for asset, versions in input_versions.items()}
        for partition in sorted(input_versions["deduped_records"])
    }


def dedup_summary(canonical: pl.DataFrame | int, removals: pl.DataFrame | None, global_removed: int) -> dict[str, int]:
    """`canonical`: the canonical records, or how many there are."""
    kinds = Counter(removals["kind"].to_list()) if removals is not None else Counter()
    return {
        "canonical_records": canonical if isinstance(canonical, int) else canonical.height,
        "exact_removed": kinds["exact"],
        "near_removed": kinds["near"],
        "rescrapes_removed": kinds["rescrape"],
        "global_pass_removed": global_removed,
    }


def velocity_summary(humans: pl.DataFrame | None) -> dict[str, Any]:
    """Annotation velocity over every partition's human labels (none yet: no figure); tables written before
    `lead_time` was kept read as untimed annotations."""
    return annotation_velocity(() if humans is None else humans.iter_rows(named=True))


def reinstated_partitions(canonical: pl.DataFrame, reinstated_ids: list[str]) -> list[str]:
    """The partitions to re-run to bring in records the global pass keeps but their partition removed."""
    reinstated = canonical.filter(pl.col("record_id").is_in(reinstated_ids))
    return sorted({f"{r['partition_date']}|{r['source']}" for r in reinstated.iter_rows(named=True)})


def build_candidate(
    deduped: pl.DataFrame,
    votes: pl.DataFrame,
    canonical: pl.DataFrame,
    removals: pl.DataFrame | None,
    input_versions: dict[str, dict[str, str]],
    policy: CandidatePolicy,
    settle: Settle = local_settle,
    humans: pl.DataFrame | None = None,
) -> Candidate:
    """`input_versions`: asset -> {partition -> data version} of `deduped_records` and `labels`; `settle`
    where the global dedup pass runs (`gleaner.dedup.global_pass.Settle`); `humans`: every partition's
    human labels, for the annotation velocity the card reports (`velocity_summary`). From scratch: every
    canonical record goes through the global pass, every vote row into the agreement report."""
    settled = global_dedup(deduped, policy.dedup_threshold, canonical, settle)
    report = table_agreement(*vote_table(votes))
    reinstated = reinstated_partitions(canonical, settled.reinstated_ids)
    return _assemble(
        deduped, votes, settled, report, canonical.height, reinstated, removals, input_versions, policy, humans
    )[0]


def build_candidate_incremental(
    deduped: pl.DataFrame,
    votes: pl.DataFrame,
    canonical: Partitions,
    labels: Partitions,
    removals: pl.DataFrame | None,
    input_versions: dict[str, dict[str, str]],
    policy: CandidatePolicy,
    store: Store,
    state_folder: str,
    settle: Settle = local_settle,
    humans: pl.DataFrame | None = None,
) -> tuple[Candidate, dict[str, str]]:
    """`build_candidate` reading only the canonical partitions that are new since the state under
    `state_folder` was saved, and counting agreement afresh only for new or changed `labels` partitions
    (`gleaner.dataset.candidate_state`); the same candidate, byte for byte. `votes` needs only the rows
    `gleaner.dataset.quality.candidate_votes` selects (the resolved labels are joined from it, and the
    calibration fitted on its human-labelled records). Saves the updated state and returns how each part was
    reached, for the run's log."""
    state = load_state(store, state_folder, policy.dedup_threshold)
    with ThreadPoolExecutor(max_workers=1) as pool:  # what the settle does not decide, on the other core
        sightings = pool.submit(first_sightings, deduped)
        agreed = pool.submit(_agreement, state, labels)
        dedup = settle_dedup(store, state_folder, state, canonical, policy.dedup_threshold, settle)
        dedup_state = dedup.state
        kept = dedup_state.filter(pl.col("kept"))
        settled = apply_kept(deduped, kept["record_id"], kept["cluster_id"], sightings.result())
        report, agreement_part, agreement_how = agreed.result()
    reinstated_ids = pl.Series(settled.reinstated_ids, dtype=pl.String)
    reinstated = dedup_state.filter(pl.col("record_id").is_in(reinstated_ids.implode()))
    partitions = sorted(set(reinstated["partitions"].explode().drop_nulls().to_list()))
    rows = sum(dedup.manifest["rows"].values())
    with ThreadPoolExecutor(max_workers=1) as pool:  # the settled state written while the gate runs
        inputs_part = pool.submit(save_inputs_part, store, state_folder, dedup, agreement_part)
        candidate, memory = _assemble(
            deduped, votes, settled, report, rows, partitions, removals, input_versions, policy, humans,
            GateMemory(state.schema, state.sketches, {}),
        )  # fmt: skip
        save_state(store, state_folder, inputs_part.result(), memory.schema, memory.sketches)
    return candidate, {"dedup": dedup.how, "agreement": agreement_how, **memory.how}


def _agreement(state: StoredState, labels: Partitions) -> tuple[dict[str, Any], AgreementUpdate, str]:
    """The agreement report from the stored and the fresh vote tables, what to store, and how it was
    reached: independent of the dedup settle, so it runs beside it, on the other core."""
    update, llm, how = agreement_tables(state, labels)
    return pattern_agreement(update.patterns, llm), update, how


def _assemble(
    deduped: pl.DataFrame,
    votes: pl.DataFrame,
    settled: GlobalDedup,
    report: dict[str, Any],
    canonical_rows: int,
    reinstated: list[str],
    removals: pl.DataFrame | None,
    input_versions: dict[str, dict[str, str]],
    policy: CandidatePolicy,
    humans: pl.DataFrame | None,
    known: GateMemory = GateMemory(None, None, {}),
) -> tuple[Candidate, GateMemory]:
    """The candidate from the global pass's survivors and the agreement report: labels joined, splits,
    balancing, the gate, the summary; and what the gate leaves for the next build. What `known` (the last
    build's) holds is not done again: the schema check validates only rows it does not vouch for, the leak
    check sketches only texts it has no sketch of."""
    joined = settled.survivors.join(_resolved_labels(votes), on=["record_id", "source", "partition_date"], how="left")
    pending = joined.filter(pl.col("label").is_null())
    labelled = joined.filter(pl.col("label").is_not_null())
    frame = _split_and_balance(labelled, policy)
    oversampled = int(frame["oversampled"].sum())
    agreement = cohen_rows(report)
    with ThreadPoolExecutor(max_workers=1) as pool:  # two pure checks of the same frame, on both cores
        schema_checked = pool.submit(check_schema_knowing, frame, policy.gate.record_model, known.schema)
        leak, sketches, sketched = check_no_split_leak_knowing(frame, policy.gate, known.sketches)
        schema, valid, validated = schema_checked.result()
    verdicts = run_gate(frame, agreement, policy.gate, schema, leak)  # the frame's columns, never a dict per row
    summary = {
        "agreement": agreement,
        "agreement_overall": {k: v for k, v in report.items() if k != "cohen"},
        "input_partitions": input_partitions(input_versions),
        "pending_review": pending.height,
        "dedup": dedup_summary(canonical_rows, removals, settled.removed),
        "balanced_away": labelled.height - (frame.height - oversampled),
        "oversampled": oversampled,
        "annotation_velocity": velocity_summary(humans),
        "label_quality": label_quality(votes, policy.calibration_min_samples, policy.audit_fraction),
    }
    candidate = Candidate(frame, verdicts, summary, report, settled.reinstated_ids, reinstated, settled.removed)
    texts = 0 if sketches is None else sketches.sketches.height
    how = {
        "schema": f"{validated} of {frame.height} row(s) validated (the rest known valid)",
        "leak": f"{sketched} of {texts} distinct text(s) sketched (the rest known)",
    }
    return candidate, GateMemory(valid, sketches, how)
