"""Label Studio's span format (named-entity results), read from exports and written as pre-annotations.

A span result is `{"from_name": "label", "to_name": "text", "type": "labels", "value": {"start", "end",
"text", "labels": [label]}}`, the shape Label Studio's NER export gives for a `Labels` control over `Text`.
An annotation becomes one vote: every span the person drew on the record (none at all means "no entity
here"). A span outside the text, with a label outside the set or overlapping another is that vote's
problem, reported with its reason like every other unusable annotation.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from gleaner.labeling.label_studio.config import CONTROL_NAME, TEXT_NAME
from gleaner.labeling.label_studio.export import annotations
from gleaner.labeling.spans import Span, validate_spans


def _raw_spans(result: list[dict[str, Any]] | None, from_name: str) -> list[dict[str, Any]]:
    """Label Studio's results as `{start, end, label, text}`; a result with several labels is one span each."""
    spans = []
    for item in result or []:
        if item.get("type") != "labels" or item.get("from_name", from_name) != from_name:
            continue
        value = item.get("value") or {}
        for label in value.get("labels") or [None]:
            spans.append(
                {"start": value.get("start"), "end": value.get("end"), "label": label, "text": value.get("text")}
            )
    return spans


def parse_span_export(
    tasks: list[dict[str, Any]],
    labels: Collection[str],
    *,
    from_name: str = CONTROL_NAME,
    allow_overlaps: bool = False,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Span votes (`spans`: list of `{start, end, label, text}`) and the unusable annotations with reasons.

    Offsets are checked against the task's `data.text`; the quote is checked when the export carries it."""
    votes, problems = [], []
    for task, annotation, row, problem in annotations(tasks):
        text = (task.get("data") or {}).get(TEXT_NAME)
        if problem is None and not isinstance(text, str):
            problem = "task has no data.text to check the spans against"
        if problem is None:
            raw = _raw_spans(annotation.get("result"), from_name)
            check = validate_spans(text, raw, labels, allow_overlaps=allow_overlaps, require_quote=False)
            problem = check.reason
        if problem:
            problems.append({**row, "reason": problem})
        else:
            votes.append({**row, "spans": [s.as_dict() for s in check.spans]})
    return votes, problems


def span_result(span: Span, from_name: str = CONTROL_NAME) -> dict[str, Any]:
    return {
        "from_name": from_name,
        "to_name": TEXT_NAME,
        "type": "labels",
        "value": {"start": span.start, "end": span.end, "text": span.text, "labels": [span.label]},
    }


def build_span_tasks(rows: list[dict[str, Any]], model_version: str) -> list[dict[str, Any]]:
    """Tasks (`data.record_id`, `data.text`) with the machine's spans (`guess`: list of Span) as a
    prediction, so annotators correct the entities rather than draw them all. Tasks keep the rows' order
    (most disputed first); `data.priority` keeps it sortable in the Data Manager."""
    tasks = []
    for row in rows:
        task: dict[str, Any] = {"data": {"record_id": row["record_id"], TEXT_NAME: row["text"]}}
        if row.get("priority") is not None:
            task["data"]["priority"] = round(float(row["priority"]), 4)
        if row.get("guess") is not None:
            task["predictions"] = [
                {
                    "model_version": model_version,
                    "score": float(row.get("confidence") or 0.0),
                    "result": [span_result(s) for s in row["guess"]],
                }
            ]
        tasks.append(task)
    return tasks
