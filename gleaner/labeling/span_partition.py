"""One partition's span labels: every vote kept as a row, one resolved row per record, the uncertain queued.

The span twin of `gleaner.labeling.partition`. A vote's spans are stored as a JSON string (`spans_json`):
a list of `{start, end, label, text}` in text order with sorted keys, so two votes with the same entities
have byte-equal values (the LLM cache, majorities and Parquet all compare them as plain strings). `null`
means the source gave no usable answer (a failed LLM vote, its `reason` says why); `"[]"` means "no entity
here".

Resolution per record, in order of trust:

- people: the span set most of them drew wins (`status = human`, confidence = the share that drew it); when
  they tie the record goes back to review (`humans disagree`) with the spans they all drew as its guess;
- machines (labeling functions and successful LLM votes): a span is kept when a strict majority of the
  machine votes proposed it, and overlaps among the kept spans are resolved by `resolve_overlaps` in the
  declared label order. Confidence is the mean pairwise span F1 between the machine votes (two votes that
  both found no entity agree fully), so it measures how much the sources agree, not what any one claims.
  `auto` when at least `min_votes` machine votes exist and confidence >= `confidence_threshold`, else
  `needs_review` with the merged spans as the guess (Label Studio's pre-annotation).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import polars as pl

from gleaner.labeling.functions import RecordView
from gleaner.labeling.label_studio.spans import parse_span_export
from gleaner.labeling.partition import human_rows
from gleaner.labeling.spans import (
    Span,
    pairwise_span_agreement,
    resolve_overlaps,
    span_f1,
    spans_from_json,
    spans_to_json,
)
from gleaner.labeling.voting import plurality
from gleaner.progress import Progress

SpanFunction = Callable[[RecordView], list[Span]]

SPAN_HUMAN_SCHEMA = {
    "record_id": pl.String,
    "annotator": pl.String,
    "annotation_id": pl.String,
    "updated_at": pl.String,
    "spans_json": pl.String,
    "lead_time": pl.Float64,  # seconds Label Studio measured on the annotation; null when unknown
}
SPAN_LABEL_SCHEMA = {
    "record_id": pl.String,
    "annotator": pl.String,
    "annotator_kind": pl.String,  # "lf" | "llm" | "human" | "resolved"
    "spans_json": pl.String,
    "confidence": pl.Float64,
    "status": pl.String,
    "basis": pl.String,
    "guess": pl.String,  # resolved rows: the machine spans (JSON) offered to reviewers
    "reason": pl.String,
    "conditional": pl.Boolean,
}


@dataclass(frozen=True)
class SpanLabelPolicy:
    min_votes: int = 2  # successful machine votes a record needs before it may be labelled without a person
    confidence_threshold: float = 0.8  # mean pairwise span F1 of those votes


def apply_span_functions(
    views: Sequence[RecordView], functions: Mapping[str, SpanFunction], log: Callable[[str], None] | None = None
) -> list[dict[str, Any]]:
    """One vote row per (record, function); a function that finds nothing votes `[]`."""
    progress = Progress(log, "records labelled by span rules", len(views)) if log is not None else None
    rows = []
    for view in views:
        rows.extend(
            {
                "record_id": view.record_id,
                "annotator": name,
                "annotator_kind": "lf",
                "spans_json": spans_to_json(fn(view)),
            }
            for name, fn in functions.items()
        )
        if progress is not None:
            progress.advance()
    return rows


def _mean_pairwise_f1(votes: list[list[Span]]) -> float:
    scores = [span_f1([a], [b]) for a, b in combinations(votes, 2)]
    return sum(1.0 if s is None else s for s in scores) / len(scores) if scores else 0.0


def _merge(votes: list[list[Span]], label_order: Sequence[str]) -> list[Span]:
    counts = Counter(span for vote in votes for span in set(vote))
    return resolve_overlaps([s for s, n in counts.items() if 2 * n > len(votes)], label_order)


def resolve_spans(
    machine: list[list[Span]], humans: list[list[Span]], policy: SpanLabelPolicy, label_order: Sequence[str]
) -> dict[str, Any]:
    """The resolved row's fields for one record, from its successful machine and human span votes."""
    merged = _merge(machine, label_order)
    if humans:
        keys = [spans_to_json(h) for h in humans]
        winner, count = plurality(keys)
        if winner is not None:
            return {"spans_json": winner, "confidence": round(count / len(keys), 4), "status": "human",
                    "basis": "human majority", "guess": winner}  # fmt: skip
        common = set.intersection(*(set(h) for h in humans))
        return {"spans_json": None, "confidence": round(count / len(keys), 4), "status": "needs_review",
                "basis": f"humans disagree ({len(keys)} annotations)", "guess": spans_to_json(common)}  # fmt: skip
    confidence = round(_mean_pairwise_f1(machine), 4)
    if len(machine) >= policy.min_votes and confidence >= policy.confidence_threshold:
        found = spans_to_json(merged)
        return {"spans_json": found, "confidence": confidence, "status": "auto", "basis": "machine agreement",
                "guess": found}  # fmt: skip
    if not machine:
        basis = "no annotation source voted"
    elif len(machine) < policy.min_votes:
        basis = f"too few machine votes ({len(machine)} of {policy.min_votes})"
    else:
        basis = f"machine sources disagree (mean span F1 {confidence:.2f} < {policy.confidence_threshold})"
    # The pre-annotation is every span any machine source found (overlaps resolved): people delete a wrong
    # span faster than they draw a missing one, and rule sets that tag different labels complement each other.
    found_by_any = resolve_overlaps([span for vote in machine for span in vote], label_order)
    return {"spans_json": None, "confidence": confidence, "status": "needs_review", "basis": basis,
            "guess": spans_to_json(found_by_any) if machine else None}  # fmt: skip


@dataclass(frozen=True)
class SpanPartitionLabels:
    frame: pl.DataFrame  # SPAN_LABEL_SCHEMA: every vote plus one resolved row per record
    votes: list[dict]  # the annotation sources' rows (no resolved rows)
    resolved: list[dict]  # one per record, in record order
    agreement: list[dict]  # `pairwise_span_agreement` rows: span F1 and token kappa per source pair

    @property
    def status(self) -> Counter[str]:
        return Counter(r["status"] for r in self.resolved)

    @property
    def span_counts(self) -> Counter[str]:
        """Spans per label over the labelled records."""
        return Counter(s.label for r in self.resolved for s in spans_from_json(r["spans_json"]) or [])


def source_span_votes(
    rows: Iterable[Mapping[str, Any]], label_order: Sequence[str]
) -> dict[str, dict[str, list[Span]]]:
    """annotator -> {record -> spans} for every source; resolved rows, conditional LLM votes (asked only on
    hard records) and failed votes are left out, as for classification agreement. Token kappa compares BIO
    tags, which cannot hold overlapping spans: a vote with overlaps (allowed by its dataset) is compared by
    the subset `resolve_overlaps` keeps."""
    votes: dict[str, dict[str, list[Span]]] = defaultdict(dict)
    for row in rows:
        if row["annotator_kind"] == "resolved" or row.get("conditional") or row.get("spans_json") is None:
            continue
        spans = resolve_overlaps(spans_from_json(row["spans_json"]) or [], label_order)
        votes[str(row["annotator"])][str(row["record_id"])] = spans
    return dict(votes)


def label_span_partition(
    views: Sequence[RecordView],
    functions: Mapping[str, SpanFunction],
    llm_rows: list[dict],
    humans: pl.DataFrame | None,
    policy: SpanLabelPolicy,
    label_order: Sequence[str],
    log: Callable[[str], None] | None = None,
    rule_rows: list[dict] | None = None,
) -> SpanPartitionLabels:
    """Every source's span votes (functions applied here unless `rule_rows` holds their
    `apply_span_functions` rows already, as when the LLM scope needed them first; LLM rows from
    `gleaner.labeling.llm.span_vote_rows` and human labels from `span_human_labels` given) and one
    resolution per record, in record_id order."""
    if rule_rows is None:
        rule_rows = apply_span_functions(views, functions, log)
    rows = rule_rows + list(llm_rows) + human_rows(humans, "spans_json")
    machine: dict[str, list[list[Span]]] = defaultdict(list)
    people: dict[str, list[list[Span]]] = defaultdict(list)
    for row in rows:
        spans = spans_from_json(row["spans_json"])
        if spans is not None:
            (people if row["annotator_kind"] == "human" else machine)[row["record_id"]].append(spans)
    resolved = [
        {
            "record_id": v.record_id,
            "annotator": "resolved",
            "annotator_kind": "resolved",
            **resolve_spans(machine[v.record_id], people[v.record_id], policy, label_order),
        }  # fmt: skip
        for v in sorted(views, key=lambda v: v.record_id)
    ]
    frame = pl.DataFrame(rows + resolved, schema=SPAN_LABEL_SCHEMA, orient="row").sort(
        ["record_id", "annotator_kind", "annotator"]
    )
    agreement = pairwise_span_agreement({v.record_id: v.text for v in views}, source_span_votes(rows, label_order))
    return SpanPartitionLabels(frame, rows, resolved, agreement)


def span_rules_settled(rule_rows: Sequence[dict], policy: SpanLabelPolicy, label_order: Sequence[str]) -> set[str]:
    """The record ids the span rules settle alone (`rule_rows`: `apply_span_functions`'s, reused by
    `label_span_partition`): their votes would resolve the record `auto` (`resolve_spans`, the same test
    resolution applies), so the LLM is asked only where its vote can change the outcome
    (`gleaner.labeling.scope.records_for_llm`)."""
    votes: dict[str, list[list[Span]]] = defaultdict(list)
    for row in rule_rows:
        spans = spans_from_json(row["spans_json"])
        if spans is not None:
            votes[row["record_id"]].append(spans)
    return {
        record_id
        for record_id, machine in votes.items()
        if resolve_spans(machine, [], policy, label_order)["status"] == "auto"
    }


def span_review_queue(labels: pl.DataFrame, records: pl.DataFrame, text_field: str = "text") -> list[dict]:
    """Records still `needs_review` with their text and the machine spans (`guess`: list of Span, or None),
    most disputed first: `priority` is 1 - the machine votes' mean pairwise span F1 (the resolved row's
    confidence), the span sources' disagreement standing in for a model's uncertainty; ties by record_id.
    The rows `gleaner.labeling.label_studio.build_span_tasks` turns into tasks."""
    pending = (
        labels.filter((pl.col("annotator_kind") == "resolved") & (pl.col("status") == "needs_review"))
        .join(records.select("record_id", pl.col(text_field).alias("text")), on="record_id", how="inner")
        .with_columns(priority=(1.0 - pl.col("confidence").fill_null(0.0)).round(6))
        .sort(["priority", "record_id"], descending=[True, False])
    )
    return [
        {
            "record_id": r["record_id"],
            "text": r["text"],
            "guess": spans_from_json(r["guess"]),
            "confidence": r["confidence"],
            "basis": r["basis"],
            "priority": r["priority"],
        }  # fmt: skip
        for r in pending.iter_rows(named=True)
    ]


def span_human_labels(
    exports: Iterable[list[dict[str, Any]]], wanted: set[str], labels: Sequence[str], *, allow_overlaps: bool = False
) -> tuple[pl.DataFrame, list[dict]]:
    """Span annotations of `wanted` records from Label Studio exports (SPAN_HUMAN_SCHEMA), and the unusable
    ones with their reason."""
    votes, problems = [], []
    for tasks in exports:
        found, unusable = parse_span_export(tasks, labels, allow_overlaps=allow_overlaps)
        votes.extend(
            {
                **{k: v for k, v in row.items() if k != "spans"},
                "spans_json": spans_to_json(Span(**s) for s in row["spans"]),
            }  # fmt: skip
            for row in found
            if row["record_id"] in wanted
        )
        problems.extend(p for p in unusable if p.get("record_id") in wanted)
    frame = pl.DataFrame(votes, schema=SPAN_HUMAN_SCHEMA, orient="row").unique().sort(["record_id", "annotator"])
    return frame, problems
