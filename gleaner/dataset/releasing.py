"""From a gated candidate to the files and manifest of `training_data_vN`.

The gate is judged here too, so a publish triggered on its own cannot skip it. It is not run a second time
when the candidate's summary already holds the verdicts `labeled_dataset` gave (its blocking checks) for
exactly these candidate bytes, this gate policy and this library code (`gate_record`, keyed by all three):
the same pure checks on the same input give the same verdicts, and they cost seconds at volume. Anything
else (another candidate, an edited policy, changed code, an older summary without verdicts) runs the gate.
Then the candidate becomes one Parquet file per split plus a manifest (counts, agreement, label quality,
inputs, policy, code version), a dataset card and, for classification, the reliability diagram of the
dataset-level calibration (`reliability.png`, hashed in the manifest like the splits), published immutably
by `gleaner.storage.versions.publish`.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

import polars as pl

from gleaner.code_version import source_fingerprint
from gleaner.dataset.card import definition_manifest, render_card
from gleaner.dataset.gate import CheckVerdict, GatePolicy, SpanGatePolicy, run_gate, run_span_gate
from gleaner.dataset.quality import RELIABILITY_PNG, manifest_figures, reliability_file
from gleaner.dataset.span_candidate import span_counts, span_training_columns
from gleaner.dataset.splitting import SPLITS
from gleaner.labeling.task import TaskDefinition
from gleaner.storage.backends import Store
from gleaner.storage.versions import PublishOutcome, publish
from gleaner.storage.warehouse import parquet_bytes

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


@dataclass(frozen=True)
class Release:
    outcome: PublishOutcome  # the version published, or the latest one holding the same content
    frame: pl.DataFrame  # the training rows, in the published columns and order


class GateFailed(Exception):
    """The candidate fails a blocking check: nothing is published."""


def training_frame(candidate: pl.DataFrame) -> pl.DataFrame:
    return candidate.select(TRAINING_COLUMNS).sort(["split", "record_id", "oversampled"])


def rows_per_split_and_class(frame: pl.DataFrame) -> dict[str, dict[str, int]]:
    return {s: dict(sorted(Counter(frame.filter(pl.col("split") == s)["label"].to_list()).items())) for s in SPLITS}


def _span_fields(frame: pl.DataFrame) -> dict[str, Any]:
    per_split = span_counts(frame.select("split", "spans").to_dicts())
    total: Counter[str] = Counter()
    for counts in per_split.values():
        total.update(counts)
    return {
        "task": "spans",
        "rows": frame.height,
        "rows_per_split": {s: int((frame["split"] == s).sum()) for s in SPLITS},
        "span_counts_per_split_and_label": per_split,
        "span_distribution": dict(sorted(total.items())),
    }


def _gate_key(candidate_version: str, gate: GatePolicy | SpanGatePolicy) -> str:
    """What a recorded verdict is valid for: the candidate's bytes, the policy (its dataclass repr names
    every field, the record model by its qualified name) and the library code."""
    parts = [candidate_version, repr(gate), source_fingerprint()]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def gate_record(
    candidate_version: str, gate: GatePolicy | SpanGatePolicy, verdicts: list[CheckVerdict]
) -> dict[str, Any]:
    """The verdicts given to the candidate whose Parquet bytes hash to `candidate_version`, for the summary
    (`release` reuses them instead of running the gate again on the same input)."""
    return {"key": _gate_key(candidate_version, gate), "verdicts": [asdict(v) for v in verdicts]}


def recorded_verdicts(
    summary: dict[str, Any], gate: GatePolicy | SpanGatePolicy, candidate_version: str
) -> list[CheckVerdict] | None:
    """The verdicts `summary` records when they were given to the candidate whose bytes hash to
    `candidate_version` under this policy and code; None otherwise."""
    recorded = summary.get("gate")
    if not isinstance(recorded, dict) or recorded.get("key") != _gate_key(candidate_version, gate):
        return None
    return [CheckVerdict(**v) for v in recorded["verdicts"]]


def gate_verdicts(
    candidate: pl.DataFrame,
    summary: dict[str, Any],
    gate: GatePolicy | SpanGatePolicy,
    candidate_version: str | None = None,
) -> list[CheckVerdict]:
    """The recorded verdicts when they were given to exactly this candidate under this policy and code,
    else the gate run now."""
    recorded = None if candidate_version is None else recorded_verdicts(summary, gate, candidate_version)
    if recorded is not None:
        return recorded
    if isinstance(gate, SpanGatePolicy):
        return run_span_gate(candidate, summary["agreement"], gate)
    return run_gate(candidate, summary["agreement"], gate)


def release(
    versions: Store,
    candidate: pl.DataFrame,
    summary: dict[str, Any],
    gate: GatePolicy | SpanGatePolicy,
    policy_manifest: dict[str, Any],
    dataset: str = "training_data",
    declaration: str | None = None,
    definition: TaskDefinition | None = None,
    candidate_version: str | None = None,
) -> Release:
    """Publish the candidate as the next version, or name the latest when its content is the same.

    A `SpanGatePolicy` says the candidate is a span dataset (`build_span_candidate`): its own gate, its
    columns, span counts per split and label in the manifest. With `definition`, the manifest carries the
    task and labels with their guidelines, and the card shows them. `declaration` (the dataset file's hashed
    fields as JSON) is published as `dataset.json` and so is part of the content: a changed guideline or
    label set is a new version even when no row changed. `candidate_version` (sha256 of the candidate's
    Parquet bytes) lets the verdicts recorded in `summary` stand in for a second run of the gate."""
    spans = isinstance(gate, SpanGatePolicy)
    verdicts = gate_verdicts(candidate, summary, gate, candidate_version)
    failed = [v for v in verdicts if not v.passed]
    if failed:
        raise GateFailed(
            "candidate fails its gate; nothing published: "
            + "; ".join(f"{v.name}: {json.dumps(v.details, default=str)}" for v in failed)
        )
    if spans:
        columns = span_training_columns(gate, candidate.columns)
        frame = candidate.select(columns).sort(["split", "record_id"])
    else:
        frame = training_frame(candidate)
    data_files = {f"{s}.parquet": parquet_bytes(frame.filter(pl.col("split") == s)) for s in SPLITS}
    if declaration is not None:
        data_files["dataset.json"] = declaration.encode("utf-8")
    quality = summary.get("label_quality")
    if quality is not None and not spans:  # the reliability diagram is content: hashed like the splits
        data_files[RELIABILITY_PNG] = reliability_file(quality)
    common = {
        "agreement": summary["agreement"],
        "input_partitions": summary["input_partitions"],
        "dedup": summary["dedup"],
        "pending_review": summary["pending_review"],
        **({"annotation_velocity": summary["annotation_velocity"]} if "annotation_velocity" in summary else {}),
        "label_policy": policy_manifest,
        "code_version": source_fingerprint(),
        **({"definition": definition_manifest(definition)} if definition is not None else {}),
    }
    if spans:
        fields = _span_fields(frame)
    else:
        fields = {
            "rows": frame.height,
            "rows_per_split_and_class": rows_per_split_and_class(frame),
            "class_distribution": dict(sorted(Counter(frame["label"].to_list()).items())),
            "agreement_overall": summary.get("agreement_overall"),
            "oversampled_rows": int(frame["oversampled"].sum()),
            **({"label_quality": manifest_figures(quality)} if quality is not None else {}),
        }
    outcome = publish(versions, data_files, {**fields, **common}, render_card=render_card, dataset=dataset)
    return Release(outcome, frame)
