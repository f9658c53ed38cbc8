"""The span candidate: every partition's labelled survivors, deduped globally, split by cluster, unbalanced.

The span twin of `gleaner.dataset.candidate`. Records still pending review are left out, never guessed; a
record with no entity is a labelled record (its `spans` is empty), not a pending one. Clusters are split by
the same hash as classification, in one stratum: a record carries many labels or none, so there is no class
to stratify or balance by. Each row carries `spans` (`{start, end, label, text}` in text order) and, for a
token-classification trainer, `tokens` with BIO `ner_tags`; where a dataset allows overlapping spans, the
tags are taken from the subset `resolve_overlaps` keeps (BIO cannot hold an overlap) while `spans` keeps
them all. Agreement is `pairwise_span_agreement` over every source's votes on the survivors' texts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from gleaner.dataset.candidate import (
    Candidate,
    dedup_summary,
    input_partitions,
    reinstated_partitions,
    velocity_summary,
)
from gleaner.dataset.gate import SpanGatePolicy, run_span_gate
from gleaner.dataset.splitting import SPLITS, SplitRatios, assign_splits
from gleaner.dedup import Settle, content_hash, global_dedup, local_settle
from gleaner.labeling import source_span_votes
from gleaner.labeling.spans import pairwise_span_agreement, resolve_overlaps, spans_from_json, training_columns

SPAN_STRUCT = pl.Struct({"start": pl.Int64, "end": pl.Int64, "label": pl.String, "text": pl.String})
SPAN_COLUMNS = {
    "cluster_id": pl.String,
    "content_hash": pl.String,
    "spans": pl.List(SPAN_STRUCT),
    "tokens": pl.List(pl.String),
    "ner_tags": pl.List(pl.String),
    "label_status": pl.String,
    "label_confidence": pl.Float64,
    "split": pl.String,
}


@dataclass(frozen=True)
class SpanCandidatePolicy:
    gate: SpanGatePolicy
    ratios: SplitRatios = field(default_factory=SplitRatios)
    dedup_threshold: float = 0.8


def span_training_columns(policy: SpanGatePolicy, present: list[str]) -> list[str]:
    """The published columns: the record model's fields the frame has, then the span columns."""
    return [name for name in policy.record_model.model_fields if name in present] + list(SPAN_COLUMNS)


def span_counts(rows: list[dict]) -> dict[str, dict[str, int]]:
    """Spans per split and label."""
    return {
        s: dict(sorted(Counter(x["label"] for r in rows if r["split"] == s for x in r["spans"]).items()))
        for s in SPLITS
    }


def _with_text(frame: pl.DataFrame, field_name: str) -> pl.DataFrame:
    """The dedup pass reads `text`: a dataset over another field dedups on that field."""
    return frame if "text" in frame.columns else frame.with_columns(pl.col(field_name).alias("text"))


def _row(record: dict[str, Any], policy: SpanGatePolicy) -> dict[str, Any]:
    text = record[policy.input_field] or ""
    spans = spans_from_json(record["spans_json"]) or []
    columns = training_columns(text, resolve_overlaps(spans, policy.labels))
    columns["spans"] = [s.as_dict() for s in sorted(spans)]
    return {**record, **columns, "content_hash": record.get("content_hash") or content_hash(text)}


def build_span_candidate(
    deduped: pl.DataFrame,
    votes: pl.DataFrame,
    canonical: pl.DataFrame,
    removals: pl.DataFrame | None,
    input_versions: dict[str, dict[str, str]],
    policy: SpanCandidatePolicy,
    settle: Settle = local_settle,
    humans: pl.DataFrame | None = None,
) -> Candidate:
    """`votes`: the span `labels` table (`SPAN_LABEL_SCHEMA` with `source` and `partition_date`); the other
    arguments as for `build_candidate`."""
    gate = policy.gate
    settled = global_dedup(_with_text(deduped, gate.input_field), policy.dedup_threshold,
                           _with_text(canonical, gate.input_field), settle)  # fmt: skip
    resolved = votes.filter(pl.col("annotator_kind") == "resolved").select(
        "record_id", "source", "partition_date", "spans_json",
        pl.col("confidence").alias("label_confidence"), pl.col("status").alias("label_status"),
    )  # fmt: skip
    joined = settled.survivors.join(resolved, on=["record_id", "source", "partition_date"], how="left")
    labelled = joined.filter(pl.col("spans_json").is_not_null()).to_dicts()
    splits = assign_splits({r["cluster_id"]: "spans" for r in labelled}, policy.ratios)
    rows = [{**_row(r, gate), "split": splits[r["cluster_id"]]} for r in labelled]
    texts = dict(zip(joined["record_id"].to_list(), joined[gate.input_field].to_list(), strict=True))
    agreement = pairwise_span_agreement(texts, source_span_votes(votes.iter_rows(named=True), gate.labels))
    verdicts = run_span_gate(rows, agreement, gate)

    columns = span_training_columns(gate, joined.columns)
    schema = {name: joined.schema[name] for name in columns if name not in SPAN_COLUMNS} | SPAN_COLUMNS
    frame = pl.DataFrame([{c: r.get(c) for c in columns} for r in rows], schema=schema, orient="row")
    counts = span_counts(rows)
    summary = {
        "task": "spans",
        "agreement": agreement,
        "input_partitions": input_partitions(input_versions),
        "pending_review": joined.height - len(labelled),
        "dedup": dedup_summary(canonical, removals, settled.removed),
        "span_counts": counts,
        "records_without_spans": sum(not r["spans"] for r in rows),
        "annotation_velocity": velocity_summary(humans),
    }
    report = {"pairs": agreement}
    return Candidate(frame.sort(["split", "record_id"]), verdicts, summary, report, settled.reinstated_ids,
                     reinstated_partitions(canonical, settled.reinstated_ids), settled.removed)  # fmt: skip
