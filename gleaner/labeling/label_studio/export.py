"""Label Studio's JSON export format, read and written by the same code the API path uses.

Teams without network access to a Label Studio server exchange these files instead; the bundled demo
sample of human annotations is one.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gleaner.labeling.label_studio.config import CONTROL_NAME, TEXT_NAME
from gleaner.schemas import LABELS

FROM_NAME = CONTROL_NAME  # projects made before datasets were declared named it "sentiment"; reading accepts both
TO_NAME = TEXT_NAME


def labeling_config(labels: tuple[str, ...] = LABELS) -> str:
    """The project's labeling interface, built from the dataset's label set."""
    choices = "".join(f'<Choice value="{label}"/>' for label in labels)
    return (
        f'<View><Text name="{TO_NAME}" value="$text"/>'
        f'<Choices name="{FROM_NAME}" toName="{TO_NAME}" choice="single" showInline="true">{choices}</Choices>'
        "</View>"
    )


def _annotator(completed_by: Any) -> str:
    if isinstance(completed_by, dict):
        completed_by = completed_by.get("email") or completed_by.get("id")
    return f"human:{completed_by}"


def lead_time_seconds(value: Any) -> float | None:
    """An annotation's `lead_time` (seconds Label Studio measured on the task) when it is a finite, non-negative
    number; anything else (missing, null, a string, a negative or infinite value) is unknown, never a crash.
    Zero is kept as Label Studio said it: API clients and imports send it, and velocity leaves it out."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    seconds = float(value)
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _choice(result: list[dict[str, Any]], from_name: str | None) -> str | None:
    for item in result or []:
        if item.get("type") == "choices" and from_name in (None, item.get("from_name", FROM_NAME)):
            choices = (item.get("value") or {}).get("choices") or []
            return choices[0] if choices else None
    return None


def _item(task: dict[str, Any], task_id_fallback: bool) -> str | None:
    record_id = (task.get("data") or {}).get("record_id")
    if record_id is None and task_id_fallback and task.get("id") is not None:
        return f"task:{task['id']}"
    return record_id


def annotations(
    tasks: list[dict[str, Any]], task_id_fallback: bool = False
) -> Iterator[tuple[dict[str, Any], dict[str, Any], dict[str, str | None], str | None]]:
    """Each annotation with its task, its vote row's identity (record, annotator, annotation id, time, and the
    seconds spent on it, `lead_time`, None when unknown) and the reason it cannot be used whatever its result
    says (no record id, cancelled), else None."""
    for task in tasks:
        record_id = _item(task, task_id_fallback)
        for annotation in task.get("annotations") or []:
            row = {
                "record_id": record_id,
                "annotator": _annotator(annotation.get("completed_by")),
                "annotation_id": str(annotation.get("id")),
                "updated_at": str(annotation.get("updated_at") or annotation.get("created_at") or ""),
                "lead_time": lead_time_seconds(annotation.get("lead_time")),
            }
            problem = None
            if not record_id:
                problem = "task has no data.record_id"
            elif annotation.get("was_cancelled"):
                problem = "annotation was cancelled (skipped by annotator)"
            yield task, annotation, row, problem


def parse_export(
    tasks: list[dict[str, Any]],
    labels: tuple[str, ...] | None = LABELS,
    *,
    from_name: str | None = None,
    task_id_fallback: bool = False,
) -> tuple[list[dict], list[dict]]:
    """Annotations as vote rows, plus a row with a reason for every annotation that cannot be used.

    Our own projects key tasks by `data.record_id` and label through the `label` control (`sentiment` in
    projects made before datasets were declared: any choices control counts unless `from_name` names one).
    To read any project's export (`gleaner agreement`), pass `labels=None` (any choice) and
    `task_id_fallback=True` (tasks without a record id are named `task:<id>`).
    """
    votes, problems = [], []
    for _, annotation, row, problem in annotations(tasks, task_id_fallback):
        label = _choice(annotation.get("result"), from_name)
        if problem:
            problems.append({**row, "reason": problem})
        elif labels is None and not label:
            problems.append({**row, "reason": "annotation has no choice"})
        elif labels is not None and label not in labels:
            problems.append({**row, "reason": f"label {label!r} is not one of {list(labels)}"})
        else:
            votes.append({**row, "label": label})
    return votes, problems


def read_export(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError(f"{path}: a Label Studio JSON export is a list of tasks")
    return data


def build_import_tasks(rows: list[dict[str, Any]], model_version: str) -> list[dict[str, Any]]:
    """Tasks with the best machine guess as a prediction, so annotators correct rather than start blank.

    In the queue's order: Label Studio's default (sequential) sampling serves tasks in import order, so the
    most uncertain records come first (after the audit slice, `data.audit`); `data.priority` keeps the order
    sortable in the Data Manager."""
    tasks = []
    for row in rows:
        task: dict[str, Any] = {"data": {"record_id": row["record_id"], "text": row["text"]}}
        if row.get("priority") is not None:  # a column to sort by in the Data Manager
            task["data"]["priority"] = round(float(row["priority"]), 4)
        if row.get("audit"):  # the audit slice (gleaner.labeling.audit), filterable in the Data Manager
            task["data"]["audit"] = True
        if row.get("guess"):
            task["predictions"] = [
                {
                    "model_version": model_version,
                    "score": float(row.get("confidence") or 0.0),
                    "result": [
                        {
                            "from_name": FROM_NAME,
                            "to_name": TO_NAME,
                            "type": "choices",
                            "value": {"choices": [row["guess"]]},
                        }
                    ],
                }
            ]
        tasks.append(task)
    return tasks
