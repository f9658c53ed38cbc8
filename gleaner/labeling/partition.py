"""One partition's labels: every vote kept as a row, one resolved row per record, the uncertain queued for people.

The `labels` table holds every annotation source's vote (each labeling function, each LLM vote, each human)
plus a `resolved` row per record from `resolve_record`; `human_labels` holds what people said in Label
Studio; the review queue is the resolved rows still `needs_review`, with the best machine guess. The
Dagster assets only read, call these and write.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import polars as pl

from gleaner.labeling.active import MODEL_ANNOTATOR, ModelPass, model_pass, uncertainty
from gleaner.labeling.agreement_table import table_agreement, vote_table
from gleaner.labeling.analysis import lf_summary_table
from gleaner.labeling.audit import AUDIT, in_audit
from gleaner.labeling.calibration import Calibrator, fit_calibrator
from gleaner.labeling.functions import LabelingFunction, RecordView, apply_functions
from gleaner.labeling.history import History
from gleaner.labeling.label_studio.export import parse_export
from gleaner.labeling.resolution import LabelPolicy, ResolvedLabel, SourceVote, resolve_record
from gleaner.labeling.voting import plurality
from gleaner.schemas import LABELS

HUMAN_SCHEMA = {
    "record_id": pl.String,
    "annotator": pl.String,
    "annotation_id": pl.String,
    "updated_at": pl.String,
    "label": pl.String,
    "lead_time": pl.Float64,  # seconds Label Studio measured on the annotation; null when unknown
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
REVIEW_SCHEMA = {
    "record_id": pl.String,
    "guess": pl.String,
    "confidence": pl.Float64,
    "basis": pl.String,
    "priority": pl.Float64,  # the model in the loop's uncertainty: higher is reviewed sooner
    "audit": pl.Boolean,  # in the audit slice (gleaner.labeling.audit): reviewed first, calibration's sample
}
LABEL_ISSUE = "label_issue"


def record_views(records: pl.DataFrame) -> list[RecordView]:
    """What labeling functions and the LLM see of each record, in record_id order."""
    return [RecordView(r["record_id"], r["text"], r["rating"]) for r in records.sort("record_id").iter_rows(named=True)]


def human_labels(
    exports: Iterable[list[dict[str, Any]]], wanted: set[str], labels: tuple[str, ...] = LABELS
) -> tuple[pl.DataFrame, list[dict]]:
    """Annotations of `wanted` records from Label Studio exports (server or files: one format), and the
    unusable ones with their reason; a choice outside `labels` (the dataset's label set) is unusable. Any
    choices control counts, so projects made before the control was named `label` still read."""
    votes, problems = [], []
    for tasks in exports:
        file_votes, file_problems = parse_export(tasks, labels)
        votes.extend(v for v in file_votes if v["record_id"] in wanted)
        problems.extend(p for p in file_problems if p.get("record_id") in wanted)
    frame = pl.DataFrame(votes, schema=HUMAN_SCHEMA, orient="row").unique().sort(["record_id", "annotator"])
    return frame, problems


@dataclass(frozen=True)
class PartitionLabels:
    frame: pl.DataFrame  # LABEL_SCHEMA: every vote plus one resolved row per record
    votes: list[dict]  # the annotation sources' rows (no resolved rows)
    resolved: list[dict]  # one per record, in record order
    calibrator: Calibrator = Calibrator()  # what routing used; identity sources say why in their note
    model: ModelPass | None = None  # the model in the loop, when the policy runs one
    history: History = History()  # other partitions' human labels the calibrator and the model learnt from

    @property
    def status(self) -> Counter[str]:
        return Counter(r["status"] for r in self.resolved)

    @property
    def distribution(self) -> Counter[str]:
        return Counter(r["label"] for r in self.resolved if r["label"])

    def gold(self) -> dict[str, str]:
        """Labels people settled: the reference for labeling-function accuracy."""
        return {r["record_id"]: r["label"] for r in self.resolved if r["status"] == "human" and r["label"] is not None}

    def lf_summary(self) -> list[dict[str, object]]:
        """Each labeling function's coverage, overlaps, conflicts and accuracy where people labelled."""
        return lf_summary_table(self.frame.filter(annotator_kind="lf"), self.gold())

    def agreement(self) -> dict[str, Any]:
        """`source_agreement` over the votes, from their vote table (pair counts and column operations, as
        the candidate counts it): the same report without a Python pass per vote."""
        schema = dict.fromkeys(("record_id", "annotator", "annotator_kind", "label"), pl.String)
        votes = pl.from_dicts(self.votes, schema=schema | {"conditional": pl.Boolean})  # a key absent: null
        return table_agreement(*vote_table(votes), min_shared=3)


def human_rows(humans: pl.DataFrame | None, answer: str = "label") -> list[dict]:
    """The human labels frame as vote rows; `answer` is the column holding what they said."""
    if humans is None:
        return []
    return [
        {
            "record_id": h["record_id"],
            "annotator": h["annotator"],
            "annotator_kind": "human",
            answer: h[answer],
            "confidence": None,
        }
        for h in humans.iter_rows(named=True)
    ]


def label_partition(
    views: Sequence[RecordView],
    functions: Mapping[str, LabelingFunction],
    llm_rows: list[dict],
    humans: pl.DataFrame | None,
    policy: LabelPolicy,
    log: Callable[[str], None] | None = None,
    history: History | None = None,
    rule_rows: list[dict] | None = None,
) -> PartitionLabels:
    """Every source's votes (functions applied here unless `rule_rows` holds their `apply_functions` rows
    already, as when the LLM scope needed them first; LLM votes and human labels given) and one resolution
    per record. ``log`` gets progress lines while the functions run (minutes at 100k records).

    `history` (`gleaner.labeling.history`): other partitions' human-labelled records with their machine
    votes. The calibrator is fitted on them too and the model in the loop trains on their human labels;
    none of their rows is written here, only this partition's records are."""
    history = history or History()
    if rule_rows is None:
        rule_rows = apply_functions(views, functions, log=log)
    rows: list[dict] = rule_rows + llm_rows + human_rows(humans)
    past = list(history.rows)  # learnt from, never written: other partitions' records
    gold = human_gold(rows + past)

    def calibrated() -> Calibrator:
        return fit_calibrator(rows + past, gold, policy.calibration_min_samples, policy.audit_fraction)

    if policy.calibrator is None and policy.calibrate:
        policy = replace(policy, calibrator=calibrated())
    resolved = _resolve(views, rows, policy)
    model = None
    if policy.model_in_loop:
        ours = {v.record_id for v in views}
        labelled = {r["record_id"]: (r["label"], r["status"]) for r in resolved if r["label"] is not None}
        labelled |= {r: (label, "human") for r, label in gold.items() if r not in ours}
        model = model_pass([*views, *history.views], labelled)
        rows += [vote for vote in model.votes if vote["record_id"] in ours]
        past += [vote for vote in model.votes if vote["record_id"] not in ours]  # out of fold: people labelled
        issues = set(model.label_issues)
        resolved = [_label_issue(r) if r["record_id"] in issues else r for r in resolved]
        if policy.calibrate:  # the model's own calibration, for the report: it never settles a label
            policy = replace(policy, calibrator=calibrated())
    frame = pl.DataFrame(rows + resolved, schema=LABEL_SCHEMA, orient="row").sort(
        ["record_id", "annotator_kind", "annotator"]
    )
    return PartitionLabels(frame, rows, resolved, policy.calibrator or Calibrator(), model, history)


def _resolve(views: Sequence[RecordView], rows: list[dict], policy: LabelPolicy) -> list[dict]:
    """One resolution per record. Records whose votes carry no confidence (rules, people) and are the same,
    vote for vote, resolve alike: at volume most records are rules-only, and four rules with three labels
    make a few dozen distinct ballots, so each is resolved once (a fifth of the time at 82k records)."""
    per_record: dict[str, list[tuple[str, str, str | None, float | None]]] = defaultdict(list)
    for row in rows:
        per_record[row["record_id"]].append((row["annotator"], row["annotator_kind"], row["label"], row["confidence"]))
    alike: dict[tuple, ResolvedLabel] = {}
    resolved = []
    for view in views:
        votes = tuple(per_record.get(view.record_id, ()))
        outcome = alike.get(votes)
        if outcome is None:
            outcome = resolve_record([SourceVote(*vote) for vote in votes], policy)
            if all(vote[3] is None for vote in votes):  # a confidence (an LLM's) makes a ballot its own
                alike[votes] = outcome
        if outcome.status == "auto" and in_audit(view.record_id, policy.audit_fraction):
            outcome = replace(outcome, label=None, status="needs_review", basis=AUDIT)
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
    return resolved


def _label_issue(row: dict) -> dict:
    """An automatic label the model in the loop says is likely wrong: back to review, the label as the guess."""
    return {**row, "label": None, "status": "needs_review", "basis": LABEL_ISSUE, "guess": row["label"]}


def human_gold(rows: list[dict]) -> dict[str, str]:
    """The label people settled per record (their plurality; ties settle nothing)."""
    said: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        if row["annotator_kind"] == "human" and row["label"] is not None:
            said[row["record_id"]].append(row["label"])
    return {record: label for record, labels in said.items() if (label := plurality(labels)[0]) is not None}


def review_queue(
    labels: pl.DataFrame,
    records: pl.DataFrame,
    priority: Mapping[str, float] | None = None,
    audit_fraction: float = 0.0,
) -> list[dict]:
    """Records still `needs_review`, with their text and the best machine guess, most informative first:
    the audit slice (`audit_fraction`, `gleaner.labeling.audit`) leads, marked `audit`, so calibration's
    unbiased sample is labelled whatever else waits; then by `priority` (higher first), by default the
    model in the loop's uncertainty read back from its votes (`gleaner.labeling.active`); records without
    one follow, by record_id."""
    if priority is None and "annotator" not in labels.columns:
        priority = {}  # a bare table of resolved rows: no model votes to read
    if priority is None:
        model = labels.filter((pl.col("annotator") == MODEL_ANNOTATOR) & pl.col("confidence").is_not_null())
        priority = dict(zip(model["record_id"], map(uncertainty, model["confidence"]), strict=True))
    ranks = pl.DataFrame(
        {"record_id": list(priority), "priority": list(priority.values())},
        schema={"record_id": pl.String, "priority": pl.Float64},
    )
    pending = (
        labels.filter((pl.col("annotator_kind") == "resolved") & (pl.col("status") == "needs_review"))
        .join(records.select("record_id", "text"), on="record_id", how="inner")
        .join(ranks, on="record_id", how="left")
    )
    audit = [in_audit(r, audit_fraction) for r in pending["record_id"].to_list()]
    pending = pending.with_columns(pl.Series("audit", audit, dtype=pl.Boolean)).sort(
        ["audit", "priority", "record_id"], descending=[True, True, False], nulls_last=True
    )
    return pending.select("record_id", "text", "guess", "confidence", "basis", "priority", "audit").to_dicts()


def review_frame(queue: list[dict]) -> pl.DataFrame:
    """The `review_tasks` table: what was queued, without the text (which stays in deduped_records)."""
    defaults = {"audit": False}  # span queues have no audit slice
    return pl.DataFrame(
        {column: [row.get(column, defaults.get(column)) for row in queue] for column in REVIEW_SCHEMA},
        schema=REVIEW_SCHEMA,
    )
